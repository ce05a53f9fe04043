import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { BahdanauAttention, LuongAttention, bahdanauAttention, luongAttention, type LuongScore } from '../src/layers/attention.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
  setSeed(3);
});

const uniform = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

describe('attention layers', () => {
  it('Luong dot computes softmax(q·kᵀ)·values', () => {
    const query = tf.tensor3d([[[1, 0]]]);
    const values = tf.tensor3d([[[1, 0], [0, 1], [2, 0]]]);
    const [context, weights] = luongAttention({ score: 'dot' }).apply([query, values]) as tf.Tensor[];
    const e = [Math.E, 1, Math.E ** 2];
    const z = e[0] + e[1] + e[2];
    const expectedWeights = e.map((v) => v / z);
    expect(Array.from(weights.dataSync())).toEqual(expectedWeights.map((v) => expect.closeTo(v, 6)));
    const expectedContext = [expectedWeights[0] + 2 * expectedWeights[2], expectedWeights[1]];
    expect(Array.from(context.dataSync())).toEqual(expectedContext.map((v) => expect.closeTo(v, 6)));
  });

  it('Luong general equals dot after projecting the query with its kernel', () => {
    const query = uniform([2, 3, 4], 1);
    const values = uniform([2, 5, 6], 2);
    const general = luongAttention({ score: 'general' });
    const [context, weights] = general.apply([query, values]) as tf.Tensor[];
    const [kernel] = general.getWeights();
    const projected = tf.reshape(tf.matMul(tf.reshape(query, [6, 4]), kernel), [2, 3, 6]);
    const [dotContext, dotWeights] = luongAttention({ score: 'dot' }).apply([projected, values]) as tf.Tensor[];
    expect(tf.max(tf.abs(tf.sub(context, dotContext))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(tf.sub(weights, dotWeights))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('Bahdanau computes v·tanh(W1 q + W2 k + b)', () => {
    const layer = bahdanauAttention({ units: 3 });
    const query = uniform([1, 1, 2], 3);
    const values = uniform([1, 4, 5], 4);
    const [, weights] = layer.apply([query, values]) as tf.Tensor[];
    const [w1, w2, b, v] = layer.getWeights().map((w) => w.arraySync() as number[][]);
    const q = (query.arraySync() as number[][][])[0][0];
    const ks = (values.arraySync() as number[][][])[0];
    const scores = ks.map((k) => {
      let score = 0;
      for (let a = 0; a < 3; a++) {
        let pre = (b as unknown as number[])[a];
        q.forEach((qi, i) => (pre += qi * w1[i][a]));
        k.forEach((ki, i) => (pre += ki * w2[i][a]));
        score += Math.tanh(pre) * v[a][0];
      }
      return score;
    });
    const z = scores.reduce((s, x) => s + Math.exp(x), 0);
    expect(Array.from(weights.dataSync())).toEqual(scores.map((s) => expect.closeTo(Math.exp(s) / z, 5)));
  });

  const makers: [string, () => tf.layers.Layer][] = [
    ['bahdanau', () => bahdanauAttention({ units: 4 })],
    ...(['dot', 'general'] as LuongScore[]).map((score): [string, () => tf.layers.Layer] => [`luong ${score}`, () => luongAttention({ score })]),
  ];
  for (const [label, make] of makers) {
    it(`${label}: shapes, weights sum to 1, masked positions get no weight`, () => {
      const query = uniform([2, 3, 6], 5);
      const values = uniform([2, 4, 6], 6);
      const mask = tf.tensor2d([[1, 1, 1, 0], [1, 0, 0, 0]]);
      const layer = make();
      const [context, weights] = layer.apply([query, values, mask]) as tf.Tensor[];
      expect(context.shape).toEqual([2, 3, 6]);
      expect(weights.shape).toEqual([2, 3, 4]);
      const w = weights.arraySync() as number[][][];
      for (const row of w.flat()) expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
      // Masked weights are 0 up to float32 denormals (a vectorized exp may give ~1e-38 for exp(-1e9)).
      for (const row of w[0]) expect(row[3]).toBeLessThan(1e-30);
      for (const row of w[1]) expect(row).toEqual([expect.closeTo(1, 7), ...[0, 0, 0].map(() => expect.closeTo(0, 30))]);
      // Row 1 attends only to position 0, so its context is exactly values[1][0].
      const ctx1 = (context.arraySync() as number[][][])[1];
      const v10 = (values.arraySync() as number[][][])[1][0];
      for (const row of ctx1) expect(row).toEqual(v10.map((x) => expect.closeTo(x, 6)));
      // The mask changes row 0's weights (so the check above can fail).
      const [, unmasked] = layer.apply([query, values]) as tf.Tensor[];
      expect((unmasked.arraySync() as number[][][])[0][0][3]).toBeGreaterThan(0.01);
    });
  }

  it('Bahdanau with precomputed keys (projectValues) gives the same context, weights and query gradient', () => {
    const layer = bahdanauAttention({ units: 5, seed: 9 });
    const query = uniform([2, 1, 4], 21);
    const values = uniform([2, 6, 3], 22);
    const mask = tf.tensor2d([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]]);
    const plain = layer.apply([query, values, mask]) as tf.Tensor[];
    const keys = layer.projectValues(values);
    expect(keys.shape).toEqual([2, 6, 5]);
    const withKeys = layer.apply([query, values, mask, keys]) as tf.Tensor[];
    plain.forEach((t, i) => Array.from(withKeys[i].dataSync()).forEach((v, j) => expect(v).toBeCloseTo(t.dataSync()[j], 6)));
    const gradOf = (extra: tf.Tensor[]) => tf.grad((q: tf.Tensor) => tf.sum((layer.apply([q, values, mask, ...extra]) as tf.Tensor[])[0]))(query);
    const [g1, g2] = [gradOf([]), gradOf([keys])];
    Array.from(g2.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(g1.dataSync()[j], 6));
    expect(() => layer.apply([query, values, mask, uniform([2, 6, 4], 23)])).toThrow(/keys have 4 features, expected 5/);
    expect(() => layer.apply([query, values, mask, uniform([2, 5, 5], 24)])).toThrow(/keys must be \[2, 6, units\]/);
    expect(() => luongAttention({ score: 'dot' }).apply([values, values, mask, keys])).toThrow(/expected \[query, values\] or \[query, values, mask\], got 4/);
    tf.dispose([...plain, ...withKeys, keys, g1, g2, query, values, mask]);
  });

  it('works inside a functional model with symbolic shapes', () => {
    const q = tf.input({ shape: [null, 8] });
    const v = tf.input({ shape: [null, 5] });
    const m = tf.input({ shape: [null] });
    const [context, weights] = new BahdanauAttention({ units: 4 }).apply([q, v, m]) as tf.SymbolicTensor[];
    expect(context.shape).toEqual([null, null, 5]);
    expect(weights.shape).toEqual([null, null, null]);
    const model = tf.model({ inputs: [q, v, m], outputs: [context, weights] });
    const [c, w] = model.predict([uniform([2, 3, 8], 7), uniform([2, 6, 5], 8), tf.ones([2, 6])]) as tf.Tensor[];
    expect(c.shape).toEqual([2, 3, 5]);
    expect(w.shape).toEqual([2, 3, 6]);
  });

  it('rejects bad options and inputs with clear errors', () => {
    expect(() => bahdanauAttention({ units: 0 })).toThrow(/units must be a positive integer, got 0/);
    expect(() => luongAttention({ score: 'cosine' as LuongScore })).toThrow(/unknown score 'cosine'/);
    expect(() => new LuongAttention({ score: 'dot', name: 'att' }).apply([uniform([1, 2, 3], 1), uniform([1, 4, 5], 2)]))
      .toThrow(/attention layer 'att': dot score needs query and values of the same size, got 3 and 5/);
    const layer = luongAttention({ name: 'att2' });
    expect(() => layer.apply([uniform([1, 2], 1), uniform([1, 4, 5], 2)])).toThrow(/att2.*expected query \[B, Tq, Dq\]/);
    expect(() => layer.apply([uniform([1, 2, 3], 1)])).toThrow(/att2/);
    layer.apply([uniform([1, 2, 3], 1), uniform([1, 4, 5], 2)]);
    expect(() => layer.apply([uniform([1, 2, 3], 1), uniform([1, 4, 5], 2), tf.ones([1, 3])]))
      .toThrow(/mask must be \[1, 4\], got \[1, 3\]/);
    expect(() => layer.apply([uniform([1, 2, 3], 1), uniform([1, 4, 7], 2)])).toThrow(/values have 7 features, the layer was built for 5/);
  });
});
