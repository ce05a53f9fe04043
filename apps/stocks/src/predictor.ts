/**
 * stocks' predictor: a ticker's recent daily prices in, the next closes with their quantiles and band out.
 * It works from the input prices alone; reading price files is the CLI's job (`predict`'s argument, `forecast`).
 * No Node APIs here or in what it imports: a page builds it with `predictorFromArtifacts(await loadModelFromUrl(url))`;
 * Node reads a directory with `loadStocksModel` (load-model.ts). Both go through `stocksFromAppModel`.
 */
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  RnnkitError, appModelFromArtifacts, createPredictor, type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { computeFeatures, FEATURE_NAMES, WARMUP } from './data/features.js';
import type { PriceSeries } from './data/prices.js';
import { normalizeTicker } from './data/tickers.js';
import { stocksExtrasSchema, type ErrorBand, type ForecasterConfig, type StocksExtras, type TickerExtras } from './extras.js';
import { exampleInput } from './example.js';
import { forecastFromFeatures, type StocksOutput } from './forecast.js';
import { forecasterOutputShape } from './model.js';

export const STOCKS_APP = 'stocks';

/** Most price rows one input may hold (^GSPC's full history from 1982 is about 10,500). */
export const MAX_INPUT_ROWS = 100_000;

export interface LoadedStocks {
  dir: string;
  model: tf.LayersModel;
  config: ForecasterConfig;
  /** Every ticker the model was trained on, with its scaler and error band. */
  tickers: Record<string, TickerExtras & { band: ErrorBand }>;
  extras: StocksExtras;
}

/**
 * A loaded stocks model (from a directory or from fetched files, its extras validated by `stocksExtrasSchema`),
 * once the extras are checked against this version's features and the network's shapes. Disposes the model when a
 * check fails.
 */
export function stocksFromAppModel(loaded: LoadedAppModel<StocksExtras>): LoadedStocks {
  const source = `${loaded.dir}/rnnkit.json`;
  try {
    const { extras } = loaded;
    const config = extras.model;
    if (JSON.stringify(extras.features) !== JSON.stringify(FEATURE_NAMES)) {
      throw new RnnkitError(
        `${source}: field "extras.features": the model was trained on features ${extras.features.join(',')}; ` +
          `this version computes ${FEATURE_NAMES.join(',')}: retrain`,
      );
    }
    const inShape = JSON.stringify(loaded.model.inputs[0]?.shape);
    const outShape = JSON.stringify(loaded.model.outputs[0]?.shape);
    if (inShape !== JSON.stringify([null, config.lookback, config.numFeatures]) || outShape !== JSON.stringify(forecasterOutputShape(config))) {
      const levels = config.quantiles ? `, ${config.quantiles.length} quantile levels` : '';
      throw new RnnkitError(
        `${source}: extras.model (lookback ${config.lookback}, ${config.numFeatures} features, horizon ${config.horizon}${levels}) ` +
          `does not match the network in model.json (input ${inShape}, output ${outShape})`,
      );
    }
    const tickers: LoadedStocks['tickers'] = {};
    for (const [ticker, t] of Object.entries(extras.tickers)) {
      if (!t.band) {
        throw new RnnkitError(
          `${source}: field "extras.tickers.${ticker}.band" is missing: a checkpoint of an unfinished walk-forward; use the run's model/ directory`,
        );
      }
      tickers[ticker] = { ...t, band: t.band };
    }
    return { dir: loaded.dir, model: loaded.model, config, tickers, extras };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const isoDate = z.string().regex(ISO_DATE, 'must be a date in YYYY-MM-DD form');
const prices = z.array(z.number().positive()).max(MAX_INPUT_ROWS);
const ROW_FIELDS = ['opens', 'highs', 'lows', 'volumes', 'dates'] as const;

/**
 * The predictor input: one ticker's daily prices, oldest first, every array as long as `closes`. The features use
 * open, high, low, close and volume (features.ts), so all five are required. This schema checks the shape; the
 * loaded model's `inputSchema` (`stocksInputSchemaFor`) adds what depends on it (enough rows, days, ticker).
 */
export const stocksInputSchema = z
  .strictObject({
    /** One of the tickers the model was trained on (each has its own scaler); optional when the model has one. */
    ticker: z.string().min(1).max(32).optional(),
    /** ISO dates of the rows (optional; the last one is reported as the forecast's starting day). */
    dates: z.array(isoDate).max(MAX_INPUT_ROWS).optional(),
    opens: prices,
    highs: prices,
    lows: prices,
    closes: prices.min(WARMUP + 1),
    volumes: z.array(z.number().min(0)).max(MAX_INPUT_ROWS),
    /** Trading days to forecast, 1..the model's horizon (default: the horizon). */
    days: z.number().int().min(1).optional(),
  })
  .superRefine((input, ctx) => {
    const n = input.closes.length;
    for (const field of ROW_FIELDS) {
      const values = input[field];
      if (values !== undefined && values.length !== n) {
        ctx.addIssue({ code: 'custom', path: [field], message: `must have one value per row of "closes" (${n}), has ${values.length}` });
        return;
      }
    }
    // The same consistency as the price files (prices.ts): Open and Close lie within the day's Low..High.
    for (let i = 0; i < n; i++) {
      const [open, high, low, close] = [input.opens[i], input.highs[i], input.lows[i], input.closes[i]];
      const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field, i], message });
      if (low > high) issue('lows', `is above highs[${i}] (${high})`);
      else if (close > high) issue('closes', `is above highs[${i}] (${high})`);
      else if (close < low) issue('closes', `is below lows[${i}] (${low})`);
      else if (open > high) issue('opens', `is above highs[${i}] (${high})`);
      else if (open < low) issue('opens', `is below lows[${i}] (${low})`);
      else continue;
      return;
    }
    const dates = input.dates ?? [];
    for (let i = 1; i < dates.length; i++) {
      if (dates[i] <= dates[i - 1]) {
        ctx.addIssue({ code: 'custom', path: ['dates', i], message: `must come after dates[${i - 1}] (${dates[i - 1]}): rows are oldest first, one per day` });
        return;
      }
    }
  });

