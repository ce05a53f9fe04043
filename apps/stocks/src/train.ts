/**
 * Walk-forward (rolling-origin) backtest and training.
 *
 * Fold 0: a fresh model is trained on every ticker's windows before the test period (the most recent
 * `valFraction` of them held out for early stopping). Each later fold fine-tunes the same model for
 * `fineTuneEpochs` on all windows whose targets are known by that fold's first origin, then forecasts the fold.
 * Finally the model is fine-tuned once more on every window, which is the model saved for `forecast`.
 * Baselines forecast the very same origins, so every number in the table compares like with like.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { arrayBatchSource, concatTypedArrays, meanSquaredError, takeRows, train, type BatchSource, type LossFn, type TrainResult } from '@rnnkit/core';
import { BASELINES, baselineReturns } from './baselines.js';
import { FEATURE_NAMES } from './data/features.js';
import { originRow, trainEndBefore, unscaleReturns, type TickerWindows, type WindowConfig } from './data/dataset.js';
import { buildForecaster, predictWindows, type ForecasterConfig } from './model.js';

export interface StocksConfig extends WindowConfig {
  cell: 'gru' | 'lstm';
  units: number[];
  /** 'mae' optimises what MASE measures (the median, robust to the fat tails of daily returns); 'mse' the mean. */
  loss: 'mae' | 'mse';
  dropout: number;
  epochs: number;
  fineTuneEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Global gradient-norm clipping; 0 = off. */
  clipNorm: number;
  /** Early stopping of the first fold (the only one with validation data); 0 = off. */
  patience: number;
  valFraction: number;
  smaWindow: number;
  seed: number;
  /** Caps optimizer steps per epoch (keeps CI runs cheap); undefined = full epochs. */
  maxStepsPerEpoch?: number;
}

export const DEFAULT_CONFIG: StocksConfig = {
  lookback: 30,
  horizon: 5,
  testFraction: 0.2,
  folds: 4,
  cell: 'gru',
  units: [32],
  loss: 'mae',
  dropout: 0,
  epochs: 20,
  fineTuneEpochs: 2,
  batchSize: 64,
  learningRate: 1e-3,
  clipNorm: 1,
  patience: 4,
  valFraction: 0.15,
  smaWindow: 5,
  seed: 1,
};

export const METHODS = ['model', ...BASELINES] as const;
export type MethodName = (typeof METHODS)[number];

/** Forecasts of one ticker at every test origin; returns are log returns for the `horizon` days after the origin. */
export interface TickerBacktest {
  ticker: string;
  /** Date and close of each origin (the forecast is made after that close). */
  originDates: string[];
  originClose: number[];
  /** Date of the first forecast day (the next trading row) per origin. */
  targetDates: string[];
  fold: number[];
  actual: number[][];
  forecasts: Record<MethodName, number[][]>;
}

export interface Backtest {
  horizon: number;
  tickers: TickerBacktest[];
}

/** Mean absolute error over every forecast day of the batch. */
export const meanAbsoluteError: LossFn = (yTrue, yPred) => tf.tidy(() => tf.mean(tf.abs(tf.sub(yTrue, yPred))) as tf.Scalar);

export function forecasterConfig(cfg: StocksConfig): ForecasterConfig {
  return {
    cell: cfg.cell, units: cfg.units, dropout: cfg.dropout,
    lookback: cfg.lookback, numFeatures: FEATURE_NAMES.length, horizon: cfg.horizon,
  };
}

/** Window index ranges [start, end) per ticker, pooled into one batch source (or undefined when empty). */
function batchSource(
  data: TickerWindows[],
  ranges: [number, number][],
  cfg: StocksConfig,
  shuffle: boolean,
): BatchSource | undefined {
  const xRow = cfg.lookback * FEATURE_NAMES.length;
  const xs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  data.forEach((tw, i) => {
    const [start, end] = ranges[i];
    const idx = Int32Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k);
    xs.push(takeRows(tw.windows.x, xRow, idx));
    ys.push(takeRows(tw.windows.y, cfg.horizon, idx));
  });
  const size = xs.reduce((a, x) => a + x.length / xRow, 0);
  if (size === 0) return undefined;
  const x = concatTypedArrays(xs, new Float32Array(0));
  const y = concatTypedArrays(ys, new Float32Array(0));
  return arrayBatchSource({
    size,
    batchSize: cfg.batchSize,
    shuffle,
    makeBatch: (indices) => ({
      xs: tf.tensor3d(takeRows(x, xRow, indices), [indices.length, cfg.lookback, FEATURE_NAMES.length]),
      ys: tf.tensor2d(takeRows(y, cfg.horizon, indices), [indices.length, cfg.horizon]),
      size: indices.length,
    }),
  });
}


