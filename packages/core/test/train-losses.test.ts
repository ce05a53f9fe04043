import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import { meanSquaredError, sparseCategoricalCrossentropy } from '../src/train/losses.js';

const value = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};

describe('sparseCategoricalCrossentropy', () => {
  it('matches -mean(log p[target]) on probabilities [B, V]', () => {
    const probs = tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]);
    const ids = tf.tensor1d([0, 1], 'int32');
    expect(value(sparseCategoricalCrossentropy(ids, probs))).toBeCloseTo(-(Math.log(0.7) + Math.log(0.1)) / 2, 5);
    tf.dispose([probs, ids]);
  });

  it('label smoothing mixes in the mean -log p over classes', () => {
    // (1 - 0.3)·(-ln 0.5) + 0.3·(ln 2 + ln 4 + ln 4)/3 = 0.7 ln 2 + 0.5 ln 2 = 1.2 ln 2.
    const probs = tf.tensor2d([[0.5, 0.25, 0.25]]);
    const ids = tf.tensor1d([0], 'int32');
    expect(value(sparseCategoricalCrossentropy(ids, probs, undefined, { labelSmoothing: 0.3 }))).toBeCloseTo(1.2 * Math.LN2, 5);
    expect(() => sparseCategoricalCrossentropy(ids, probs, undefined, { labelSmoothing: 1 })).toThrow(/labelSmoothing/);
    tf.dispose([probs, ids]);
  });

  it('applies softmax to logits with fromLogits', () => {
    const logits = tf.tensor2d([[2, 0, -1]]);
    const ids = tf.tensor1d([2], 'int32');
    const z = Math.exp(2) + 1 + Math.exp(-1);
    expect(value(sparseCategoricalCrossentropy(ids, logits, undefined, { fromLogits: true }))).toBeCloseTo(-(-1 - Math.log(z)), 5);
    tf.dispose([logits, ids]);
  });

  it('averages only over unmasked positions of [B, T] targets', () => {
    // position (0,1) is padding: its (terrible) prediction must not count
    const probs = tf.tensor3d([[[0.5, 0.5], [0.99, 0.01]], [[0.25, 0.75], [0.9, 0.1]]]);
    const ids = tf.tensor2d([[0, 1], [1, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 0], [1, 1]]);
    const expected = -(Math.log(0.5) + Math.log(0.75) + Math.log(0.9)) / 3;
    expect(value(sparseCategoricalCrossentropy(ids, probs, mask))).toBeCloseTo(expected, 5);
    tf.dispose([probs, ids, mask]);
  });

  it('has the textbook gradient (softmax - onehot) / N with respect to logits', () => {
    const logits = tf.tensor2d([[1, 2, 0.5], [0, -1, 3]]);
    const ids = tf.tensor1d([1, 0], 'int32');
    const grad = tf.grad((l: tf.Tensor) => sparseCategoricalCrossentropy(ids, l, undefined, { fromLogits: true }))(logits);
    const p = tf.softmax(logits).arraySync() as number[][];
    const expected = p.map((row, i) => row.map((v, j) => (v - (j === [1, 0][i] ? 1 : 0)) / 2));
    (grad.arraySync() as number[][]).forEach((row, i) => row.forEach((g, j) => expect(g).toBeCloseTo(expected[i][j], 6)));
    tf.dispose([logits, ids, grad]);
  });

  it('has gradient -1/(N p) at each target probability, 0 elsewhere and 0 where the clip is active', () => {
    const probs = tf.tensor2d([[0.2, 0.8], [1e-9, 1]]);
    const grad = tf.grad((p: tf.Tensor) => sparseCategoricalCrossentropy(tf.tensor1d([1, 0], 'int32'), p))(probs);
    // Row 1's target probability 1e-9 is below the 1e-7 clip, so the loss is flat in it.
    expect(Array.from(grad.dataSync())).toEqual([0, expect.closeTo(-1 / (2 * 0.8), 6), 0, 0]);
  });

  it('names both shapes when targets do not fit predictions', () => {
    const probs = tf.zeros([4, 5, 10]);
    const ids = tf.zeros([4, 3], 'int32');
    expect(() => sparseCategoricalCrossentropy(ids, probs)).toThrow(/targets shape \[4,3\] does not fit predictions shape \[4,5,10\]/);
    tf.dispose([probs, ids]);
  });

  it('rejects target ids outside the vocabulary', () => {
    const probs = tf.fill([2, 3], 1 / 3);
    const ids = tf.tensor1d([0, 3], 'int32');
    expect(() => sparseCategoricalCrossentropy(ids, probs)).toThrow(/target id 3 is outside the model's 3 classes/);
    tf.dispose([probs, ids]);
  });
});

