import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedAdamUpdate, type AdamHyperparameters } from '../src/index.js';
import { expectAddonLoaded, expectClose, optedOut, randomTensor } from './helpers.js';

/**
 * Adam state kept the way tfjs's AdamOptimizer keeps it (moments as variables, beta^t as running
 * float32 products), stepped with the fused native update.
 */
class FusedAdamState {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  private readonly accBeta1: tf.Variable;
  private readonly accBeta2: tf.Variable;

  constructor(
    readonly value: tf.Variable,
    readonly h: AdamHyperparameters,
  ) {
    this.m = tf.variable(tf.zerosLike(value), false);
    this.v = tf.variable(tf.zerosLike(value), false);
    this.accBeta1 = tf.variable(tf.scalar(h.beta1), false);
    this.accBeta2 = tf.variable(tf.scalar(h.beta2), false);
  }

  step(gradient: tf.Tensor): void {
    tf.tidy(() => {
      const next = fusedAdamUpdate({
        ...this.h,
        value: this.value,
        gradient,
        m: this.m,
        v: this.v,
        biasCorrection1: tf.sub(1, this.accBeta1),
        biasCorrection2: tf.sub(1, this.accBeta2),
      });
      this.value.assign(next.value);
      this.m.assign(next.m);
      this.v.assign(next.v);
      this.accBeta1.assign(tf.mul(this.accBeta1, this.h.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.h.beta2));
    });
  }

  dispose(): void {
    tf.dispose([this.value, this.m, this.v, this.accBeta1, this.accBeta2]);
  }
}

const DEFAULTS: AdamHyperparameters = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

// 1 element; odd lengths that leave a tail after every SIMD width; and the seq2seq embedding size,
// which is split over the thread pool.
const SHAPES: number[][] = [[1], [3], [7, 5], [1003], [8000, 128]];

describe.skipIf(optedOut)('fused Adam update', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
  });

  const cases: Array<[string, AdamHyperparameters]> = [
    ['default hyperparameters', DEFAULTS],
    ['lr 0.05, beta1 0.8, beta2 0.95, epsilon 1e-4', { learningRate: 0.05, beta1: 0.8, beta2: 0.95, epsilon: 1e-4 }],
  ];
  for (const [label, h] of cases) {
    for (const shape of SHAPES) {
      it(`matches tf.train.adam over 6 steps: [${shape}], ${label}`, async () => {
        const seed = shape.reduce((p, d) => p * d, 1);
        const initial = randomTensor(shape, seed);
        const reference = tf.variable(initial.clone(), true, `reference-${label}-${shape}`);
        const fused = new FusedAdamState(tf.variable(initial.clone(), true), h);
        const optimizer = tf.train.adam(h.learningRate, h.beta1, h.beta2, h.epsilon);
        for (let step = 0; step < 6; step++) {
          // Gradients of mixed magnitudes, exact zeros included, over steps of changing scale.
          const gradient = tf.tidy(() => {
            const g = randomTensor(shape, seed + 17 * step + 1, 10 ** (step % 3 - 1));
            return tf.where(tf.greater(tf.abs(g), 0.9 * 10 ** (step % 3 - 1)), tf.zerosLike(g), g);
          });
          optimizer.applyGradients([{ name: reference.name, tensor: gradient }]);
          fused.step(gradient);
          gradient.dispose();
        }
        // getWeights: [iteration count (a fresh scalar), first moments..., second moments...]
        const [iterations, mRef, vRef] = await optimizer.getWeights();
        expectClose(fused.value, reference, 1e-6, 'value');
        expectClose(fused.m, mRef.tensor, 1e-6, 'first moment');
        expectClose(fused.v, vRef.tensor, 1e-6, 'second moment');
        // The run moved the weights by more than the tolerance could hide.
        expect(tf.tidy(() => tf.max(tf.abs(tf.sub(reference, initial))).dataSync()[0])).toBeGreaterThan(1e-3 * h.learningRate);
        fused.dispose();
        optimizer.dispose();
        tf.dispose([reference, initial, iterations.tensor]);
      });
    }
  }

  it('creates no tensors beyond its three outputs and leaks none across steps', () => {
    const fused = new FusedAdamState(tf.variable(randomTensor([300, 7], 5)), DEFAULTS);
    const gradient = randomTensor([300, 7], 6);
    fused.step(gradient);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) fused.step(gradient);
    expect(tf.memory().numTensors).toBe(before);
    fused.dispose();
    gradient.dispose();
  });

  it('rejects mismatched shapes and dtypes with the argument named', () => {
    const value = tf.zeros([4, 3]);
    const scalar = tf.scalar(0.1);
    const args = { ...DEFAULTS, value, gradient: value, m: value, v: value, biasCorrection1: scalar, biasCorrection2: scalar };
    const wrongShape = tf.zeros([3, 4]);
    const ints = tf.zeros([4, 3], 'int32');
    expect(() => fusedAdamUpdate({ ...args, gradient: wrongShape })).toThrow(/gradient has shape \[3,4\], value has \[4,3\]/);
    expect(() => fusedAdamUpdate({ ...args, v: ints })).toThrow(/v must be float32, got int32/);
    expect(() => fusedAdamUpdate({ ...args, biasCorrection2: value })).toThrow(/biasCorrection2 must be a float32 scalar/);
    tf.dispose([value, scalar, wrongShape, ints]);
  });
});
