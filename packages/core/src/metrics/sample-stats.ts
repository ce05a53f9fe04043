// Order statistics of a sample of measurements (timings, lengths): median, linear-interpolation quantiles, and the
// spread summary (quartiles, IQR, extremes) that noisy measurements need next to their median.
import { RnnkitError } from '../errors.js';

export interface Spread {
  n: number;
  median: number;
  /** First and third quartiles (linear interpolation between order statistics, as numpy's default). */
  q1: number;
  q3: number;
  iqr: number;
  min: number;
  max: number;
}

function checkSamples(values: number[], what: string): number[] {
  if (values.length === 0) throw new RnnkitError(`${what}: no samples`);
  if (values.some((v) => !Number.isFinite(v))) throw new RnnkitError(`${what}: samples must be finite numbers`);
  return [...values].sort((a, b) => a - b);
}

/** The q-quantile (0 ≤ q ≤ 1) of already sorted values, interpolating linearly between neighbours. */
function sortedQuantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function quantile(values: number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RnnkitError(`quantile: q must be in [0, 1], got ${q}`);
  return sortedQuantile(checkSamples(values, 'quantile'), q);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Median, quartiles, interquartile range and extremes of a sample. */
export function spread(values: number[]): Spread {
  const sorted = checkSamples(values, 'spread');
  const q1 = sortedQuantile(sorted, 0.25);
  const q3 = sortedQuantile(sorted, 0.75);
  return { n: sorted.length, median: sortedQuantile(sorted, 0.5), q1, q3, iqr: q3 - q1, min: sorted[0], max: sorted[sorted.length - 1] };
}
