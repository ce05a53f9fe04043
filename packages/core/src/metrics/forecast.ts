import { RnnkitError } from '../errors.js';
import { checkFinite, checkPair } from './validate.js';

type Values = ArrayLike<number>;

function check(what: string, yTrue: Values, yPred: Values): void {
  checkPair(what, yTrue, yPred);
  checkFinite(what, yTrue, 'yTrue');
  checkFinite(what, yPred, 'yPred');
}

function meanOf(n: number, term: (i: number) => number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += term(i);
  return s / n;
}

export function mae(yTrue: Values, yPred: Values): number {
  check('mae', yTrue, yPred);
  return meanOf(yTrue.length, (i) => Math.abs(yTrue[i] - yPred[i]));
}

export function rmse(yTrue: Values, yPred: Values): number {
  check('rmse', yTrue, yPred);
  return Math.sqrt(meanOf(yTrue.length, (i) => (yTrue[i] - yPred[i]) ** 2));
}

/** Mean absolute percentage error, in percent. Undefined when an actual value is 0, so that is an error. */
export function mape(yTrue: Values, yPred: Values): number {
  check('mape', yTrue, yPred);
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === 0) throw new RnnkitError(`mape: yTrue[${i}] is 0, MAPE is undefined (use smape or mase)`);
  }
  return 100 * meanOf(yTrue.length, (i) => Math.abs((yTrue[i] - yPred[i]) / yTrue[i]));
}

/** Symmetric MAPE in percent (0..200): mean of 2|y - ŷ| / (|y| + |ŷ|), a term counting 0 when both are 0. */
export function smape(yTrue: Values, yPred: Values): number {
  check('smape', yTrue, yPred);
  return 100 * meanOf(yTrue.length, (i) => {
    const denom = Math.abs(yTrue[i]) + Math.abs(yPred[i]);
    return denom === 0 ? 0 : (2 * Math.abs(yTrue[i] - yPred[i])) / denom;
  });
}

/**
 * Mean absolute scaled error: MAE divided by the in-sample MAE of the seasonal naive forecast (y[t] = y[t - m])
 * on the training series. Below 1 means better than naive. Pass the training series, or its naive MAE directly.
 */
export function mase(yTrue: Values, yPred: Values, trainingOrScale: Values | number, m = 1): number {
  check('mase', yTrue, yPred);
  let scale: number;
  if (typeof trainingOrScale === 'number') {
    scale = trainingOrScale;
  } else {
    const train = trainingOrScale;
    if (!Number.isInteger(m) || m < 1) throw new RnnkitError(`mase: seasonality m must be an integer >= 1, got ${m}`);
    if (train.length <= m) throw new RnnkitError(`mase: the training series needs more than m = ${m} values, got ${train.length}`);
    checkFinite('mase', train, 'training');
    scale = meanOf(train.length - m, (i) => Math.abs(train[i + m] - train[i]));
  }
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RnnkitError(`mase: the naive-forecast scale must be > 0, got ${scale} (is the training series constant?)`);
  }
  return mae(yTrue, yPred) / scale;
}

/**
 * Share of steps where the forecast moves in the same direction as the actual series, measured from the previous
 * actual value: sign(y[t] - prev[t]) == sign(ŷ[t] - prev[t]). `previous` defaults to the actual series shifted by
 * one (so t starts at 1); give it explicitly (last known value per forecast) to score every point.
 */
export function directionalAccuracy(yTrue: Values, yPred: Values, previous?: Values): number {
  check('directionalAccuracy', yTrue, yPred);
  const start = previous ? 0 : 1;
  if (previous) {
    checkPair('directionalAccuracy', yTrue, previous, ['yTrue', 'previous']);
    checkFinite('directionalAccuracy', previous, 'previous');
  } else if (yTrue.length < 2) {
    throw new RnnkitError('directionalAccuracy: needs at least 2 values when previous is not given');
  }
  const prev = (t: number) => (previous ? previous[t] : yTrue[t - 1]);
  let agree = 0;
  for (let t = start; t < yTrue.length; t++) {
    if (Math.sign(yTrue[t] - prev(t)) === Math.sign(yPred[t] - prev(t))) agree++;
  }
  return agree / (yTrue.length - start);
}
