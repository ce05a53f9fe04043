/**
 * Forecasts the next days of one ticker from its recent prices, with an uncertainty band:
 * - a quantile model (pinball loss, the default) gives its own quantiles of the cumulative return to each day; the
 *   band is its 10% and 90% quantile and the forecast its median;
 * - a point model (--loss mae|mse) gives one path; its band is, for day d, the 10th and 90th percentiles of
 *   (actual − forecast) cumulative log return over d days on the backtest's test origins, applied around the forecast.
 * No Node APIs (the predictor runs it).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError, StandardScaler, centralIntervalIndices, intervalCoverage, runModel } from '@rnnkit/core/browser';
import type { Backtest, TickerBacktest } from './backtest.js';
import type { FeatureTable } from './data/features.js';
import { BAND_PERCENTILES, BAND_SOURCES, describeBand } from './band.js';
import type { ErrorBand, ForecasterConfig, TickerExtras } from './extras.js';
import { unscaleCumulative } from './model.js';

export type { ErrorBand };


function percentile(sorted: number[], p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function errorBand(t: TickerBacktest, horizon: number): ErrorBand {
  const low: number[] = [];
  const high: number[] = [];
  let samples = 0;
  for (let d = 1; d <= horizon; d++) {
    const errors: number[] = [];
    t.actual.forEach((actual, i) => {
      if (actual.length < d) return;
      const cum = (r: number[]) => r.slice(0, d).reduce((a, b) => a + b, 0);
      errors.push(cum(actual) - cum(t.forecasts.model[i]));
    });
    errors.sort((a, b) => a - b);
    low.push(percentile(errors, BAND_PERCENTILES[0]));
    high.push(percentile(errors, BAND_PERCENTILES[1]));
    if (d === 1) samples = errors.length;
  }
  return { low, high, samples };
}

/**
 * Next-day coverage of the band a quantile model shows (its 10%..90% quantiles) on ticker i's walk-forward test
 * days; undefined for a point model.
 */
export function quantileBandCoverage(backtest: Backtest, i: number): number | undefined {
  const t = backtest.tickers[i];
  const pair = backtest.quantileLevels && centralIntervalIndices(backtest.quantileLevels, 0.8);
  if (!t.quantiles || !pair || t.actual.length === 0) return undefined;
  const [lo, hi] = pair;
  return intervalCoverage(t.actual.map((a) => a[0]), t.quantiles.map((q) => q[0][lo]), t.quantiles.map((q) => q[0][hi]));
}

const forecastDaySchema = z.strictObject({
  /** Trading days after the last price (1 = the next one). */
  day: z.number().int().min(1),
  /** The forecast close (a quantile model's median). */
  close: z.number(),
  /** The band around `close`: the 10% and 90% quantiles of the close (see the output's band.source). */
  low: z.number(),
  high: z.number(),
  /** The forecast log return of this day (the close is the last close times exp of the cumulative return). */
  logReturn: z.number(),
  /** The close at each of the output's `quantileLevels`. */
  quantiles: z.array(z.number()).min(2),
});
export type ForecastDay = z.output<typeof forecastDaySchema>;

/** The predictor's output (a schema, so servers and tests can check it). */
export const stocksOutputSchema = z.strictObject({
  ticker: z.string(),
  /** The last price the forecast starts from, and its date (null when the input had no dates). */
  lastClose: z.number(),
  lastDate: z.string().nullable(),
  days: z.array(forecastDaySchema).min(1),
  /** Levels of days[].quantiles: the model's own (quantile model), or 0.1 and 0.9 of its errors (point model). */
  quantileLevels: z.array(z.number()).min(2),
  /**
   * The band's percentiles and where it comes from. samples: the walk-forward test days behind it (the errors'
   * percentiles, or the days the quantile model was checked on); coverage: share of those next-day closes inside
   * the quantile model's band.
   */
  band: z.strictObject({
    percentiles: z.tuple([z.number(), z.number()]),
    samples: z.number().int().min(0),
    source: z.enum(BAND_SOURCES),
    coverage: z.number().min(0).max(1).optional(),
  }),
});
export type StocksOutput = z.output<typeof stocksOutputSchema>;

