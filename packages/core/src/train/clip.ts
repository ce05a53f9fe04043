import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';

/**
 * Gradient clipping (tfjs-layers' optimizers have no clipnorm/clipvalue). Both return new tensors and leave the
 * inputs alone; call them inside tf.tidy or dispose the results.
 */

/** The L2 norm of all gradients taken together, as a scalar tensor. */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return squares.length === 0 ? tf.scalar(0) : (tf.sqrt(tf.addN(squares)) as tf.Scalar);
  });
}

/**
 * Rescale all gradients by maxNorm / globalNorm when their global L2 norm exceeds maxNorm, which keeps the
 * direction of the update and bounds its size (the usual cure for exploding RNN gradients).
 * `extraSquaredNorm` adds the squared norm of gradients held outside `grads` (the rows of a row-sparse update),
 * which the caller scales by the returned `scale` itself.
 * Returns the clipped gradients, the norm before clipping and the factor applied.
 */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
  extraSquaredNorm = 0,
): { grads: tf.NamedTensorMap; globalNorm: number; scale: number } {
  if (!(maxNorm > 0)) throw new RnnkitError(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  const normTensor = globalNorm(grads);
  const tensorNorm = normTensor.dataSync()[0];
  normTensor.dispose();
  const norm = extraSquaredNorm === 0 ? tensorNorm : Math.sqrt(tensorNorm * tensorNorm + extraSquaredNorm);
  // A non-finite norm is passed through unscaled so that the NaN/Inf check after the step can report it.
  const scale = Number.isFinite(norm) && norm > maxNorm ? maxNorm / norm : 1;
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) clipped[name] = scale === 1 ? g.clone() : tf.mul(g, scale);
  return { grads: clipped, globalNorm: norm, scale };
}

/** Clip every gradient element to [-maxValue, maxValue]. */
export function clipByValue(grads: tf.NamedTensorMap, maxValue: number): tf.NamedTensorMap {
  if (!(maxValue > 0)) throw new RnnkitError(`clipByValue: maxValue must be > 0, got ${maxValue}`);
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) clipped[name] = tf.clipByValue(g, -maxValue, maxValue);
  return clipped;
}
