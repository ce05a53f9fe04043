// Benchmark statistics next to core's order statistics (median, quantile, spread): the per-round ratios of two
// sides measured in alternation, and rounding for JSON lines and tables.
import type { Spread } from '@rnnkit/core';

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
