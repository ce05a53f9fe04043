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
