import { describe, expect, it } from 'vitest';
import { slidingWindows } from '../src/data/index.js';

describe('slidingWindows', () => {
  it('cuts univariate series into lookback/horizon pairs', () => {
    const w = slidingWindows([1, 2, 3, 4, 5, 6], 3, 2);
    expect(w.count).toBe(2);
    expect(w.xShape).toEqual([2, 3, 1]);
    expect(Array.from(w.x)).toEqual([1, 2, 3, 2, 3, 4]);
    expect(Array.from(w.y)).toEqual([4, 5, 5, 6]);
    expect(Array.from(w.targetStart)).toEqual([3, 4]);
  });

  it('handles features, target columns and stride', () => {
    const series = [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]];
    const w = slidingWindows(series, 2, 1, { stride: 2, targetColumns: [1] });
    expect(w.count).toBe(2);
    expect(Array.from(w.x)).toEqual([1, 10, 2, 20, 3, 30, 4, 40]);
    expect(Array.from(w.y)).toEqual([30, 50]);
    expect(w.yShape).toEqual([2, 1, 1]);
    expect(Array.from(slidingWindows([1, 2, 3, 4, 5], 2, 1, 2).y)).toEqual([3, 5]);
  });

  it('rejects bad input', () => {
    expect(() => slidingWindows([1, 2], 2, 1)).toThrow(/fewer than lookback \+ horizon/);
    expect(() => slidingWindows([[1], [2, 3]], 1, 1)).toThrow(/row 1 has 2 features/);
    expect(() => slidingWindows([1, 2, 3], 0, 1)).toThrow(/lookback/);
    expect(() => slidingWindows([[1], [2]], 1, 1, { targetColumns: [3] })).toThrow(/target column 3/);
  });
});
