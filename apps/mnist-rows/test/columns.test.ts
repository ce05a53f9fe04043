import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, initBackend, seededRng } from '@rnnkit/core';
import {
  DEFAULT_MODEL, augmentedInputTensor, fitClassifier, inputTensor, loadMnistModel, mnistConfigSchema, mnistPredictor, predictClasses,
  predictProbs, sequenceShape, type ImageSet, type ModelConfig, type Splits,
} from '../src/index.js';
import { savedModel } from './fixtures.js';

/**
 * `--mode columns`: the image read left to right, one column (top to bottom) per step. Non-square images throughout,
 * so that a transposition mistake changes a shape or a value instead of passing by symmetry.
 */

const ROWS = 3;
const COLS = 5;

/** `count` images of ROWS × COLS whose pixel (r, c) of image i is 10i + 3r + 40c (distinct within an image). */
function numbered(count: number): ImageSet {
  const pixels = new Uint8Array(count * ROWS * COLS);
  for (let i = 0; i < count; i++) for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) pixels[(i * ROWS + r) * COLS + c] = 10 * i + 3 * r + 40 * c;
  return { rows: ROWS, cols: COLS, pixels, labels: Uint8Array.from({ length: count }, (_, i) => i % 10) };
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('columns mode', () => {
  it('timestep c is column c, feature r is row r; rows mode of the same images is its transpose', () => {
    const set = numbered(2);
    expect(sequenceShape('columns', ROWS, COLS)).toEqual([COLS, ROWS]);
    const cols = inputTensor(set, [1, 0], 'columns');
    const rows = inputTensor(set, [1, 0], 'rows');
    expect(cols.shape).toEqual([2, COLS, ROWS]);
    const v = cols.arraySync();
    expect(v[0][4][2]).toBeCloseTo((10 + 6 + 160) / 255, 6);
    expect(v[1][1][0]).toBeCloseTo(40 / 255, 6);
    expect(v[1][0][2]).toBeCloseTo(6 / 255, 6);
    const transposed = tf.transpose(rows, [0, 2, 1]);
    expect(cols.arraySync()).toEqual(transposed.arraySync());
    tf.dispose([cols, rows, transposed]);
  });

  it('augmented batches are the same draws as in rows mode, transposed', () => {
    const set = numbered(4);
    const cols = augmentedInputTensor(set, [3, 1, 2], 'columns', 'flip', 'draws');
    const rows = augmentedInputTensor(set, [3, 1, 2], 'rows', 'flip', 'draws');
    const transposed = tf.transpose(rows, [0, 2, 1]);
    expect(cols.arraySync()).toEqual(transposed.arraySync());
    // The flip draws mirrored at least one image and left at least one, so both paths are covered.
    const plain = tf.transpose(inputTensor(set, [3, 1, 2], 'rows'), [0, 2, 1]);
    const same = (plain.arraySync() as number[][][]).map((img, i) => JSON.stringify(img) === JSON.stringify((cols.arraySync() as number[][][])[i]));
    expect(same).toContain(true);
    expect(same).toContain(false);
    tf.dispose([cols, rows, transposed, plain]);
  });

  it('the predictor and evaluate read a column model\'s image the same way, recorded in its directory; rows: true is refused', async () => {
    const cfg: ModelConfig = { ...DEFAULT_MODEL, mode: 'columns', rows: ROWS, cols: COLS, cell: 'lstm', units: [4] };
    expect(mnistConfigSchema.parse({ mode: 'columns' }).mode).toBe('columns');
    const loaded = await loadMnistModel(await savedModel('fashion-mnist', cfg));
    expect(loaded.extras.model.mode).toBe('columns');
    expect(loaded.model.inputs[0].shape).toEqual([null, COLS, ROWS]);
    const set = numbered(3);
    const fromEvaluate = predictProbs(loaded.model, set, 'columns');
    // Reference: the network on the transposed image built by hand, each column top to bottom.
    const byHand = Float32Array.from({ length: COLS * ROWS }, (_, k) => set.pixels[2 * ROWS * COLS + (k % ROWS) * COLS + Math.floor(k / ROWS)] / 255);
    const expected = tf.tidy(() => Array.from((loaded.model.predict(tf.tensor3d(byHand, [1, COLS, ROWS])) as tf.Tensor).dataSync()));
    const predictor = mnistPredictor(loaded);
    const inputs = [0, 1, 2].map((i) => ({ pixels: Array.from(set.pixels.subarray(i * ROWS * COLS, (i + 1) * ROWS * COLS)) }));
    await predictor.predictBatch!(inputs); // warm-up: the tensor count below must not grow with repeated calls
    const before = tf.memory().numTensors;
    for (let repeat = 0; repeat < 3; repeat++) {
      const batch = await predictor.predictBatch!(inputs);
      batch.forEach((out, i) => out.probabilities.forEach((p, c) => expect(p).toBeCloseTo(fromEvaluate[i * 10 + c], 5)));
      batch[2].probabilities.forEach((p, c) => expect(p).toBeCloseTo(expected[c], 5));
    }
    expect(tf.memory().numTensors).toBe(before);
    await expect(predictor.predict({ ...inputs[0], rows: true })).rejects.toThrow(
      'input: field "rows": needs a model that reads rows or pixels: this one reads columns (--mode columns)',
    );
    predictor.dispose();
  });

  it('a column reader learns where the ink is (held-out accuracy far above chance)', async () => {
    // Class k: column k is lit at a random brightness, the rest is dark. Four classes: chance is 25%.
    const make = (count: number, seed: string): ImageSet => {
      const rng = seededRng(seed);
      const pixels = new Uint8Array(count * ROWS * COLS);
      const labels = Uint8Array.from({ length: count }, () => Math.floor(rng() * 4));
      for (let i = 0; i < count; i++) {
        const level = 120 + Math.floor(rng() * 136);
        for (let r = 0; r < ROWS; r++) pixels[(i * ROWS + r) * COLS + labels[i]] = level;
      }
      return { rows: ROWS, cols: COLS, pixels, labels };
    };
    const splits: Splits = { train: make(320, 'train'), val: make(40, 'val'), test: make(100, 'test'), trainedOnTestSet: false, description: 'fixture' };
    const cfg: ModelConfig = { ...DEFAULT_MODEL, mode: 'columns', rows: ROWS, cols: COLS, cell: 'gru', units: [8] };
    const untrained = await fitClassifier(splits, cfg, { epochs: 1, maxStepsPerEpoch: 1, batchSize: 32, learningRate: 1e-9, seed: 3, progress: 'none' });
    const chanceLevel = accuracy(splits.test.labels, predictClasses(untrained.model, splits.test, 'columns'));
    untrained.model.dispose();
    const { model } = await fitClassifier(splits, cfg, { epochs: 6, batchSize: 32, learningRate: 3e-2, clipNorm: 1, seed: 3, progress: 'none' });
    const acc = accuracy(splits.test.labels, predictClasses(model, splits.test, 'columns'));
    model.dispose();
    expect(chanceLevel).toBeLessThan(0.6);
    expect(acc).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
