// Summary statistics for the benchmark: on a shared, noisy machine a single median hides how far apart
// runs minutes apart land, so every figure is reported with its interquartile range and its extremes.

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
  if (values.length === 0) throw new Error(`${what}: no samples`);
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`${what}: samples must be finite numbers`);
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
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  return sortedQuantile(checkSamples(values, 'quantile'), q);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function spread(values: number[]): Spread {
  const sorted = checkSamples(values, 'spread');
  const q1 = sortedQuantile(sorted, 0.25);
  const q3 = sortedQuantile(sorted, 0.75);
  return { n: sorted.length, median: sortedQuantile(sorted, 0.5), q1, q3, iqr: q3 - q1, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * Per-round ratios a[i] / b[i] of two sides measured in alternation (round i of one side next to round i of the
 * other), so that load that comes and goes hits both sides of a ratio alike.
 */
export function pairedRatios(a: number[], b: number[]): number[] {
  if (a.length !== b.length) throw new Error(`pairedRatios: ${a.length} rounds on one side, ${b.length} on the other`);
  return a.map((x, i) => {
    if (!(b[i] > 0)) throw new Error(`pairedRatios: round ${i + 1} has a non-positive denominator ${b[i]}`);
    return x / b[i];
  });
}

export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** A spread with every figure rounded, for JSON lines and tables. */
export function roundSpread(s: Spread, digits = 1): Spread {
  return {
    n: s.n,
    median: round(s.median, digits),
    q1: round(s.q1, digits),
    q3: round(s.q3, digits),
    iqr: round(s.iqr, digits),
    min: round(s.min, digits),
    max: round(s.max, digits),
  };
}
