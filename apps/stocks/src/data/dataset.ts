/**
 * Feature tables → scaled sliding windows with a walk-forward (rolling-origin) split.
 *
 * Indexing: window w takes feature rows w..w+lookback-1 as input; its *origin* (the day the forecast is made,
 * after that day's close) is row w+lookback-1, and its targets are the next `horizon` log returns.
 * The last `testFraction` of windows are test windows, cut into `folds` consecutive blocks. A model evaluated on
 * fold f has only been trained on windows whose targets were all known at the fold's first origin
 * (w <= foldStart - horizon). The scaler is fitted once per ticker on the input rows of fold 0's training windows,
 * i.e. on data that precedes every test origin.
 */
import { RnnkitError, StandardScaler, slidingWindows, type ScalerJSON, type Windows } from '@rnnkit/core';
import { WARMUP, type FeatureTable } from './features.js';

export interface WindowConfig {
  lookback: number;
  horizon: number;
  /** Share of each ticker's windows held out for the walk-forward test (the last part of the series). */
  testFraction: number;
  folds: number;
}

/** Window index range [start, end). */
export interface Fold {
  start: number;
  end: number;
}

export interface TickerWindows {
  ticker: string;
  table: FeatureTable;
  scaler: StandardScaler;
  /** Feature rows [0, scalerRows) were used to fit the scaler. */
  scalerRows: number;
  scaled: number[][];
  windows: Windows;
  folds: Fold[];
}

/** Feature row of window w's origin. */
export function originRow(w: number, lookback: number): number {
  return w + lookback - 1;
}

/** Windows [0, trainEnd) may be trained on before forecasting from window `testStart`'s origin. */
export function trainEndBefore(testStart: number, horizon: number): number {
  return Math.max(0, testStart - horizon + 1);
}

export function walkForwardFolds(windowCount: number, cfg: WindowConfig, ticker: string): Fold[] {
  const testCount = Math.round(windowCount * cfg.testFraction);
  if (testCount < cfg.folds) {
    throw new RnnkitError(
      `${ticker}: ${windowCount} windows leave ${testCount} test windows for ${cfg.folds} folds; ` +
        'use a longer series, a larger --test-fraction or fewer --folds',
    );
  }
  const testStart = windowCount - testCount;
  const folds: Fold[] = [];
  for (let f = 0; f < cfg.folds; f++) {
    folds.push({
      start: testStart + Math.floor((f * testCount) / cfg.folds),
      end: testStart + Math.floor(((f + 1) * testCount) / cfg.folds),
    });
  }
  return folds;
}

/** Builds the windows of one ticker; `scalerJSON` reuses a saved scaler (forecasting) instead of fitting one. */
export function buildTickerWindows(table: FeatureTable, cfg: WindowConfig, scalerJSON?: ScalerJSON): TickerWindows {
  const minRows = cfg.lookback + cfg.horizon + 10 * cfg.folds;
  if (table.features.length < minRows) {
    throw new RnnkitError(
      `${table.file}: ${table.ticker} has ${table.features.length} rows after the ${WARMUP}-day rolling-feature warm-up, too few ` +
        `for lookback ${cfg.lookback}, horizon ${cfg.horizon} and ` +
        `${cfg.folds} folds (need at least ${minRows})`,
    );
  }
  const count = table.features.length - cfg.lookback - cfg.horizon + 1;
  const folds = walkForwardFolds(count, cfg, table.ticker);
  const firstTrainEnd = trainEndBefore(folds[0].start, cfg.horizon);
  if (firstTrainEnd < 2) throw new RnnkitError(`${table.ticker}: no training windows before the test period`);
  const scalerRows = firstTrainEnd - 1 + cfg.lookback;
  const scaler = scalerJSON
    ? StandardScaler.fromJSON(scalerJSON, `${table.ticker} scaler`)
    : new StandardScaler().fit(table.features.slice(0, scalerRows));
  const scaled = scaler.transform(table.features);
  const windows = slidingWindows(scaled, cfg.lookback, cfg.horizon, { targetColumns: [0] });
  return { ticker: table.ticker, table, scaler, scalerRows, scaled, windows, folds };
}

/** Scaled model outputs (one row per window, `horizon` values) → log returns. */
export function unscaleReturns(tw: TickerWindows, scaledRows: ArrayLike<number>[]): number[][] {
  return scaledRows.map((row) => tw.scaler.inverseTransformColumn(row, 0));
}
