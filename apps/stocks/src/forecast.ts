/**
 * Forecasts the next days of one ticker from a trained model directory, with an uncertainty band taken from the
 * walk-forward errors: for day d, the 10th and 90th percentiles of (actual − forecast) cumulative log return over
 * d days on the backtest's test origins, applied around the point forecast.
 */
import * as tf from '@tensorflow/tfjs';
import { RnnkitError, StandardScaler, runModel, type ScalerJSON } from '@rnnkit/core';
import { computeFeatures } from './data/features.js';
import type { PriceSeries } from './data/prices.js';
import type { StocksConfig, TickerBacktest } from './train.js';

export interface ErrorBand {
  /** Per forecast day d (index d-1): percentiles of the cumulative log-return error. */
  low: number[];
  high: number[];
  /** Test origins the band was estimated from. */
  samples: number;
}

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

export interface ForecastDay {
  day: number;
  close: number;
  low: number;
  high: number;
  logReturn: number;
}

export interface ForecastResult {
  ticker: string;
  lastDate: string;
  lastClose: number;
  days: ForecastDay[];
}

export function forecastTicker(
  model: tf.LayersModel,
  series: PriceSeries,
  cfg: StocksConfig,
  scalerJSON: ScalerJSON,
  band: ErrorBand,
  days: number,
): ForecastResult {
  if (days > cfg.horizon) {
    throw new RnnkitError(`--days ${days}: this model forecasts at most ${cfg.horizon} days (retrain with --horizon ${days})`);
  }
  const table = computeFeatures(series);
  if (table.features.length < cfg.lookback) {
    throw new RnnkitError(`${series.file}: needs at least ${cfg.lookback + 21} rows to forecast, has ${series.dates.length}`);
  }
  const scaler = StandardScaler.fromJSON(scalerJSON, `${series.ticker} scaler`);
  const window = scaler.transform(table.features.slice(-cfg.lookback));
  const scaled = tf.tidy(() => runModel(model, tf.tensor3d([window]))[0].arraySync() as number[][])[0];
  const returns = scaler.inverseTransformColumn(scaled, 0);
  const lastClose = table.close[table.close.length - 1];
  let cum = 0;
  const out: ForecastDay[] = [];
  for (let d = 1; d <= days; d++) {
    cum += returns[d - 1];
    out.push({
      day: d,
      logReturn: returns[d - 1],
      close: lastClose * Math.exp(cum),
      low: lastClose * Math.exp(cum + band.low[d - 1]),
      high: lastClose * Math.exp(cum + band.high[d - 1]),
    });
  }
  return { ticker: series.ticker, lastDate: table.dates[table.dates.length - 1], lastClose, days: out };
}

export function formatForecast(f: ForecastResult, band: ErrorBand): string {
  const lines = [
    `${f.ticker}: last close ${f.lastClose.toFixed(2)} on ${f.lastDate}`,
    `trading day  forecast  ${BAND_PERCENTILES[0]}%..${BAND_PERCENTILES[1]}% band  log return`,
    ...f.days.map(
      (d) =>
        `+${String(d.day).padEnd(11)} ${d.close.toFixed(2).padStart(8)}  ${`${d.low.toFixed(2)}..${d.high.toFixed(2)}`.padStart(16)}  ` +
        `${d.logReturn >= 0 ? '+' : ''}${d.logReturn.toFixed(5)}`,
    ),
    `Band: percentiles of the model's cumulative walk-forward errors on ${band.samples} test days for this ticker.`,
  ];
  return lines.join('\n');
}
