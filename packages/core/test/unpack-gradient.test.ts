// Without the native kernels, the reference recurrent loop unstacks its inputs per timestep; tfjs's own Unpack
// gradient threw on a one-timestep batch (the tape passes a lone gradient, not a list), which stopped training on
// SST-2's one-word phrases. Core's Unpack gradient takes both shapes the tape produces.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { referenceRecurrent, type RecurrentSequenceArgs } from '../src/layers/recurrent-kernel.js';
import { installUnpackGradient } from '../src/layers/unpack-gradient.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', native: false, quiet: true });
});

function args(steps: number, mask: boolean): RecurrentSequenceArgs {
  return {
    cell: 'gru',
    x: tf.randomUniform([3, steps, 2], -1, 1, 'float32', 1) as tf.Tensor3D,
    h0: tf.zeros([3, 4]) as tf.Tensor2D,
    c0: null,
    kernel: tf.randomUniform([2, 12], -1, 1, 'float32', 2) as tf.Tensor2D,
    recurrentKernel: tf.randomUniform([4, 12], -1, 1, 'float32', 3) as tf.Tensor2D,
    bias: tf.zeros([12]) as tf.Tensor1D,
    mask: mask ? (tf.ones([3, steps]) as tf.Tensor2D) : null,
    goBackwards: false,
  };
}

describe('Unpack gradient', () => {
  it('differentiates the reference loop over one timestep, masked or not, like a dense step', () => {
    installUnpackGradient();
    for (const mask of [false, true]) {
      const a = args(1, mask);
      const [dx, dKernel] = tf.grads((x: tf.Tensor, kernel: tf.Tensor) =>
        referenceRecurrent({ ...a, x: x as tf.Tensor3D, kernel: kernel as tf.Tensor2D }).outputs.sum())([a.x, a.kernel]);
      expect(dx.shape).toEqual([3, 1, 2]);
      expect(dKernel.shape).toEqual([2, 12]);
      // The same gradient through two timesteps whose second one is masked out (its state carried unchanged).
      const two = args(2, true);
      const x2 = tf.concat([a.x, tf.zeros([3, 1, 2])], 1);
      const m2 = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
      const [dx2] = tf.grads((x: tf.Tensor) => referenceRecurrent({ ...two, kernel: a.kernel, x: x as tf.Tensor3D, mask: m2 }).h.sum())([x2]);
      const [dxH] = tf.grads((x: tf.Tensor) => referenceRecurrent({ ...a, x: x as tf.Tensor3D }).h.sum())([a.x]);
      expect(Array.from(dx2.slice([0, 0, 0], [3, 1, 2]).dataSync())).toEqual(Array.from(dxH.dataSync()));
    }
  });

  it('gives a piece that does not reach the loss a zero gradient', () => {
    installUnpackGradient();
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const g = tf.grad((t: tf.Tensor) => tf.unstack(t)[1].mul(2).sum())(x);
    expect(g.arraySync()).toEqual([[0, 0], [2, 2], [0, 0]]);
    const one = tf.grad((t: tf.Tensor) => tf.unstack(t)[0].mul(3).sum())(tf.tensor2d([[1, 2]]));
    expect(one.arraySync()).toEqual([[3, 3]]);
  });
});
