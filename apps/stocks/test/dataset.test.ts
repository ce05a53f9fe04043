import { describe, expect, it } from 'vitest';
import { StandardScaler } from '@rnnkit/core';
import {
  buildTickerWindows, computeFeatures, originRow, trainEndBefore, WARMUP, type PriceSeries, type WindowConfig,
} from '../src/index.js';
import { dates, wavyCloses } from './fixtures.js';

function series(close: number[]): PriceSeries {
  return {
    ticker: 'T', file: 't.csv', dates: dates(close.length), close,
    open: close.map((c) => c * 0.995), high: close.map((c) => c * 1.02), low: close.map((c) => c * 0.98),
    volume: close.map((_, i) => 1000 + 7 * (i % 5)), lines: close.map((_, i) => i + 2), notes: [],
  };
}

const cfg: WindowConfig = { lookback: 10, horizon: 3, testFraction: 0.25, folds: 2 };

describe('walk-forward windows and scaling', () => {
  // A series whose last quarter jumps to a far higher, far more volatile regime: statistics over all rows differ
  // clearly from statistics over the training rows, so a scaler fitted on everything is caught.
  const close = wavyCloses(220).map((c, i) => (i >= 195 ? c * 4 * (1 + 0.2 * Math.sin(i)) : c));
  const table = computeFeatures(series(close));
  const tw = buildTickerWindows(table, cfg);

  it('fits the scaler on the training rows only', () => {
    const trainOnly = new StandardScaler().fit(table.features.slice(0, tw.scalerRows));
    const allRows = new StandardScaler().fit(table.features);
    expect(tw.scaler.mean).toEqual(trainOnly.mean);
    expect(tw.scaler.std).toEqual(trainOnly.std);
    // The test-period regime shift must be visible in full-data statistics, else this test could not fail.
    expect(Math.abs(allRows.std[0] - trainOnly.std[0])).toBeGreaterThan(0.5 * trainOnly.std[0]);
    expect(tw.scaler.std[0]).not.toBeCloseTo(allRows.std[0], 3);
  });

  it('uses only rows that precede the first test origin for the scaler', () => {
    const firstTestOrigin = originRow(tw.folds[0].start, cfg.lookback);
    // Scaler rows are the inputs of fold 1's training windows, whose targets end at the first test origin.
    expect(tw.scalerRows - 1 + cfg.horizon).toBe(firstTestOrigin);
  });

  it('cuts the last part into consecutive folds and trains only on windows with known targets', () => {
    const count = table.features.length - cfg.lookback - cfg.horizon + 1;
    expect(tw.windows.count).toBe(count);
    expect(tw.folds[tw.folds.length - 1].end).toBe(count);
    expect(tw.folds[0].end).toBe(tw.folds[1].start);
    expect(tw.folds[0].start).toBe(count - Math.round(count * cfg.testFraction));
    for (const fold of tw.folds) {
      const lastTrain = trainEndBefore(fold.start, cfg.horizon) - 1;
      const lastTargetRow = originRow(lastTrain, cfg.lookback) + cfg.horizon;
      // The newest training target is the return realised at the test origin's close — known, not future.
      expect(lastTargetRow).toBe(originRow(fold.start, cfg.lookback));
    }
  });

  it('targets of a window are the next horizon scaled returns after its origin', () => {
    const w = 17;
    const origin = originRow(w, cfg.lookback);
    const y = Array.from(tw.windows.y.subarray(w * cfg.horizon, (w + 1) * cfg.horizon));
    const returns = tw.scaler.inverseTransformColumn(y, 0);
    returns.forEach((r, s) => expect(r).toBeCloseTo(table.returns[origin + 1 + s], 5));
    expect(tw.windows.targetStart[w]).toBe(origin + 1);
  });

  it('rejects a series too short for the window', () => {
    const short = computeFeatures(series(wavyCloses(WARMUP + 20)));
    expect(() => buildTickerWindows(short, cfg)).toThrow(/t\.csv: T has 20 rows after the 20-day rolling-feature warm-up, too few for lookback 10, horizon 3/);
  });
});
