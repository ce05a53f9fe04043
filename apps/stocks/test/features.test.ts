import { describe, expect, it } from 'vitest';
import { computeFeatures, FEATURE_NAMES, WARMUP, type PriceSeries } from '../src/index.js';
import { dates, wavyCloses } from './fixtures.js';

function series(close: number[], extra: Partial<PriceSeries> = {}): PriceSeries {
  return {
    ticker: 'T', file: 't.csv', dates: dates(close.length), close,
    open: close.map((c) => c * 0.995), high: close.map((c) => c * 1.02), low: close.map((c) => c * 0.98),
    volume: close.map((_, i) => 100 + i), lines: close.map((_, i) => i + 2), notes: [], ...extra,
  };
}

describe('features', () => {
  it('computes each feature of a row by hand', () => {
    const close = wavyCloses(30);
    const f = computeFeatures(series(close));
    expect(f.features.length).toBe(30 - WARMUP);
    expect(f.features[0].length).toBe(FEATURE_NAMES.length);
    const t = 25;
    const row = f.features[t - WARMUP];
    const r = (i: number) => Math.log(close[i] / close[i - 1]);
    const last5 = [21, 22, 23, 24, 25].map(r);
    const last20 = Array.from({ length: 20 }, (_, k) => r(6 + k));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
    const expected = [
      r(t), Math.log(1.02 / 0.98), Math.log(1 / 0.995), Math.log((100 + t + 1) / (100 + t)),
      mean(last5), mean(last20), std(last5), std(last20), Math.log(close[t] / mean(close.slice(6, 26))),
    ];
    expected.forEach((v, j) => expect(row[j]).toBeCloseTo(v, 12));
    expect(f.returns[t - WARMUP]).toBeCloseTo(r(t), 12);
    expect(f.dates[0]).toBe(dates(30)[WARMUP]);
  });

  it('never looks ahead: changing later prices leaves earlier feature rows unchanged', () => {
    const close = wavyCloses(60);
    const changed = close.map((c, i) => (i > 40 ? c * 3 : c));
    const a = computeFeatures(series(close));
    const b = computeFeatures(series(changed));
    expect(b.features.slice(0, 40 - WARMUP + 1)).toEqual(a.features.slice(0, 40 - WARMUP + 1));
    expect(b.features[41 - WARMUP]).not.toEqual(a.features[41 - WARMUP]);
  });

  it('keeps zero-volume days finite', () => {
    const close = wavyCloses(25);
    const f = computeFeatures(series(close, { volume: close.map(() => 0) }));
    expect(f.features.every((row) => row.every(Number.isFinite))).toBe(true);
  });
});
