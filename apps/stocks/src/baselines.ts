/**
 * Baselines, expressed like the model's output: the next `horizon` log returns forecast at an origin row,
 * using only rows up to the origin.
 *   naive — every return 0, i.e. every future price equals today's close (random walk).
 *   drift — every return equals the mean log return of the history up to the origin (the straight line from the
 *           first to the last known close, extended).
 *   sma   — every future price equals the mean of the last `smaWindow` closes: the first return is
 *           ln(SMA / close), later ones 0.
 */
import type { FeatureTable } from './data/features.js';

export const BASELINES = ['naive', 'drift', 'sma'] as const;
export type BaselineName = (typeof BASELINES)[number];

export function baselineReturns(
  name: BaselineName,
  table: FeatureTable,
  origin: number,
  horizon: number,
  smaWindow: number,
): number[] {
  switch (name) {
    case 'naive':
      return Array(horizon).fill(0);
    case 'drift': {
      // Row 0's return is a real return too (the warm-up rows precede it), so rows 0..origin are all history.
      let sum = 0;
      for (let t = 0; t <= origin; t++) sum += table.returns[t];
      return Array(horizon).fill(sum / (origin + 1));
    }
    case 'sma': {
      const from = Math.max(0, origin - smaWindow + 1);
      const closes = table.close.slice(from, origin + 1);
      const sma = closes.reduce((a, b) => a + b, 0) / closes.length;
      return [Math.log(sma / table.close[origin]), ...Array(horizon - 1).fill(0)];
    }
  }
}

/**
 * Daily volatility known at the origin, for the interval baselines (naive median 0, Gaussian quantiles σ·√d·z):
 *   vol60 — sample standard deviation of the last `window` daily log returns up to the origin;
 *   ewma  — RiskMetrics' exponentially weighted volatility, σ²ₜ = λσ²ₜ₋₁ + (1 − λ)r²ₜ, started from the mean
 *           square of the first `window` returns.
 */
export const VOLATILITY_BASELINES = ['vol60', 'ewma'] as const;
export type VolatilityBaseline = (typeof VOLATILITY_BASELINES)[number];

export function trailingVolatility(returns: ArrayLike<number>, origin: number, window: number): number {
  const from = Math.max(0, origin - window + 1);
  const n = origin - from + 1;
  if (n < 2) return Math.abs(returns[origin]);
  let mean = 0;
  for (let t = from; t <= origin; t++) mean += returns[t] / n;
  let ss = 0;
  for (let t = from; t <= origin; t++) ss += (returns[t] - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

export function ewmaVolatility(returns: ArrayLike<number>, origin: number, lambda: number, window: number): number {
  const start = Math.min(window, origin + 1);
  let variance = 0;
  for (let t = 0; t < start; t++) variance += returns[t] ** 2 / start;
  for (let t = start; t <= origin; t++) variance = lambda * variance + (1 - lambda) * returns[t] ** 2;
  return Math.sqrt(variance);
}