export interface WalkForwardOptions {
  /** Where checkpoints and metrics logs go; nothing is written when undefined. */
  outDir?: string;
  resume?: boolean;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  log?: (line: string) => void;
}

export interface WalkForwardResult {
  model: tf.LayersModel;
  backtest: Backtest;
  phases: { name: string; result: TrainResult }[];
  interrupted: boolean;
}

export async function walkForward(data: TickerWindows[], cfg: StocksConfig, opts: WalkForwardOptions = {}): Promise<WalkForwardResult> {
  const log = opts.log ?? (() => {});
  const model = buildForecaster(forecasterConfig(cfg));
  const phases: WalkForwardResult['phases'] = [];
  const backtest: Backtest = { horizon: cfg.horizon, tickers: data.map((tw) => emptyTickerBacktest(tw.ticker)) };

  const runPhase = async (name: string, trainSource: BatchSource, val: BatchSource | undefined, epochs: number) => {
    const result = await train(model, { train: trainSource, val }, cfg.loss === 'mae' ? meanAbsoluteError : meanSquaredError, {
      epochs,
      batchSize: cfg.batchSize,
      learningRate: cfg.learningRate,
      clipNorm: cfg.clipNorm > 0 ? cfg.clipNorm : undefined,
      seed: cfg.seed,
      maxStepsPerEpoch: cfg.maxStepsPerEpoch,
      earlyStopping: val && cfg.patience > 0 ? { patience: cfg.patience } : undefined,
      checkpointDir: opts.outDir ? join(opts.outDir, 'checkpoints', name) : undefined,
      metricsLog: opts.outDir ? join(opts.outDir, name === 'fold-1' ? 'metrics.jsonl' : `metrics-${name}.jsonl`) : undefined,
      resume: opts.resume,
      progress: opts.progress,
    });
    phases.push({ name, result });
    return result;
  };

  for (let f = 0; f < cfg.folds; f++) {
    const trainEnds = data.map((tw) => trainEndBefore(tw.folds[f].start, cfg.horizon));
    let result: TrainResult;
    if (f === 0) {
      const valStarts = trainEnds.map((end) => end - Math.max(1, Math.round(end * cfg.valFraction)));
      log(`fold 1/${cfg.folds}: training on ${sum(valStarts)} windows, validating on ${sum(trainEnds) - sum(valStarts)}`);
      result = await runPhase(
        'fold-1',
        batchSource(data, valStarts.map((end) => [0, end]), cfg, true)!,
        batchSource(data, data.map((_, i) => [valStarts[i], trainEnds[i]]), cfg, false),
        cfg.epochs,
      );
    } else {
      log(`fold ${f + 1}/${cfg.folds}: fine-tuning on ${sum(trainEnds)} windows`);
      result = await runPhase(`fold-${f + 1}`, batchSource(data, trainEnds.map((end) => [0, end]), cfg, true)!, undefined, cfg.fineTuneEpochs);
    }
    if (result.interrupted) return { model, backtest, phases, interrupted: true };
    data.forEach((tw, i) => recordFold(backtest.tickers[i], tw, f, model, cfg));
  }

  log(`final: fine-tuning on all ${sum(data.map((tw) => tw.windows.count))} windows (the model kept for forecasting)`);
  const final = await runPhase('final', batchSource(data, data.map((tw) => [0, tw.windows.count]), cfg, true)!, undefined, cfg.fineTuneEpochs);
  return { model, backtest, phases, interrupted: final.interrupted };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function emptyTickerBacktest(ticker: string): TickerBacktest {
  return {
    ticker, originDates: [], originClose: [], targetDates: [], fold: [], actual: [],
    forecasts: { model: [], naive: [], drift: [], sma: [] },
  };
}

/** Forecasts fold f's test windows of one ticker with the model and every baseline. */
function recordFold(out: TickerBacktest, tw: TickerWindows, f: number, model: tf.LayersModel, cfg: StocksConfig): void {
  const { start, end } = tw.folds[f];
  const xRow = cfg.lookback * FEATURE_NAMES.length;
  const x = tw.windows.x.subarray(start * xRow, end * xRow);
  const predicted = unscaleReturns(tw, predictWindows(model, x, end - start, forecasterConfig(cfg)));
  const { table } = tw;
  for (let w = start; w < end; w++) {
    const origin = originRow(w, cfg.lookback);
    out.originDates.push(table.dates[origin]);
    out.originClose.push(table.close[origin]);
    out.targetDates.push(table.dates[origin + 1]);
    out.fold.push(f);
    out.actual.push(table.returns.slice(origin + 1, origin + 1 + cfg.horizon));
    out.forecasts.model.push(predicted[w - start]);
    for (const name of BASELINES) out.forecasts[name].push(baselineReturns(name, table, origin, cfg.horizon, cfg.smaWindow));
  }
}