/** Label-smoothed cross-entropy composed from tf ops: the reference the cpu backend's fused pass must match. */
function smoothedReference(ids: tf.Tensor, probs: tf.Tensor, weights: tf.Tensor | undefined, eps: number): tf.Scalar {
  const logP = tf.log(tf.clipByValue(probs, 1e-7, 1));
  const picked = tf.sum(tf.mul(tf.oneHot(ids.toInt(), probs.shape[probs.rank - 1]), logP), -1);
  const perPosition = tf.add(tf.mul(tf.neg(picked), 1 - eps), tf.mul(tf.neg(tf.mean(logP, -1)), eps));
  if (!weights) return tf.mean(perPosition);
  let w = weights;
  while (w.rank < perPosition.rank) w = w.expandDims(-1);
  const full = tf.broadcastTo(w, perPosition.shape);
  return tf.div(tf.sum(tf.mul(perPosition, full)), tf.maximum(tf.sum(full), 1e-12));
}

describe('label-smoothed cross-entropy: the fused cpu pass', () => {
  // Probabilities from a softmax of spread-out logits, so some fall below the 1e-7 clip (no gradient there).
  const make = () => {
    const logits = tf.mul(tf.randomNormal([3, 5, 40], 0, 1, 'float32', 7), tf.linspace(0.5, 9, 40));
    const probs = tf.softmax(logits);
    logits.dispose();
    return probs;
  };

  it('runs on the cpu backend here (so the test below checks the fused pass, not the reference against itself)', () => {
    expect(tf.getBackend()).toBe('cpu');
  });

  it('gives the value and gradient of the tf-ops loss: no weights, [B, T] mask with padding, [B] weights', () => {
    const probs = make();
    expect(probs.min().dataSync()[0]).toBeLessThan(1e-7);
    const ids = tf.tensor2d(Array.from({ length: 15 }, (_, i) => (i * 7) % 40), [3, 5], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]);
    const perExample = tf.tensor1d([0.5, 2, 0]);
    for (const weights of [undefined, mask, perExample]) {
      for (const eps of [0.1, 0.3]) {
        const fused = tf.grad((p: tf.Tensor) => sparseCategoricalCrossentropy(ids, p, weights, { labelSmoothing: eps }));
        const reference = tf.grad((p: tf.Tensor) => smoothedReference(ids, p, weights, eps));
        expect(value(sparseCategoricalCrossentropy(ids, probs, weights, { labelSmoothing: eps })))
          .toBeCloseTo(value(smoothedReference(ids, probs, weights, eps)), 5);
        const [g, gRef] = [fused(probs), reference(probs)];
        const scale = gRef.abs().max().dataSync()[0];
        expect(tf.max(tf.abs(tf.sub(g, gRef))).dataSync()[0]).toBeLessThan(1e-5 * scale);
        tf.dispose([g, gRef]);
      }
    }
    tf.dispose([probs, ids, mask, perExample]);
  });

  it('leaves no tensors behind across repeated gradient steps', () => {
    const probs = make();
    const ids = tf.zeros([3, 5], 'int32');
    const mask = tf.ones([3, 5]);
    const step = () => tf.tidy(() => tf.grad((p: tf.Tensor) => sparseCategoricalCrossentropy(ids, p, mask, { labelSmoothing: 0.1 }))(probs).dataSync());
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([probs, ids, mask]);
  });

  it('rejects a weights shape that is not a prefix of the targets', () => {
    const probs = make();
    const ids = tf.zeros([3, 5], 'int32');
    const bad = tf.ones([5]);
    expect(() => sparseCategoricalCrossentropy(ids, probs, bad, { labelSmoothing: 0.1 })).toThrow(/weights\/mask shape \[5\] does not match the loss shape \[3,5\]/);
    tf.dispose([probs, ids, bad]);
  });
});

describe('meanSquaredError', () => {
  it('is the (weighted) mean of squared differences', () => {
    const yTrue = tf.tensor2d([[1, 2], [3, 4]]);
    const yPred = tf.tensor2d([[1, 0], [0, 4]]);
    expect(value(meanSquaredError(yTrue, yPred))).toBeCloseTo((0 + 4 + 9 + 0) / 4, 6);
    const w = tf.tensor1d([1, 0]); // per-example weights broadcast over the last axis
    expect(value(meanSquaredError(yTrue, yPred, w))).toBeCloseTo((0 + 4) / 2, 6);
    tf.dispose([yTrue, yPred, w]);
  });

  it('throws an RnnkitError naming both shapes on mismatch', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([2, 1]);
    expect(() => meanSquaredError(a, b)).toThrow(RnnkitError);
    expect(() => meanSquaredError(a, b)).toThrow(/\[2,3\] does not match predictions shape \[2,1\]/);
    tf.dispose([a, b]);
  });
});
