import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { setSeed } from '@rnnkit/core';
import type { Splits } from '../src/data.js';
import { CLASS_NAMES } from '../src/datasets.js';
import { formatEvaluation, misclassifiedPng, predictProbs, scorePredictions } from '../src/evaluate.js';
import type { ImageSet } from '../src/images.js';
import { buildModel, DEFAULT_MODEL } from '../src/model.js';
import { fitClassifier } from '../src/train.js';
import { syntheticImages, tempDir } from './fixtures.js';

const names = CLASS_NAMES.mnist;

function fixtureSet(n: number, rows = 28, cols = 28): ImageSet {
  const { pixels, labels } = syntheticImages(n, rows, cols);
  return { rows, cols, pixels, labels };
}

describe('evaluation', () => {
  it('wires labels and predictions into confusion[true][predicted], per-class accuracy and the report', () => {
    const set = fixtureSet(6); // labels 0..5
    const predicted = Int32Array.from([0, 1, 7, 3, 4, 9]); // class 2 taken for 7, class 5 for 9
    const ev = scorePredictions(set, predicted, names);
    expect(ev.accuracy).toBeCloseTo(4 / 6, 10);
    expect(ev.confusion[2][7]).toBe(1);
    expect(ev.confusion[5][9]).toBe(1);
    expect(ev.confusion[7][2]).toBe(0);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(6);
    expect(ev.perClass[2]).toMatchObject({ correct: 0, total: 1, accuracy: 0 });
    expect(ev.perClass[3]).toMatchObject({ correct: 1, total: 1, accuracy: 1 });
    expect(Number.isNaN(ev.perClass[8].accuracy)).toBe(true);
    const text = formatEvaluation(ev, names);
    expect(text).toContain('test accuracy  66.67% (4/6)');
    expect(text).toMatch(/\n {2}2 +0 +0 +0 +0 +0 +0 +0 +1 +0 +0\n/);

    const png = PNG.sync.read(Buffer.from(misclassifiedPng(set, ev, names)!));
    expect(png.width).toBeGreaterThan(2 * 28);
    expect(misclassifiedPng(set, scorePredictions(set, Int32Array.from(set.labels), names), names)).toBeUndefined();
  });

  it('predictProbs matches model.predict across batch boundaries', () => {
    setSeed(2);
    const model = buildModel({ ...DEFAULT_MODEL, rows: 4, cols: 4, cell: 'gru', units: [6] });
    const set = fixtureSet(300, 4, 4);
    const probs = predictProbs(model, set, 'rows');
    expect(probs.length).toBe(3000);
    const x = tf.tensor3d(Float32Array.from(set.pixels.subarray(290 * 16), (v) => v / 255), [10, 4, 4]);
    const direct = (model.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < 100; i++) expect(probs[2900 + i]).toBeCloseTo(direct[i], 5);
  });

  it('training does not leak tensors from step to step', async () => {
    const set = fixtureSet(96, 6, 6);
    const splits: Splits = { train: set, val: fixtureSet(20, 6, 6), test: set, trainedOnTestSet: false, description: 'fixture' };
    const counts: number[] = [];
    const out = tempDir('leak');
    const settings = {
      epochs: 3, batchSize: 16, learningRate: 1e-2, clipNorm: 1, earlyStopping: { patience: 5 }, seed: 4, progress: 'none' as const,
      checkpointDir: path.join(out, 'checkpoints'), metricsLog: path.join(out, 'metrics.jsonl'),
    };
    const cfg = { ...DEFAULT_MODEL, rows: 6, cols: 6, cell: 'lstm' as const, units: [5] };
    const callbacks = { onBatchEnd: () => void counts.push(tf.memory().numTensors) };
    const { result } = await fitClassifier(splits, cfg, { ...settings, callbacks });
    expect(result.history).toHaveLength(3);
    const perEpoch = [counts.slice(0, 6), counts.slice(6, 12), counts.slice(12, 18)];
    expect(counts).toHaveLength(18);
    // Flat within every epoch; after epoch 1 the trainer holds one copy of the best weights, replaced, not piled up.
    for (const epoch of perEpoch) expect(new Set(epoch).size).toBe(1);
    expect(perEpoch[2][0]).toBe(perEpoch[1][0]);
  });
});
