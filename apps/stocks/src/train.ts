/**
 * Walk-forward (rolling-origin) backtest and training.
 *
 * Fold 0: a fresh model is trained on every ticker's windows before the test period (the most recent
 * VAL_FRACTION of them held out for early stopping). Each later fold fine-tunes the same model for
 * `fineTuneEpochs` on all windows whose targets are known by that fold's first origin, then forecasts the fold.
 * Finally the model is fine-tuned once more on every window, which is the model saved for `forecast`.
 * Baselines forecast the very same origins, so every number in the table compares like with like.
 */
import * as tf from '@tensorflow/tfjs';
import { dirname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import {
  arrayBatchSource, concatTypedArrays, fingerprintFiles, lossCurveSvg, meanSquaredError, pinballLoss, RnnkitError, saveModelDir, setSeed, takeRows, train,
  writeFileAtomic, type BatchSource, type LossFn, type TrainConfig, type TrainContext, type TrainedRun, type TrainResult,
} from '@rnnkit/core';
import { BASELINES, baselineReturns, ewmaVolatility, trailingVolatility } from './baselines.js';
import { BACKTEST_FILE, type Backtest, type TickerBacktest } from './backtest.js';
import { EWMA_LAMBDA, QUANTILE_LEVELS, SMA_WINDOW, VAL_FRACTION, VOL_WINDOW, type StocksConfig } from './config.js';
import { buildTickerWindows, originRow, trainEndBefore, unscaleReturns, type TickerWindows } from './data/dataset.js';
import { computeFeatures, FEATURE_NAMES } from './data/features.js';
import { loadSeries } from './data/load.js';
import { normalizeTicker } from './data/tickers.js';
import type { PriceSeries } from './data/prices.js';
import { backtestChartSvg, evaluateBacktest, formatReport } from './evaluate.js';
import type { ForecasterConfig, StocksExtras } from './extras.js';
import { errorBand, quantileBandCoverage } from './forecast.js';
import { buildForecaster, predictWindows, unscaleCumulative } from './model.js';

/** The config fields the walk-forward reads (the rest of StocksConfig is where data and output go). */
export type WalkForwardConfig = Pick<StocksConfig,
  'lookback' | 'horizon' | 'testFraction' | 'folds' | 'cell' | 'units' | 'loss' | 'dropout' | 'epochs' | 'fineTuneEpochs' |
  'batchSize' | 'lr' | 'clipNorm' | 'patience' | 'seed' | 'maxStepsPerEpoch'>;

/** Mean absolute error over every forecast day of the batch. */
export const meanAbsoluteError: LossFn = (yTrue, yPred) => tf.tidy(() => tf.mean(tf.abs(tf.sub(yTrue, yPred))) as tf.Scalar);

export function forecasterConfig(cfg: Pick<WalkForwardConfig, 'cell' | 'units' | 'dropout' | 'lookback' | 'horizon' | 'loss'>): ForecasterConfig {
  return {
    cell: cfg.cell, units: cfg.units, dropout: cfg.dropout,
    lookback: cfg.lookback, numFeatures: FEATURE_NAMES.length, horizon: cfg.horizon,
    ...(cfg.loss === 'pinball' ? { quantiles: [...QUANTILE_LEVELS] } : {}),
  };
}

/** Each row's running sum: a quantile model's targets are the cumulative scaled returns to each forecast day. */
function cumulativeRows(y: Float32Array, horizon: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = i % horizon === 0 ? y[i] : out[i - 1] + y[i];
  return out;
}

/** Window index ranges [start, end) per ticker, pooled into one batch source (or undefined when empty). */
function batchSource(
  data: TickerWindows[],
  ranges: [number, number][],
  cfg: WalkForwardConfig,
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
  const daily = concatTypedArrays(ys, new Float32Array(0));
  const y = cfg.loss === 'pinball' ? cumulativeRows(daily, cfg.horizon) : daily;
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
  /** Where checkpoints (`checkpoints/<phase>/`) and metrics logs (`metrics*.jsonl`) go; nothing is written when undefined. */
  outDir?: string;
  /**
   * core train() settings shared by every phase (from the run's `ctx.trainSettings`): resume, progress, the metrics
   * logs' start record, the checkpoints' record and the price files' fingerprint. Each phase sets its own epochs,
   * early stopping, checkpoint directory and metrics log.
   */
  settings?: Pick<TrainConfig, 'resume' | 'progress' | 'startRecord' | 'checkpointRecord' | 'dataFingerprint'>;
  log?: (line: string) => void;
}

export interface WalkForwardResult {
  model: tf.LayersModel;
  backtest: Backtest;
  phases: { name: string; result: TrainResult }[];
  interrupted: boolean;
}

export async function walkForward(data: TickerWindows[], cfg: WalkForwardConfig, opts: WalkForwardOptions = {}): Promise<WalkForwardResult> {
  const log = opts.log ?? (() => {});
  const model = buildForecaster(forecasterConfig(cfg));
  const phases: WalkForwardResult['phases'] = [];
  const quantile = cfg.loss === 'pinball';
  const backtest: Backtest = {
    horizon: cfg.horizon,
    ...(quantile ? { quantileLevels: [...QUANTILE_LEVELS] } : {}),
    tickers: data.map((tw) => emptyTickerBacktest(tw.ticker, quantile)),
  };
  const loss = quantile ? pinballLoss(QUANTILE_LEVELS) : cfg.loss === 'mae' ? meanAbsoluteError : meanSquaredError;

  const runPhase = async (name: string, trainSource: BatchSource, val: BatchSource | undefined, epochs: number) => {
    const result = await train(model, { train: trainSource, val }, loss, {
      ...opts.settings,
      epochs,
      batchSize: cfg.batchSize,
      learningRate: cfg.lr,
      clipNorm: cfg.clipNorm > 0 ? cfg.clipNorm : undefined,
      seed: cfg.seed,
      maxStepsPerEpoch: cfg.maxStepsPerEpoch,
      earlyStopping: val && cfg.patience > 0 ? { patience: cfg.patience } : undefined,
      checkpointDir: opts.outDir ? join(opts.outDir, 'checkpoints', name) : undefined,
      metricsLog: opts.outDir ? join(opts.outDir, name === 'fold-1' ? 'metrics.jsonl' : `metrics-${name}.jsonl`) : undefined,
      resume: opts.outDir ? opts.settings?.resume : undefined,
    });
    phases.push({ name, result });
    return result;
  };

  for (let f = 0; f < cfg.folds; f++) {
    const trainEnds = data.map((tw) => trainEndBefore(tw.folds[f].start, cfg.horizon));
    let result: TrainResult;
    if (f === 0) {
      const valStarts = trainEnds.map((end) => end - Math.max(1, Math.round(end * VAL_FRACTION)));
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

function emptyTickerBacktest(ticker: string, quantile: boolean): TickerBacktest {
  return {
    ticker, originDates: [], originClose: [], targetDates: [], fold: [], actual: [],
    forecasts: { model: [], naive: [], drift: [], sma: [] },
    ...(quantile ? { quantiles: [] } : {}),
    volatility: { vol60: [], ewma: [] },
  };
}

/** The daily returns of a path of cumulative returns. */
function dailyReturns(cumulative: number[]): number[] {
  return cumulative.map((c, d) => (d === 0 ? c : c - cumulative[d - 1]));
}

/** Forecasts fold f's test windows of one ticker with the model and every baseline. */
function recordFold(out: TickerBacktest, tw: TickerWindows, f: number, model: tf.LayersModel, cfg: WalkForwardConfig): void {
  const { start, end } = tw.folds[f];
  const xRow = cfg.lookback * FEATURE_NAMES.length;
  const x = tw.windows.x.subarray(start * xRow, end * xRow);
  const fc = forecasterConfig(cfg);
  let predicted: number[][];
  let quantiles: number[][][] | undefined;
  if (fc.quantiles) {
    // The model's point forecast is its median path.
    const median = fc.quantiles.indexOf(0.5);
    const unscale = (row: number[]) => tw.scaler.inverseTransformColumn(row, 0);
    quantiles = predictWindows<number[][]>(model, x, end - start, fc).map((q) => unscaleCumulative(unscale, q));
    predicted = quantiles.map((q) => dailyReturns(q.map((levels) => levels[median])));
  } else {
    predicted = unscaleReturns(tw, predictWindows(model, x, end - start, fc));
  }
  const { table } = tw;
  for (let w = start; w < end; w++) {
    const origin = originRow(w, cfg.lookback);
    out.originDates.push(table.dates[origin]);
    out.originClose.push(table.close[origin]);
    out.targetDates.push(table.dates[origin + 1]);
    out.fold.push(f);
    out.actual.push(table.returns.slice(origin + 1, origin + 1 + cfg.horizon));
    out.forecasts.model.push(predicted[w - start]);
    if (quantiles) out.quantiles!.push(quantiles[w - start]);
    out.volatility.vol60.push(trailingVolatility(table.returns, origin, VOL_WINDOW));
    out.volatility.ewma.push(ewmaVolatility(table.returns, origin, EWMA_LAMBDA, VOL_WINDOW));
    for (const name of BASELINES) out.forecasts[name].push(baselineReturns(name, table, origin, cfg.horizon, SMA_WINDOW));
  }
}

export function prepareWindows(series: PriceSeries[], cfg: Pick<WalkForwardConfig, 'lookback' | 'horizon' | 'testFraction' | 'folds'>): TickerWindows[] {
  return series.map((s) => buildTickerWindows(computeFeatures(s), cfg));
}

/** Where the prices came from, for `info`: --data as given (absolute), else the folder of the default files. */
export function describeDataSource(dataFlag: string | undefined, series: PriceSeries[]): string {
  if (dataFlag) return resolve(dataFlag);
  const dirs = [...new Set(series.map((s) => dirname(resolve(s.file))))];
  return dirs.length === 1 ? dirs[0] : series.map((s) => resolve(s.file)).join(', ');
}

/** The extras of the run's checkpoints (no bands yet) and of its final model (with them). */
export function stocksExtras(data: TickerWindows[], cfg: WalkForwardConfig, source: string, backtest?: Backtest): StocksExtras {
  return {
    model: forecasterConfig(cfg),
    features: [...FEATURE_NAMES],
    tickers: Object.fromEntries(
      data.map((tw, i) => [
        tw.ticker,
        {
          scaler: tw.scaler.toJSON() as StocksExtras['tickers'][string]['scaler'],
          lastDate: tw.table.dates[tw.table.dates.length - 1],
          ...(backtest ? { band: tickerBand(backtest, i, cfg.horizon) } : {}),
        },
      ]),
    ),
    data: source,
  };
}

/** The saved band of one ticker: its walk-forward error percentiles and, for a quantile model, its own coverage. */
function tickerBand(backtest: Backtest, i: number, horizon: number): StocksExtras['tickers'][string]['band'] {
  const band = errorBand(backtest.tickers[i], horizon);
  const coverage = quantileBandCoverage(backtest, i);
  return coverage === undefined ? band : { ...band, coverage };
}

export interface StocksRun extends TrainedRun {
  /** The final model (the caller disposes it); undefined when the run was interrupted. */
  model?: tf.LayersModel;
  backtest: Backtest;
  phases: WalkForwardResult['phases'];
  series: PriceSeries[];
}

/**
 * stocks' `train`: walk-forward backtest (fold 1 trained, later folds fine-tuned, each forecast before it is trained
 * on), then the final fine-tune on all windows, saved with its scalers, error bands and the backtest (backtest.json).
 * Prints the evaluation table, writes loss.svg (fold 1's curve) and the --plot chart.
 */
export async function trainStocks(cfg: StocksConfig, ctx: TrainContext<StocksConfig>): Promise<StocksRun> {
  if (cfg.maxSeconds !== undefined) throw new RnnkitError('--max-seconds is not supported by stocks; cap the run with --max-steps-per-epoch');
  const started = Date.now();
  // Phase 1: data. Scalers are fitted per ticker on rows before the first test origin (dataset.ts).
  setSeed(cfg.seed);
  const series = await loadSeries(cfg.data, cfg.tickers);
  for (const s of series) for (const note of s.notes) ctx.info(`note: ${note}`);
  const data = prepareWindows(series, cfg);
  const source = describeDataSource(cfg.data, series);
  ctx.info(`data: ${source}: ${series.map((s) => `${s.ticker} ${s.dates.length} days`).join(', ')}`);

  // Phase 2: walk-forward. Checkpoints record what resuming must match: model config, features, scalers, data.
  const settings = ctx.trainSettings(stocksExtras(data, cfg, source));
  const result = await walkForward(data, cfg, {
    outDir: ctx.runDir,
    // The rest of core's settings (epochs, early stopping, checkpoint dir, metrics log) differ per phase: walkForward's.
    settings: {
      resume: settings.resume, progress: settings.progress, startRecord: settings.startRecord, checkpointRecord: settings.checkpointRecord,
      // The scalers in the record only see rows before the first test origin: an edit after it needs the fingerprint.
      dataFingerprint: fingerprintFiles(series.map((s) => s.file)),
    },
    log: (line) => ctx.info(line),
  });
  const last = result.phases[result.phases.length - 1];
  if (result.interrupted) {
    result.model.dispose();
    ctx.info(`interrupted in phase ${last.name}: the walk-forward is incomplete, so no model/ was written; checkpoints kept in ${join(ctx.runDir, 'checkpoints')} (rerun with --resume)`);
    return { modelDir: ctx.modelDir, saved: false, result: last.result, backtest: result.backtest, phases: result.phases, series };
  }

  // Phase 3: the final model, with the bands of its walk-forward errors and the backtest that `evaluate` reads.
  const extras = stocksExtras(data, cfg, source, result.backtest);
  await saveModelDir(ctx.modelDir, result.model, ctx.modelRecord(extras, last.result), {
    files: { [BACKTEST_FILE]: JSON.stringify(result.backtest) },
  });
  const table = formatReport(evaluateBacktest(result.backtest));
  // The table is train's result; under --json stdout carries core's summary, so the table goes to stderr.
  if (ctx.json) ctx.info(table);
  else ctx.out(table);
  ctx.info(`walk-forward and final model: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const lossSvg = join(ctx.runDir, 'loss.svg');
  await writeFileAtomic(lossSvg, lossCurveSvg(result.phases[0].result.history, { title: 'Fold 1 training (scaled-return loss)' }));
  ctx.info(`wrote ${lossSvg} (fold-1 training curve)`);
  if (cfg.plot) ctx.info(await writeBacktestPlot(cfg.plot, result.backtest));
  return { modelDir: ctx.modelDir, result: result.phases[0].result, model: result.model, backtest: result.backtest, phases: result.phases, series };
}

/** Writes the next-day chart of `ticker` (default: the first) to `file`; returns the line saying so. */
export async function writeBacktestPlot(file: string, backtest: Backtest, ticker?: string, flag = '--ticker'): Promise<string> {
  const t = ticker ? backtest.tickers.find((b) => b.ticker === normalizeTicker(ticker)) : backtest.tickers[0];
  if (!t) throw new RnnkitError(`${flag} ${ticker}: not in this backtest (${backtest.tickers.map((b) => b.ticker).join(', ')})`);
  mkdirSync(dirname(resolve(file)), { recursive: true });
  await writeFileAtomic(file, backtestChartSvg(t, backtest.quantileLevels));
  return `wrote ${file} (${t.ticker})`;
}
