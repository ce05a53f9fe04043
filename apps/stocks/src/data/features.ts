/**
 * Price rows → model features. Every feature on day t uses prices up to and including day t only, so a window
 * that ends on day t never sees the future. Rows are trading days: a weekend, holiday or missing day is not
 * filled in — the return on the next row simply spans the gap (see README, "Gaps").
 */
import type { PriceSeries } from './prices.js';

/** Days of history the longest rolling feature needs before the first feature row. */
export const WARMUP = 20;

export const FEATURE_NAMES = [
  'logReturn', // ln(C_t / C_{t-1}) — also the prediction target, one row later
  'logRange', // ln(H_t / L_t), the day's high-low range
  'logBody', // ln(C_t / O_t), close versus open
  'logVolumeChange', // ln((V_t + 1) / (V_{t-1} + 1)); +1 keeps zero-volume days finite
  'meanReturn5',
  'meanReturn20',
  'volatility5', // population std of the last 5 log returns
  'volatility20',
  'closeVsSma20', // ln(C_t / mean of the last 20 closes)
] as const;

export interface FeatureTable {
  ticker: string;
  /** The price file the table was computed from (for error messages). */
  file: string;
  /** Date, close and features of each feature row (price rows WARMUP..n-1). */
  dates: string[];
  close: number[];
  features: number[][];
  /** logReturn of each feature row (column 0), kept separately because targets are built from it. */
  returns: number[];
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function std(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
}

export function computeFeatures(series: PriceSeries): FeatureTable {
  const { open, high, low, close, volume } = series;
  const n = close.length;
  const logReturn = close.map((c, t) => (t === 0 ? 0 : Math.log(c / close[t - 1])));
  const table: FeatureTable = { ticker: series.ticker, file: series.file, dates: [], close: [], features: [], returns: [] };
  for (let t = WARMUP; t < n; t++) {
    const last5 = logReturn.slice(t - 4, t + 1);
    const last20 = logReturn.slice(t - 19, t + 1);
    const sma20 = mean(close.slice(t - 19, t + 1));
    table.features.push([
      logReturn[t],
      Math.log(high[t] / low[t]),
      Math.log(close[t] / open[t]),
      Math.log((volume[t] + 1) / (volume[t - 1] + 1)),
      mean(last5),
      mean(last20),
      std(last5),
      std(last20),
      Math.log(close[t] / sma20),
    ]);
    table.dates.push(series.dates[t]);
    table.close.push(close[t]);
    table.returns.push(logReturn[t]);
  }
  return table;
}