export type StocksInput = z.input<typeof stocksInputSchema>;

/** The input schema of one model: `stocksInputSchema` plus enough rows for its lookback, its horizon and tickers. */
export function stocksInputSchemaFor(model: { lookback: number; horizon: number; tickers: string[] }) {
  const minRows = model.lookback + WARMUP;
  const trained = model.tickers.join(', ');
  return stocksInputSchema.superRefine((input, ctx) => {
    if (input.closes.length < minRows) {
      ctx.addIssue({
        code: 'custom',
        path: ['closes'],
        message: `needs at least ${minRows} daily prices for this model (${WARMUP} warm-up days of the rolling features + lookback ${model.lookback}), has ${input.closes.length}`,
      });
    }
    if (input.days !== undefined && input.days > model.horizon) {
      ctx.addIssue({ code: 'custom', path: ['days'], message: `this model forecasts at most ${model.horizon} days (retrain with --horizon ${input.days})` });
    }
    if (input.ticker !== undefined && !model.tickers.includes(normalizeTicker(input.ticker))) {
      ctx.addIssue({ code: 'custom', path: ['ticker'], message: `the model was trained on ${trained}` });
    } else if (input.ticker === undefined && model.tickers.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['ticker'], message: `required: the model was trained on ${trained}, each with its own scaler` });
    }
  });
}

/** A price series (as the CLI reads it from a file) as a predictor input. */
export function inputFromSeries(series: PriceSeries, days?: number): StocksInput {
  return {
    ticker: series.ticker,
    dates: series.dates,
    opens: series.open,
    highs: series.high,
    lows: series.low,
    closes: series.close,
    volumes: series.volume,
    ...(days !== undefined ? { days } : {}),
  };
}

export type { StocksOutput };
/** A small valid input (example.ts: AAPL's last 50 days in the bundled data). */
export { exampleInput };

/** The stocks predictor: prices in, the next closes with their quantiles and 10%..90% band out. */
export function stocksPredictor(loaded: LoadedStocks): Predictor<z.output<typeof stocksInputSchema>, StocksOutput> {
  const tickers = Object.keys(loaded.tickers);
  const schema = stocksInputSchemaFor({ lookback: loaded.config.lookback, horizon: loaded.config.horizon, tickers });
  return createPredictor(
    STOCKS_APP,
    schema,
    (input) => {
      const ticker = input.ticker === undefined ? tickers[0] : normalizeTicker(input.ticker);
      const n = input.closes.length;
      const series: PriceSeries = {
        ticker, file: 'input', dates: input.dates ?? new Array<string>(n).fill(''),
        open: input.opens, high: input.highs, low: input.lows, close: input.closes, volume: input.volumes,
        lines: [], notes: [],
      };
      return forecastFromFeatures(loaded.model, computeFeatures(series), loaded.config, loaded.tickers[ticker], input.days ?? loaded.config.horizon);
    },
    () => loaded.model.dispose(),
  );
}

/**
 * The predictor of a model a page fetched (`loadModelFromUrl`) or read into memory (`loadModelFromArtifacts`):
 * refuses another app's model and invalid extras, disposing the model.
 */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof stocksInputSchema>, StocksOutput> {
  return stocksPredictor(stocksFromAppModel(appModelFromArtifacts(loaded, STOCKS_APP, stocksExtrasSchema)));
}
