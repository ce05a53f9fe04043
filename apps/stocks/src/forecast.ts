/**
 * Forecasts the next days of one ticker from its recent prices, with an uncertainty band taken from the
 * walk-forward errors: for day d, the 10th and 90th percentiles of (actual − forecast) cumulative log return over
 * d days on the backtest's test origins, applied around the point forecast. No Node APIs (the predictor runs it).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError, StandardScaler, runModel } from '@rnnkit/core/browser';
import type { TickerBacktest } from './backtest.js';
import type { FeatureTable } from './data/features.js';
import type { ErrorBand, ForecasterConfig, TickerExtras } from './extras.js';

export type { ErrorBand };

export const BAND_PERCENTILES = [10, 90] as const;

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

const forecastDaySchema = z.strictObject({
  /** Trading days after the last price (1 = the next one). */
  day: z.number().int().min(1),
  close: z.number(),
  /** The band around `close`: the 10th and 90th percentiles of the walk-forward errors applied to the forecast. */
  low: z.number(),
  high: z.number(),
  /** The forecast log return of this day (the close is the last close times exp of the cumulative return). */
  logReturn: z.number(),
});
export type ForecastDay = z.output<typeof forecastDaySchema>;

/** The predictor's output (a schema, so servers and tests can check it). */
export const stocksOutputSchema = z.strictObject({
  ticker: z.string(),
  /** The last price the forecast starts from, and its date (null when the input had no dates). */
  lastClose: z.number(),
  lastDate: z.string().nullable(),
  days: z.array(forecastDaySchema).min(1),
  /** Which percentiles of the walk-forward errors the band spans, and on how many test days they were estimated. */
  band: z.strictObject({ percentiles: z.tuple([z.number(), z.number()]), samples: z.number().int().min(0) }),
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
  const scaled = tf.tidy(() => runModel(net, tf.tensor3d([window]))[0].arraySync() as number[][])[0];
  const returns = scaler.inverseTransformColumn(scaled, 0);
  const lastClose = table.close[table.close.length - 1];
  const { band } = saved;
  let cum = 0;
  const out: ForecastDay[] = [];
  for (let d = 1; d <= days; d++) {
    cum += returns[d - 1];
    out.push({
      day: d,
      close: lastClose * Math.exp(cum),
      low: lastClose * Math.exp(cum + band.low[d - 1]),
      high: lastClose * Math.exp(cum + band.high[d - 1]),
      logReturn: returns[d - 1],
    });
  }
  return {
    ticker: table.ticker,
    lastClose,
    lastDate: table.dates[table.dates.length - 1] || null,
    days: out,
    band: { percentiles: [...BAND_PERCENTILES], samples: band.samples },
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
    `Band: percentiles of the model's cumulative walk-forward errors on ${f.band.samples} test days for this ticker.`,
  ];
  return lines.join('\n');
}
