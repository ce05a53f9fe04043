import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { additiveAttentionScores, installNativeKernels } from '../src/index.js';
import { expectAddonLoaded, expectClose, optedOut, randomMask, randomTensor } from './helpers.js';

/** The scores in tf ops, as core's BahdanauAttention computes them without the fused op. */
function referenceScores(query: tf.Tensor, keys: tf.Tensor, scoreVector: tf.Tensor): tf.Tensor {
  const [B, Tq, U] = query.shape as [number, number, number];
  const S = keys.shape[1] as number;
  const hidden = tf.tanh(tf.add(query.reshape([B, Tq, 1, U]), keys.reshape([B, 1, S, U])));
  return tf.matMul(hidden.reshape([B * Tq * S, U]), scoreVector.reshape([U, 1])).reshape([B, Tq, S]);
}

type ScoreFn = typeof referenceScores;

/**
 * What the layer does after the scores (mask padded source positions, softmax, weighted sum of values), plus a
 * random projection of the raw scores: over a single source position the softmax is constant, and its gradient 0.
 */
function attentionLoss(scores: ScoreFn, mask: tf.Tensor | null, values: tf.Tensor, wScores: tf.Tensor) {
  return (query: tf.Tensor, keys: tf.Tensor, scoreVector: tf.Tensor): tf.Scalar => {
    const raw = scores(query, keys, scoreVector);
    const masked = mask ? tf.add(raw, tf.mul(tf.expandDims(tf.sub(1, mask), 1), -1e9)) : raw;
    return tf.add(tf.sum(tf.matMul(tf.softmax(masked, -1), values)), tf.sum(tf.mul(raw, wScores))) as tf.Scalar;
  };
}

interface Case {
  B: number;
  Tq: number;
  S: number;
  U: number;
}

const CASES: Case[] = [
  { B: 3, Tq: 4, S: 5, U: 6 },
  { B: 1, Tq: 5, S: 7, U: 16 },
  { B: 4, Tq: 1, S: 6, U: 33 },
  { B: 2, Tq: 3, S: 1, U: 20 },
  { B: 1, Tq: 1, S: 1, U: 1 },
  // Large enough for the kernels to split rows across threads, with a partial vector of units at the end.
  { B: 5, Tq: 7, S: 9, U: 130 },
  { B: 2, Tq: 12, S: 40, U: 64 },
];

function makeInputs(c: Case, seed: number) {
  return {
    query: randomTensor([c.B, c.Tq, c.U], seed + 1, 1.5),
    keys: randomTensor([c.B, c.S, c.U], seed + 2, 1.5),
    scoreVector: randomTensor([c.U], seed + 3),
    values: randomTensor([c.B, c.S, 3], seed + 4),
    wScores: randomTensor([c.B, c.Tq, c.S], seed + 5),
  };
}

