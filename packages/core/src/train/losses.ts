import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';

/** Probabilities are clipped here before the log so that a confident wrong prediction gives a large finite loss. */
const PROB_EPSILON = 1e-7;
/** Probabilities multiplied together before one log in the fused smoothed loss (see smoothedCrossentropyFused). */
const LOG_CHUNK = 32;

const fmt = (shape: number[]) => `[${shape.join(',')}]`;

/**
 * Mean of `values` over the positions whose weight is non-zero, weighted. `weights` may have the full shape of
 * `values` or a prefix of it ([B] per-example weights for [B, T] per-position losses).
 */
function weightedMean(values: tf.Tensor, weights: tf.Tensor | undefined, lossName: string): tf.Scalar {
  if (!weights) return tf.mean(values) as tf.Scalar;
  checkedWeights(values.shape, weights, lossName);
  let w = weights.toFloat();
  while (w.rank < values.rank) w = w.expandDims(-1);
  const full = tf.broadcastTo(w, values.shape);
  // Dividing by max(sum, tiny) makes a fully masked batch contribute 0 instead of NaN.
  return tf.div(tf.sum(tf.mul(values, full)), tf.maximum(tf.sum(full), 1e-12)) as tf.Scalar;
}

/** `weights` itself, after checking that its shape is `lossShape` or a leading prefix of it. */
function checkedWeights(lossShape: number[], weights: tf.Tensor, lossName: string): tf.Tensor {
  const prefixOk = weights.rank <= lossShape.length && weights.shape.every((d, i) => d === lossShape[i]);
  if (!prefixOk) {
    throw new RnnkitError(
      `${lossName}: weights/mask shape ${fmt(weights.shape)} does not match the loss shape ${fmt(lossShape)} ` +
        '(expected the same shape or a leading prefix of it, e.g. [B] or [B,T])',
    );
  }
  return weights;
}

/**
 * Label-smoothed cross-entropy on probabilities in one pass over the [N, V] rows, with its gradient in a second:
 * the same loss as the tf-ops path below (probabilities clipped to [PROB_EPSILON, 1] before the log, no gradient
 * where the clip bites), summed in float64. The tf-ops path builds about ten whole-[N, V] tensors (clip, log, mean
 * and their gradients); for translate's 2,374-character softmax that was a third of a training step.
 * Rows with weight 0 (padding) are skipped in both passes; their gradient is 0, as in the tf-ops path.
 */
function smoothedCrossentropyFused(ids: tf.Tensor, probs: tf.Tensor, weights: tf.Tensor | undefined, smoothing: number): tf.Scalar {
  const classes = probs.shape[probs.rank - 1];
  const rows = ids.size;
  const target = ids.dataSync();
  // weights of shape [B] (a prefix) weigh all rows of an example alike.
  const w = weights ? weights.toFloat().dataSync() : null;
  const rowsPerWeight = w ? rows / w.length : 1;
  const weightOf = (r: number) => (w ? w[Math.floor(r / rowsPerWeight)] : 1);
  let weightSum = 0;
  for (let r = 0; r < rows; r++) weightSum += weightOf(r);
  const denom = Math.max(weightSum, 1e-12);
  const lossOf = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const yPred = inputs[0] as tf.Tensor;
    const p = yPred.dataSync();
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const wr = weightOf(r);
      if (wr === 0) continue;
      const row = r * classes;
      // Σ log p as the log of products of LOG_CHUNK clipped probabilities (each >= 1e-7, so a product stays
      // above 1e-224, far from float64 underflow): one Math.log per chunk instead of one per class.
      let logSum = 0;
      for (let v = 0; v < classes; v += LOG_CHUNK) {
        let product = 1;
        const stop = Math.min(classes, v + LOG_CHUNK);
        for (let k = row + v; k < row + stop; k++) {
          const x = p[k];
          product *= x < PROB_EPSILON ? PROB_EPSILON : x > 1 ? 1 : x;
        }
        logSum += Math.log(product);
      }
      const pt = p[row + target[r]];
      total += wr * (-(1 - smoothing) * Math.log(pt < PROB_EPSILON ? PROB_EPSILON : pt > 1 ? 1 : pt) - (smoothing * logSum) / classes);
    }
    const gradFunc = (dy: tf.Tensor): tf.Tensor => {
      const scale = dy.dataSync()[0] / denom;
      const grad = new Float32Array(rows * classes);
      for (let r = 0; r < rows; r++) {
        const c = scale * weightOf(r);
        if (c === 0) continue;
        const row = r * classes;
        const spread = -(c * smoothing) / classes;
        for (let k = row; k < row + classes; k++) {
          const x = p[k];
          if (x >= PROB_EPSILON && x <= 1) grad[k] = spread / x;
        }
        const k = row + target[r];
        if (p[k] >= PROB_EPSILON && p[k] <= 1) grad[k] -= (c * (1 - smoothing)) / p[k];
      }
      return tf.tensor(grad, yPred.shape, 'float32');
    };
    return { value: tf.scalar(total / denom), gradFunc };
  });
  return lossOf(probs) as tf.Scalar;
}

