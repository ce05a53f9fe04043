import { describe, expect, it } from 'vitest';
import { spread } from '@rnnkit/core';
import { pairedRatios, roundSpread } from '../src/stats.js';

describe('bench stats', () => {
  it('rounds every figure of a spread', () => {
    expect(roundSpread(spread([1.234, 2.345, 3.456]), 1)).toEqual({ n: 3, median: 2.3, q1: 1.8, q3: 2.9, iqr: 1.1, min: 1.2, max: 3.5 });
  });

  it('paired ratios divide round i by round i', () => {
    expect(pairedRatios([10, 30, 20], [20, 30, 10])).toEqual([0.5, 1, 2]);
  });

  it('rejects mismatched rounds and zero denominators with a one-line error', () => {
    expect(() => pairedRatios([1, 2], [1])).toThrow(/2 rounds on one side, 1 on the other/);
    expect(() => pairedRatios([1], [0])).toThrow(/round 1/);
  });
});