describe.skipIf(optedOut)('additiveAttentionScores', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
    installNativeKernels(tf);
  });

  CASES.forEach((c, index) => {
    for (const masked of [false, true]) {
      const label = `B=${c.B} Tq=${c.Tq} S=${c.S} U=${c.U}${masked ? ' masked' : ''}`;
      it(`matches the tf-ops scores and their gradients: ${label}`, () => {
        const { query, keys, scoreVector, values, wScores } = makeInputs(c, 10 * index);
        expectClose(additiveAttentionScores(query, keys, scoreVector), referenceScores(query, keys, scoreVector), 1e-4, 'scores');
        // A single source position cannot be padded (the softmax would have nothing to attend to).
        const mask = masked && c.S > 1 ? randomMask(c.B, c.S, index) : null;
        const inputs = [query, keys, scoreVector];
        const fused = tf.grads(attentionLoss(additiveAttentionScores, mask, values, wScores))(inputs);
        const reference = tf.grads(attentionLoss(referenceScores, mask, values, wScores))(inputs);
        ['dquery', 'dkeys', 'dscoreVector'].forEach((name, i) => expectClose(fused[i], reference[i], 1e-4, name));
      });
    }
  });

  it('gradients match central finite differences', () => {
    const c = { B: 2, Tq: 2, S: 3, U: 5 };
    const { query, keys, scoreVector, values, wScores } = makeInputs(c, 70);
    const loss = attentionLoss(additiveAttentionScores, randomMask(c.B, c.S, 75), values, wScores);
    const inputs = [query, keys, scoreVector];
    const analytic = tf.grads(loss)(inputs).map((g) => g.dataSync());
    const eps = 1e-2;
    inputs.forEach((x, i) => {
      const base = x.dataSync().slice();
      let gradientNorm = 0;
      base.forEach((original, j) => {
        const lossWith = (value: number): number => {
          base[j] = value;
          const perturbed = inputs.map((t, k) => (k === i ? tf.tensor(base, x.shape) : t));
          const result = tf.tidy(() => loss(perturbed[0], perturbed[1], perturbed[2]).dataSync()[0]);
          perturbed[i].dispose();
          return result;
        };
        const numeric = (lossWith(original + eps) - lossWith(original - eps)) / (2 * eps);
        base[j] = original;
        gradientNorm += analytic[i][j] ** 2;
        expect(Math.abs(analytic[i][j] - numeric), `input ${i}[${j}]`).toBeLessThan(2e-3 + 1e-2 * Math.abs(numeric));
      });
      // A check against an all-zero gradient proves nothing.
      expect(Math.sqrt(gradientNorm)).toBeGreaterThan(1e-2);
    });
  });

  it('leaks no tensors across 100 training steps and inference calls', () => {
    const c = { B: 4, Tq: 3, S: 6, U: 8 };
    const { query, values, wScores } = makeInputs(c, 80);
    const keys = tf.variable(randomTensor([c.B, c.S, c.U], 81));
    const scoreVector = tf.variable(randomTensor([c.U], 82));
    const optimizer = tf.train.adam(1e-2);
    const loss = attentionLoss(additiveAttentionScores, randomMask(c.B, c.S, 83), values, wScores);
    const step = (): number => {
      const cost = optimizer.minimize(() => loss(query, keys, scoreVector), true) as tf.Scalar;
      const value = cost.dataSync()[0];
      cost.dispose();
      tf.dispose(additiveAttentionScores(query, keys, scoreVector));
      return value;
    };
    const first = step(); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 100; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).not.toBe(first); // the gradient really reached the variables
  });

  it('computes its gradient in a kernel of its own, which tf.profile lists', async () => {
    const c = { B: 2, Tq: 3, S: 4, U: 5 };
    const { query } = makeInputs(c, 90);
    const keys = randomTensor([c.B, c.S, c.U], 91);
    const scoreVector = randomTensor([c.U], 92);
    const grad = () => tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => additiveAttentionScores(q, k, v).sum())([query, keys, scoreVector]);
    tf.dispose(grad());
    const info = await tf.profile(() => tf.dispose(grad()));
    expect(info.kernels.filter((k) => k.name === 'RnnkitAdditiveAttentionScoresGrad')).toHaveLength(1);
  });

  it('rejects mismatched shapes with a message naming them', () => {
    const q = tf.zeros([2, 3, 4]);
    expect(() => additiveAttentionScores(q, tf.zeros([2, 5, 3]), tf.zeros([4]))).toThrow(/keys \[B, S, U\].*\[2,3,4\], \[2,5,3\] and \[4\]/);
    expect(() => additiveAttentionScores(q, tf.zeros([1, 5, 4]), tf.zeros([4]))).toThrow(/expected query/);
    expect(() => additiveAttentionScores(q, tf.zeros([2, 5, 4]), tf.zeros([4, 1]))).toThrow(/scoreVector \[U\]/);
    expect(() => additiveAttentionScores(q, tf.zeros([2, 5, 4], 'int32'), tf.zeros([4]))).toThrow(/keys must be float32/);
  });
});
