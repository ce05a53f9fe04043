import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { quantileHead } from '../src/layers/quantile-head.js';
import {
  centralIntervalIndices, crpsFromQuantiles, crpsLevelWeights, intervalCoverage, meanPinball, normalQuantile, pinball,
} from '../src/metrics/quantile.js';
import { pinballLoss } from '../src/train/losses.js';
import { runModel } from '../src/run-model.js';

const LEVELS = [0.1, 0.5, 0.9];
// Two targets (0 and 2) forecast with the same quantiles −1, 0, 1.
const Y = [0, 2];
const Q = [[-1, 0, 1], [-1, 0, 1]];

describe('quantile metrics (hand-computed)', () => {
  it('pinball of each sign', () => {
    expect(pinball(1, 0, 0.1)).toBeCloseTo(0.1, 12); // under-forecast: τ·(y − q)
    expect(pinball(0, 1, 0.1)).toBeCloseTo(0.9, 12); // over-forecast: (1 − τ)·(q − y)
    expect(pinball(2, 2, 0.5)).toBe(0);
  });

  it('meanPinball averages every forecast and level', () => {
    // y = 0: 0.1·1 + 0 + 0.1·1 = 0.2; y = 2: 0.1·3 + 0.5·2 + 0.9·1 = 2.2; (0.2 + 2.2) / 6.
    expect(meanPinball(Y, Q, LEVELS)).toBeCloseTo(0.4, 12);
    expect(() => meanPinball(Y, [[0, 1], [0, 1]], LEVELS)).toThrow(/quantiles\[0\] has 2 values for 3 levels/);
    expect(() => meanPinball(Y, Q, [0.5, 0.1, 0.9])).toThrow(/must increase/);
    expect(() => meanPinball(Y, Q, [0, 0.5, 1])).toThrow(/strictly between 0 and 1/);
    expect(() => meanPinball([NaN, 0], Q, LEVELS)).toThrow(/yTrue\[0\] is not a finite number/);
  });

  it('intervalCoverage counts the bounds as inside', () => {
    expect(intervalCoverage([0, 1, 2, 3], [0, 0, 0, 0], [1, 1, 1, 1])).toBe(0.5);
    expect(() => intervalCoverage([0], [1], [0])).toThrow(/lower\[0\] = 1 is above upper\[0\] = 0/);
    expect(() => intervalCoverage([0, 1], [0], [1, 1])).toThrow(/yTrue has 2 values but lower has 1/);
  });

  it('centralIntervalIndices finds the two levels of a central interval', () => {
    const levels = [0.025, 0.1, 0.5, 0.9, 0.975];
    expect(centralIntervalIndices(levels, 0.8)).toEqual([1, 3]);
    expect(centralIntervalIndices(levels, 0.95)).toEqual([0, 4]);
    expect(centralIntervalIndices(levels, 0.5)).toBeUndefined();
  });

  it('crpsFromQuantiles: midpoint weights, hand values and the point-forecast identity', () => {
    const w = crpsLevelWeights(LEVELS);
    [0.3, 0.4, 0.3].forEach((v, k) => expect(w[k]).toBeCloseTo(v, 12));
    // y = 0: 2·(0.3·0.1 + 0 + 0.3·0.1) = 0.12; y = 2: 2·(0.3·0.3 + 0.4·1 + 0.3·0.9) = 1.52; mean 0.82.
    expect(crpsFromQuantiles(Y, Q, LEVELS)).toBeCloseTo(0.82, 12);
    // All quantiles equal: the CRPS of a point forecast is its absolute error.
    expect(crpsFromQuantiles([3], [[1, 1, 1]], LEVELS)).toBeCloseTo(2, 12);
  });

  it('crpsFromQuantiles approaches the closed-form CRPS of a normal forecast with many levels', () => {
    // CRPS(N(0, 1), y = 0) = 2φ(0) − 1/√π.
    const exact = 2 / Math.sqrt(2 * Math.PI) - 1 / Math.sqrt(Math.PI);
    const levels = Array.from({ length: 199 }, (_, k) => (k + 1) / 200);
    const approx = crpsFromQuantiles([0], [levels.map(normalQuantile)], levels);
    expect(Math.abs(approx - exact) / exact).toBeLessThan(0.01);
  });

  it('normalQuantile matches tabulated values', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.1)).toBeCloseTo(-1.281551566, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 7);
    expect(() => normalQuantile(1)).toThrow(/strictly between 0 and 1/);
  });
});

describe('pinballLoss', () => {
  it('equals meanPinball on the same numbers, honours weights and checks shapes', () => {
    const loss = pinballLoss(LEVELS);
    const yTrue = tf.tensor2d([Y]); // [1, 2]: one example with two targets
    const yPred = tf.tensor3d([Q]); // [1, 2, 3]
    const value = (t: tf.Scalar) => {
      const v = t.dataSync()[0];
      t.dispose();
      return v;
    };
    expect(value(loss(yTrue, yPred))).toBeCloseTo(0.4, 6);
    // Weight 0 on the second target leaves the first one's 0.2 / 3.
    const weights = tf.tensor2d([[1, 0]]);
    expect(value(loss(yTrue, yPred, weights))).toBeCloseTo(0.2 / 3, 6);
    expect(() => loss(yTrue, tf.zeros([1, 2, 2]))).toThrow(/last axis of 3 quantile levels/);
    expect(() => pinballLoss([0.9, 0.1])).toThrow(/must increase/);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) value(loss(yTrue, yPred));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([yTrue, yPred, weights]);
  });
});

describe('quantileHead', () => {
  const build = (levels: number[], scale?: number[]) => {
    const input = tf.input({ shape: [4] });
    return tf.model({ inputs: input, outputs: quantileHead(input, { outputs: 2, levels, initialScale: scale, seed: 3 }) });
  };

  it('starts at normal quantiles times the initial scale for a zero input', () => {
    const model = build(LEVELS, [1, 2]);
    const out = tf.tidy(() => runModel(model, tf.zeros([1, 4]))[0].arraySync() as number[][][]);
    const z = normalQuantile(0.9);
    [[-z, 0, z], [-2 * z, 0, 2 * z]].forEach((row, t) => row.forEach((v, k) => expect(out[0][t][k] - out[0][t][0] + row[0]).toBeCloseTo(v, 4)));
    expect(out[0][0][0]).toBeCloseTo(0, 6); // the base starts with a zero bias
    model.dispose();
  });

  it('never crosses, whatever the weights, and only its base and increments train', () => {
    const model = build([0.05, 0.25, 0.5, 0.75, 0.95]);
    expect(model.trainableWeights.map((w) => w.name).every((n) => !n.includes('cumsum'))).toBe(true);
    // Large random trainable weights: the increments stay ≥ 0.
    model.trainableWeights.forEach((w, i) => {
      const random = tf.randomNormal(w.shape as number[], 0, 5, 'float32', 11 + i);
      w.write(random);
      random.dispose();
    });
    const out = tf.tidy(() => runModel(model, tf.randomNormal([64, 4], 0, 3, 'float32', 5))[0].arraySync() as number[][][]);
    expect(out.length).toBe(64);
    for (const example of out) for (const row of example) for (let k = 1; k < row.length; k++) expect(row[k]).toBeGreaterThanOrEqual(row[k - 1]);
    model.dispose();
  });

  it('loads with stock tfjs-layers alone and predicts the same', async () => {
    const model = build(LEVELS);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const topology = JSON.stringify(saved!.modelTopology);
    expect(topology).not.toMatch(/Rnnkit/);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 9);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });
});
