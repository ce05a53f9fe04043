import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, commandContext, confusionMatrix, initBackend, meanProbabilities, seededRng, setSeed } from '@rnnkit/core';
import {
  DEFAULT_MODEL, DEFAULT_SPLIT, buildModel, loadMnistModel, loadSplits, mirroredImages, mnistApp, predictProbs,
  resolveFiles, viewProbs, type EvaluationReport, type ImageSet, type SplitConfig,
} from '../src/index.js';
import { imagesIdx, labelsIdx, savedModel, tempDir } from './fixtures.js';

/** Test-time augmentation (`--tta flip`) and ensembles (`evaluate --ensemble`), on random 28×28 images. */

const SIZE = 28;

function randomImages(count: number, seed: string): ImageSet {
  const rng = seededRng(seed);
  const pixels = Uint8Array.from({ length: count * SIZE * SIZE }, () => Math.floor(rng() * 256));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { rows: SIZE, cols: SIZE, pixels, labels };
}

/** A folder of IDX files: 50 training and 30 test images of noise (no image is its own mirror). */
function writeNoiseFolder(): string {
  const dir = tempDir('tta-data');
  const write = (name: string, set: ImageSet) => {
    writeFileSync(path.join(dir, `${name}-images-idx3-ubyte`), imagesIdx(set.pixels, set.labels.length));
    writeFileSync(path.join(dir, `${name}-labels-idx1-ubyte`), labelsIdx(set.labels));
  };
  write('train', randomImages(50, 'train'));
  write('t10k', randomImages(30, 'test'));
  return dir;
}

/** An untrained model saved as train saves one (differently seeded models disagree, as ensemble members do). */
const VAL_SPLIT: SplitConfig = { ...DEFAULT_SPLIT, valFraction: 0.2 };
const member = (seed: number, split = VAL_SPLIT) => savedModel('fashion-mnist', undefined, { seed, split });

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('mirroredImages', () => {
  it('reverses every row of every image exactly and keeps the labels', () => {
    const set = randomImages(3, 'mirror');
    const mirrored = mirroredImages(set);
    for (let i = 0; i < 3; i++) {
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          expect(mirrored.pixels[(i * SIZE + y) * SIZE + x]).toBe(set.pixels[(i * SIZE + y) * SIZE + SIZE - 1 - x]);
        }
      }
    }
    expect(mirrored.labels).toEqual(set.labels);
    expect(mirroredImages(mirrored).pixels).toEqual(set.pixels);
  });
});

describe('viewProbs', () => {
  it('flip averages the probabilities of each image and of its mirror image; off is the plain reading', () => {
    setSeed(3);
    const model = buildModel({ ...DEFAULT_MODEL, cell: 'gru', units: [5] });
    const set = randomImages(20, 'views');
    const plain = predictProbs(model, set, 'rows');
    const mirrored = predictProbs(model, mirroredImages(set), 'rows');
    expect(mirrored).not.toEqual(plain);
    const flip = viewProbs(model, set, 'rows', 'flip');
    expect(flip.plain).toEqual(plain);
    for (let i = 0; i < plain.length; i++) expect(flip.tta[i]).toBeCloseTo((plain[i] + mirrored[i]) / 2, 6);
    for (let r = 0; r < 20; r++) expect(flip.tta.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const off = viewProbs(model, set, 'rows', 'off');
    expect(off.tta).toBe(off.plain);

    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) viewProbs(model, set, 'rows', 'flip');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('evaluate --tta flip --ensemble', () => {
  const data = writeNoiseFolder();
  const ctx = commandContext({ quiet: true });
  const evaluate = async (model: string, flags: Record<string, unknown>) =>
    (await mnistApp.evaluate.run(model, { data, ...flags }, ctx)) as { report: EvaluationReport; text: string };

  it('scores the mean of the members\' mirrored-and-plain probabilities, and reports each member and the plain reading', async () => {
    const runs = [await member(11), await member(12)];
    const out = tempDir('tta-eval');
    const { report, text } = await evaluate(runs[0], { out, tta: 'flip', ensemble: [runs[1]] });

    // The same figures computed here from the models and the split.
    const splits = loadSplits(await resolveFiles({ dataset: 'fashion-mnist', dir: data }), VAL_SPLIT);
    const loaded = await Promise.all(runs.map(async (run) => (await loadMnistModel(run)).model));
    const views = loaded.map((m) => ({ val: viewProbs(m, splits.val, 'rows', 'flip'), test: viewProbs(m, splits.test, 'rows', 'flip') }));
    const acc = (set: ImageSet, probs: Float32Array) => accuracy(set.labels, argmaxRows(probs, 10));
    expect(report.tta).toBe('flip');
    expect(report.accuracy).toBe(acc(splits.test, meanProbabilities(views.map((v) => v.test.tta))));
    expect(report.validationAccuracy).toBe(acc(splits.val, meanProbabilities(views.map((v) => v.val.tta))));
    expect(report.withoutTta).toEqual({
      validationAccuracy: acc(splits.val, meanProbabilities(views.map((v) => v.val.plain))),
      accuracy: acc(splits.test, meanProbabilities(views.map((v) => v.test.plain))),
    });
    expect(report.ensemble!.members).toEqual(views.map((v, i) => ({
      name: path.join(runs[i], 'model'), validationAccuracy: acc(splits.val, v.val.tta), accuracy: acc(splits.test, v.test.tta),
    })));
    // The per-class table is that of the mirrored-and-plain ensemble, which on this fixture predicts differently
    // from the plain one (else the check could not tell them apart).
    const predicted = argmaxRows(meanProbabilities(views.map((v) => v.test.tta)), 10);
    expect(predicted).not.toEqual(argmaxRows(meanProbabilities(views.map((v) => v.test.plain)), 10));
    expect(report.confusion).toEqual(confusionMatrix(splits.test.labels, predicted, 10));
    expect(JSON.parse(readFileSync(path.join(out, 'evaluation.json'), 'utf8'))).toMatchObject({ tta: 'flip', accuracy: report.accuracy });
    expect(text).toMatch(/\nvalidation accuracy +\d+\.\d\d%\ntest-time augmentation flip: .*reading each image once: test \d+\.\d\d%, validation \d+\.\d\d%\nensemble: mean of the class probabilities of 2 models/);
    loaded.forEach((m) => m.dispose());

    // A single model without --tta: no ensemble and no second reading in the report.
    const single = (await evaluate(runs[0], { out })).report;
    expect(single.tta).toBe('off');
    expect(single.withoutTta).toBeUndefined();
    expect(single.ensemble).toBeUndefined();
    expect(single.accuracy).toBe(acc(splits.test, views[0].test.plain));
  });

  it('refuses a member trained on another split, naming it and the field', async () => {
    const first = await member(11);
    const other = await member(12, { ...VAL_SPLIT, splitSeed: 7 });
    await expect(evaluate(first, { ensemble: [other] })).rejects.toThrow(
      new RegExp(`^--ensemble ${other.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*: split\\.splitSeed 7 differs from --model .*'s 20240101`),
    );
  });
});
