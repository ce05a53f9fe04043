import * as tf from '@tensorflow/tfjs';

/**
 * tfjs's gradient of Unpack (tf.unstack) stacks the gradients of the pieces, and fails ("Argument tensors passed to
 * stack must be a `Tensor[]`") in two cases its tape creates: an unstack into ONE piece (the tape then passes that
 * piece's gradient alone, not in an array), and a piece whose value does not reach the loss (the tape passes null
 * for it). The reference recurrent loop unstacks its inputs per timestep, so without the native kernels every
 * batch of one-timestep sequences (SST-2's one-word phrases, bucketed by length) stopped training. This gradient
 * takes a lone gradient as a list of one and gives unused pieces zeros (what a piece that does not affect the loss
 * contributes); otherwise it is tfjs's own. Gradients are registered per kernel, for every backend at once.
 */
const PATCHED = Symbol.for('rnnkit.unpackGradient');

export function installUnpackGradient(): void {
  const original = tf.getGradient('Unpack');
  if (!original || (original.gradFunc as unknown as Record<symbol, unknown>)[PATCHED]) return;
  const gradFunc: tf.GradConfig['gradFunc'] = (dy, saved, attrs) => {
    const pieces = (Array.isArray(dy) ? dy : [dy]) as (tf.Tensor | null)[];
    const like = pieces.find((d): d is tf.Tensor => d != null);
    if (!like || (Array.isArray(dy) && pieces.every((d) => d != null))) return original.gradFunc(dy, saved, attrs);
    const { axis } = attrs as { axis: number };
    return { value: () => tf.stack(pieces.map((d) => d ?? tf.zerosLike(like)), axis) };
  };
  (gradFunc as unknown as Record<symbol, unknown>)[PATCHED] = true;
  tf.registerGradient({ ...original, gradFunc });
}
