import { RnnkitError } from '../errors.js';

export interface SlidingWindowOptions {
  /** Steps between the starts of consecutive windows (default 1). */
  stride?: number;
  /** Feature columns predicted in the horizon (default: all columns). */
  targetColumns?: number[];
}

/** Inputs [count, lookback, features] and targets [count, horizon, targets], row-major. */
export interface Windows {
  x: Float32Array;
  y: Float32Array;
  count: number;
  xShape: [number, number, number];
  yShape: [number, number, number];
  /** Index in `series` of each window's first target row (to line forecasts up with dates). */
  targetStart: Int32Array;
}

/**
 * Cuts a time series (rows = time steps, columns = features; a plain number[] is one feature) into
 * supervised pairs: `lookback` rows of inputs followed by the next `horizon` rows as targets.
 */
export function slidingWindows(
  series: readonly (readonly number[])[] | readonly number[],
  lookback: number,
  horizon: number,
  strideOrOpts: number | SlidingWindowOptions = {},
): Windows {
  const opts = typeof strideOrOpts === 'number' ? { stride: strideOrOpts } : strideOrOpts;
  const rows: readonly (readonly number[])[] =
    series.length > 0 && typeof series[0] === 'number'
      ? (series as readonly number[]).map((v) => [v])
      : (series as readonly (readonly number[])[]);
  const stride = opts.stride ?? 1;
  for (const [name, v] of [['lookback', lookback], ['horizon', horizon], ['stride', stride]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RnnkitError(`slidingWindows: ${name} must be an integer >= 1, got ${v}`);
  }
  if (rows.length === 0) throw new RnnkitError('slidingWindows: the series is empty');
  const features = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== features) throw new RnnkitError(`slidingWindows: row ${i} has ${r.length} features, row 0 has ${features}`);
  });
  const targets = opts.targetColumns ?? [...Array(features).keys()];
  for (const c of targets) {
    if (!Number.isInteger(c) || c < 0 || c >= features) {
      throw new RnnkitError(`slidingWindows: target column ${c} is out of range [0, ${features})`);
    }
  }
  const span = lookback + horizon;
  if (rows.length < span) {
    throw new RnnkitError(`slidingWindows: series has ${rows.length} rows, fewer than lookback + horizon = ${span}`);
  }
  const count = Math.floor((rows.length - span) / stride) + 1;
  const x = new Float32Array(count * lookback * features);
  const y = new Float32Array(count * horizon * targets.length);
  const targetStart = new Int32Array(count);
  for (let w = 0; w < count; w++) {
    const s = w * stride;
    for (let t = 0; t < lookback; t++) x.set(rows[s + t], (w * lookback + t) * features);
    for (let h = 0; h < horizon; h++) {
      const row = rows[s + lookback + h];
      targets.forEach((c, j) => (y[(w * horizon + h) * targets.length + j] = row[c]));
    }
    targetStart[w] = s + lookback;
  }
  return { x, y, count, xShape: [count, lookback, features], yShape: [count, horizon, targets.length], targetStart };
}
