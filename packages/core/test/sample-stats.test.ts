import { describe, expect, it } from 'vitest';
import { median, quantile, spread } from '../src/metrics/sample-stats.js';

describe('sample statistics', () => {
  it('median of odd and even counts, independent of order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('quantiles interpolate linearly between order statistics (numpy default)', () => {
    // numpy.percentile([1, 2, 3, 4], [25, 75]) -> [1.75, 3.25]
    expect(quantile([4, 3, 2, 1], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile([1, 2, 3, 4], 0.75)).toBeCloseTo(3.25, 12);
    expect(quantile([10, 20], 0)).toBe(10);
    expect(quantile([10, 20], 1)).toBe(20);
  });

  it('spread gives median, quartiles, IQR and extremes', () => {
    // sorted 1 2 3 4 100: q1 = 2, q3 = 4 (positions 1 and 3 of 0..4)
    expect(spread([100, 3, 1, 4, 2])).toEqual({ n: 5, median: 3, q1: 2, q3: 4, iqr: 2, min: 1, max: 100 });
    const s = spread([2, 2, 2]);
    expect([s.iqr, s.min, s.max]).toEqual([0, 2, 2]);
  });

  it('rejects empty, non-finite and out-of-range input with a one-line error', () => {
    expect(() => median([])).toThrow(/no samples/);
    expect(() => spread([1, Number.NaN])).toThrow(/finite/);
    expect(() => quantile([1], 1.5)).toThrow(/q must be in \[0, 1\]/);
  });
});