export interface SparseCrossentropyOptions {
  /** yPred holds unnormalized logits rather than probabilities. */
  fromLogits?: boolean;
  /**
   * Label smoothing epsilon in [0, 1): the target distribution puts 1 - epsilon on the true class and spreads epsilon
   * evenly over all classes, so the loss is (1 - epsilon)·(-log p[target]) + epsilon·mean over classes of -log p.
   * Keeps a large-vocabulary softmax from growing over-confident on a small corpus. Default 0.
   */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between integer class ids `yTrue` ([B] or [B, T]) and predictions `yPred` ([B, V] or [B, T, V],
 * probabilities or logits), averaged over the positions whose weight is non-zero (padding masked by weight 0).
 */
export function sparseCategoricalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  weights?: tf.Tensor,
  options: SparseCrossentropyOptions = {},
): tf.Scalar {
  const name = 'sparseCategoricalCrossentropy';
  const leadingMatch = yPred.rank === yTrue.rank + 1 && yTrue.shape.every((d, i) => d === yPred.shape[i]);
  if (!leadingMatch) {
    throw new RnnkitError(
      `${name}: targets shape ${fmt(yTrue.shape)} does not fit predictions shape ${fmt(yPred.shape)} ` +
        '(expected integer targets [B] for predictions [B,V], or [B,T] for [B,T,V])',
    );
  }
  const numClasses = yPred.shape[yPred.rank - 1];
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new RnnkitError(`${name}: labelSmoothing must be in [0, 1), got ${smoothing}`);
  return tf.tidy(() => {
    const ids = yTrue.dtype === 'int32' ? yTrue : yTrue.toInt();
    const [lo, hi] = [ids.min().dataSync()[0], ids.max().dataSync()[0]];
    if (lo < 0 || hi >= numClasses) {
      throw new RnnkitError(`${name}: target id ${lo < 0 ? lo : hi} is outside the model's ${numClasses} classes [0, ${numClasses - 1}]`);
    }
    // With smoothing, the loss needs every class's log-probability. On the cpu backend one fused pass computes it
    // (and its gradient, p[target] included) instead of a chain of whole-[N, V] tensors.
    if (smoothing > 0 && !options.fromLogits && tf.getBackend() === 'cpu' && yPred.dtype === 'float32') {
      return smoothedCrossentropyFused(ids, yPred, weights ? checkedWeights(yPred.shape.slice(0, -1), weights, name) : undefined, smoothing);
    }
    // Pick p[target] by gathering from the flattened [N*V] tensor (no one-hot [N, V] tensor), and clip and log
    // only those N values: with a word vocabulary the clip and log over all N*V probabilities cost more than
    // the output layer's matmul.
    const n = ids.size;
    const flatIndex = tf.add(tf.range(0, n * numClasses, numClasses, 'int32'), ids.flatten());
    const pickFrom = (t: tf.Tensor) => tf.gather(t.reshape([n * numClasses]), flatIndex).reshape(yTrue.shape);
    const picked = options.fromLogits
      ? pickFrom(tf.logSoftmax(yPred))
      : tf.log(tf.clipByValue(pickFrom(yPred), PROB_EPSILON, 1));
    if (smoothing === 0) return weightedMean(tf.neg(picked), weights, name);
    // Other backends and logits: the smoothing term over whole-[N, V] tensors (the cost the plain loss avoids above).
    const logAll = options.fromLogits ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, PROB_EPSILON, 1));
    const uniform = tf.neg(tf.mean(logAll, -1));
    return weightedMean(tf.add(tf.mul(tf.neg(picked), 1 - smoothing), tf.mul(uniform, smoothing)), weights, name);
  });
}

/** Mean squared error; `yTrue` and `yPred` must have the same shape, `weights` a leading prefix of it. */
export function meanSquaredError(yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  const name = 'meanSquaredError';
  if (yTrue.rank !== yPred.rank || yTrue.shape.some((d, i) => d !== yPred.shape[i])) {
    throw new RnnkitError(`${name}: targets shape ${fmt(yTrue.shape)} does not match predictions shape ${fmt(yPred.shape)}`);
  }
  return tf.tidy(() => weightedMean(tf.squaredDifference(yPred, yTrue.toFloat()), weights, name));
}

/**
 * Pinball (quantile) loss for forecasts of several quantiles at once: `yPred` is [..., Q] (the values at the Q
 * increasing `levels`), `yTrue` the targets of shape [...]. Averages τ·(y − q) or (τ − 1)·(y − q) over every
 * position and level; `weights` is a leading prefix of `yTrue`'s shape. Its minimiser is the conditional
 * τ-quantile of each level, so the trained outputs are quantile forecasts (not a point and an error bar).
 */
export function pinballLoss(levels: readonly number[]): (yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor) => tf.Scalar {
  const name = 'pinballLoss';
  if (levels.length === 0) throw new RnnkitError(`${name}: no quantile levels given`);
  levels.forEach((level, k) => {
    if (!(level > 0 && level < 1)) throw new RnnkitError(`${name}: quantile level ${level} (levels[${k}]) must lie strictly between 0 and 1`);
    if (k > 0 && !(level > levels[k - 1])) throw new RnnkitError(`${name}: quantile levels must increase, but levels[${k}] = ${level} follows ${levels[k - 1]}`);
  });
  return (yTrue, yPred, weights) => {
    const fits = yPred.rank === yTrue.rank + 1 && yTrue.shape.every((d, i) => d === yPred.shape[i]) && yPred.shape[yPred.rank - 1] === levels.length;
    if (!fits) {
      throw new RnnkitError(
        `${name}: targets shape ${fmt(yTrue.shape)} does not fit predictions shape ${fmt(yPred.shape)} ` +
          `(expected predictions of the targets' shape plus a last axis of ${levels.length} quantile levels)`,
      );
    }
    return tf.tidy(() => {
      const tau = tf.tensor1d(levels as number[]);
      const diff = tf.sub(tf.expandDims(yTrue.toFloat(), -1), yPred);
      // max(τ·d, (τ − 1)·d) is the pinball loss of either sign of d.
      const loss = tf.maximum(tf.mul(tau, diff), tf.mul(tf.sub(tau, 1), diff));
      return weightedMean(loss, weights, name);
    });
  };
}
