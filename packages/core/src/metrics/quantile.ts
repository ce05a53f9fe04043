/**
 * Metrics of probabilistic forecasts given as quantiles: every forecast is a row of values at the same increasing
 * quantile levels (e.g. 0.1, 0.5, 0.9). Pinball (quantile) loss, coverage of central intervals, and the CRPS
 * approximated from the quantiles, plus the standard normal quantile function that Gaussian baselines need.
 */
import { RnnkitError } from '../errors.js';
import { checkFinite, checkPair } from './validate.js';

type Values = ArrayLike<number>;

/** Throws unless `levels` is a non-empty, strictly increasing list inside (0, 1). */
export function checkQuantileLevels(what: string, levels: Values): void {
  if (levels.length === 0) throw new RnnkitError(`${what}: no quantile levels given`);
  for (let k = 0; k < levels.length; k++) {
    const level = levels[k];
    if (!(level > 0 && level < 1)) throw new RnnkitError(`${what}: quantile level ${level} (levels[${k}]) must lie strictly between 0 and 1`);
    if (k > 0 && !(level > levels[k - 1])) throw new RnnkitError(`${what}: quantile levels must increase, but levels[${k}] = ${level} follows ${levels[k - 1]}`);
  }
}

function checkQuantiles(what: string, yTrue: Values, quantiles: ArrayLike<Values>, levels: Values): void {
  checkQuantileLevels(what, levels);
  checkPair(what, yTrue, quantiles, ['yTrue', 'quantiles']);
  checkFinite(what, yTrue, 'yTrue');
  for (let i = 0; i < quantiles.length; i++) {
    const row = quantiles[i];
    if (row.length !== levels.length) throw new RnnkitError(`${what}: quantiles[${i}] has ${row.length} values for ${levels.length} levels`);
    checkFinite(what, row, `quantiles[${i}]`);
  }
}

/** The pinball loss of one quantile forecast q at level tau: tau·(y − q) when y ≥ q, else (1 − tau)·(q − y). */
export function pinball(y: number, q: number, tau: number): number {
  const diff = y - q;
  return diff >= 0 ? tau * diff : (tau - 1) * diff;
}

/** Mean pinball loss over every forecast and every level (each level weighted equally). */
export function meanPinball(yTrue: Values, quantiles: ArrayLike<Values>, levels: Values): number {
  checkQuantiles('meanPinball', yTrue, quantiles, levels);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    for (let k = 0; k < levels.length; k++) sum += pinball(yTrue[i], quantiles[i][k], levels[k]);
  }
  return sum / (yTrue.length * levels.length);
}

/** Share of values inside [lower, upper] (bounds included). */
export function intervalCoverage(yTrue: Values, lower: Values, upper: Values): number {
  checkPair('intervalCoverage', yTrue, lower, ['yTrue', 'lower']);
  checkPair('intervalCoverage', yTrue, upper, ['yTrue', 'upper']);
  for (const [name, v] of [['yTrue', yTrue], ['lower', lower], ['upper', upper]] as const) checkFinite('intervalCoverage', v, name);
  let inside = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (lower[i] > upper[i]) throw new RnnkitError(`intervalCoverage: lower[${i}] = ${lower[i]} is above upper[${i}] = ${upper[i]}`);
    if (yTrue[i] >= lower[i] && yTrue[i] <= upper[i]) inside++;
  }
  return inside / yTrue.length;
}

/**
 * The levels of the central interval of nominal coverage `coverage` (0.8 → [0.1, 0.9]) as indices into `levels`,
 * or undefined when either level is not among them (compared to 1e-9).
 */
export function centralIntervalIndices(levels: Values, coverage: number): [number, number] | undefined {
  const find = (p: number) => Array.from(levels).findIndex((l) => Math.abs(l - p) < 1e-9);
  const lo = find((1 - coverage) / 2);
  const hi = find((1 + coverage) / 2);
  return lo >= 0 && hi >= 0 ? [lo, hi] : undefined;
}

/**
 * Weights of the levels in the CRPS approximation: each level stands for the part of (0, 1) closer to it than to
 * its neighbours (the first down to 0, the last up to 1). They sum to 1; for levels symmetric around 0.5 the
 * weighted mean level is 0.5, so a point forecast (all quantiles equal) scores exactly its absolute error, as the
 * true CRPS does.
 */
export function crpsLevelWeights(levels: Values): number[] {
  checkQuantileLevels('crpsLevelWeights', levels);
  const n = levels.length;
  return Array.from({ length: n }, (_, k) => {
    const from = k === 0 ? 0 : (levels[k - 1] + levels[k]) / 2;
    const to = k === n - 1 ? 1 : (levels[k] + levels[k + 1]) / 2;
    return to - from;
  });
}

/**
 * Mean CRPS approximated from quantiles. The CRPS equals 2·∫₀¹ pinball_τ(y, Q(τ)) dτ; here the integral is a sum
 * over the given levels with `crpsLevelWeights`. The approximation is coarse in the tails, so compare methods only
 * at the same levels.
 */
export function crpsFromQuantiles(yTrue: Values, quantiles: ArrayLike<Values>, levels: Values): number {
  checkQuantiles('crpsFromQuantiles', yTrue, quantiles, levels);
  const weights = crpsLevelWeights(levels);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    for (let k = 0; k < levels.length; k++) sum += 2 * weights[k] * pinball(yTrue[i], quantiles[i][k], levels[k]);
  }
  return sum / yTrue.length;
}

// Coefficients of P. J. Acklam's rational approximation of the inverse normal CDF (relative error below 1.2e-9).
const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** The standard normal quantile Φ⁻¹(p) for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RnnkitError(`normalQuantile: p must lie strictly between 0 and 1, got ${p}`);
  const poly = (c: number[], x: number) => c.reduce((acc, v) => acc * x + v, 0);
  if (p < P_LOW || p > 1 - P_LOW) {
    // Tails: in terms of q = sqrt(-2 ln(min(p, 1 - p))), with the sign of p - 0.5.
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const x = poly(C, q) / (poly(D, q) * q + 1);
    return p < 0.5 ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(A, r) * q) / (poly(B, r) * r + 1);
}