/**
 * The next `days` closes after the last row of `table` (whose features must cover at least `model.lookback` rows),
 * with the ticker's saved scaler and error band.
 */
export function forecastFromFeatures(
  net: tf.LayersModel,
  table: FeatureTable,
  model: ForecasterConfig,
  saved: TickerExtras & { band: ErrorBand },
  days: number,
): StocksOutput {
  if (days > model.horizon) {
    throw new RnnkitError(`days ${days}: this model forecasts at most ${model.horizon} days (retrain with --horizon ${days})`);
  }
  if (table.features.length < model.lookback) {
    throw new RnnkitError(`${table.file}: ${table.features.length} feature rows, the model needs ${model.lookback}`);
  }
  const scaler = StandardScaler.fromJSON(saved.scaler, `${table.ticker} scaler`);
  const window = scaler.transform(table.features.slice(-model.lookback));
  const unscale = (row: number[]) => scaler.inverseTransformColumn(row, 0);
  const lastClose = table.close[table.close.length - 1];
  const price = (cumulative: number) => lastClose * Math.exp(cumulative);
  const { band } = saved;
  const levels = model.quantiles ?? BAND_PERCENTILES.map((p) => p / 100);
  // Cumulative log returns per day: the path forecast, and the values at `levels`.
  let path: number[];
  let atLevels: number[][];
  if (model.quantiles) {
    const scaled = tf.tidy(() => runModel(net, tf.tensor3d([window]))[0].arraySync() as number[][][])[0];
    atLevels = unscaleCumulative(unscale, scaled);
    const median = model.quantiles.indexOf(0.5);
    path = atLevels.map((q) => q[median]);
  } else {
    const scaled = tf.tidy(() => runModel(net, tf.tensor3d([window]))[0].arraySync() as number[][])[0];
    const returns = unscale(scaled);
    path = returns.map((_, d) => returns.slice(0, d + 1).reduce((a, b) => a + b, 0));
    atLevels = path.map((cum, d) => [cum + band.low[d], cum + band.high[d]]);
  }
  const [lo, hi] = [levels.indexOf(BAND_PERCENTILES[0] / 100), levels.indexOf(BAND_PERCENTILES[1] / 100)];
  const out: ForecastDay[] = [];
  for (let d = 1; d <= days; d++) {
    const q = atLevels[d - 1];
    out.push({
      day: d,
      close: price(path[d - 1]),
      low: price(q[lo]),
      high: price(q[hi]),
      logReturn: d === 1 ? path[0] : path[d - 1] - path[d - 2],
      quantiles: q.map(price),
    });
  }
  return {
    ticker: table.ticker,
    lastClose,
    lastDate: table.dates[table.dates.length - 1] || null,
    days: out,
    quantileLevels: [...levels],
    band: {
      percentiles: [...BAND_PERCENTILES],
      samples: band.samples,
      source: model.quantiles ? 'model-quantiles' : 'walk-forward-errors',
      ...(band.coverage !== undefined ? { coverage: band.coverage } : {}),
    },
  };
}

export function formatForecast(f: StocksOutput): string {
  const [lo, hi] = f.band.percentiles;
  const lines = [
    `${f.ticker}: last close ${f.lastClose.toFixed(2)}${f.lastDate ? ` on ${f.lastDate}` : ''}`,
    `trading day  forecast  ${lo}%..${hi}% band  log return`,
    ...f.days.map(
      (d) =>
        `+${String(d.day).padEnd(11)} ${d.close.toFixed(2).padStart(8)}  ${`${d.low.toFixed(2)}..${d.high.toFixed(2)}`.padStart(16)}  ` +
        `${d.logReturn >= 0 ? '+' : ''}${d.logReturn.toFixed(5)}`,
    ),
    `${describeBand(f.band)[0].toUpperCase()}${describeBand(f.band).slice(1)}.`,
  ];
  return lines.join('\n');
}
