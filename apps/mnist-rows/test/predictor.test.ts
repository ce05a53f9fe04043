import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@rnnkit/core';
import {
  APP_VERSION,
  CLASS_NAMES,
  DEFAULT_MODEL,
  buildEveryStepModel,
  exampleInput,
  formatPrediction,
  loadMnistModel,
  mnistApp,
  mnistInputSchema,
  mnistPredictor,
  type MnistExtras,
  type ModelConfig,
} from '../src/index.js';
import { savedModel } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('the mnist-rows predictor', () => {
  it('takes 784 values or 28 rows of 28 alike, and names the class from the training dataset', async () => {
    const predictor = mnistPredictor(await loadMnistModel(await savedModel('fashion-mnist')));
    const grid = exampleInput.pixels as number[][];
    const fromGrid = await predictor.predict({ pixels: grid });
    const fromFlat = await predictor.predict({ pixels: grid.flat() });
    expect(fromFlat).toEqual(fromGrid);
    expect(fromGrid.probabilities).toHaveLength(10);
    expect(fromGrid.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(fromGrid.probabilities[fromGrid.label]).toBe(Math.max(...fromGrid.probabilities));
    expect(fromGrid.className).toBe(CLASS_NAMES['fashion-mnist'][fromGrid.label]);
    // JSON-serializable plain data.
    expect(JSON.parse(JSON.stringify(fromGrid))).toEqual(fromGrid);
    // The text rendering ranks every class by name and ends with the prediction.
    const text = formatPrediction(fromGrid).split('\n');
    expect(text).toHaveLength(11);
    expect(text[0]).toContain(fromGrid.className);
    expect(text.at(-1)).toBe(`prediction: ${fromGrid.className}`);
    predictor.dispose();
  });

  it('refuses a bad input with one line naming the field', async () => {
    const predictor = await mnistApp.loadPredictor(await savedModel('mnist'));
    const zeros = (n: number) => Array.from({ length: n }, () => 0);
    await expect(predictor.predict({ pixels: zeros(783) })).rejects.toThrow(
      'input: field "pixels": must hold 784 values (a 28×28 image row by row) or 28 rows of 28 values',
    );
    await expect(predictor.predict({ pixels: [...zeros(27).map(() => zeros(28)), zeros(27)] })).rejects.toThrow(
      'input: field "pixels[27]": each row must hold 28 values',
    );
    await expect(predictor.predict({ pixels: [...zeros(783), 256] })).rejects.toThrow('input: field "pixels[783]": must be a gray level in [0, 255] (got 256)');
    await expect(predictor.predict({ pixels: [...zeros(783), -1] })).rejects.toThrow('field "pixels[783]"');
    await expect(predictor.predict({ ...exampleInput, topK: 3 })).rejects.toThrow('input: unknown field "topK"');
    await expect(predictor.predict({})).rejects.toThrow('field "pixels"');
    await expect(predictor.predict({ pixels: 'abc' })).rejects.toThrow('field "pixels"');
    predictor.dispose();
  });

  it('validates against the size of the loaded model, not only 28×28', async () => {
    const run = await savedModel('mnist', { ...DEFAULT_MODEL, rows: 4, cols: 4, cell: 'lstm', units: [3] });
    const predictor = mnistPredictor(await loadMnistModel(run));
    const out = await predictor.predict({ pixels: Array.from({ length: 16 }, (_, i) => i * 10) });
    expect(out.probabilities).toHaveLength(10);
    await expect(predictor.predict(exampleInput)).rejects.toThrow('field "pixels": must be an array of 16 values (a 4×4 image row by row) or 4 rows of 4 values');
    predictor.dispose();
  });

  it('exampleInput is valid for the 28×28 schema; the pixel mode reads the same values as 784 steps', async () => {
    expect(mnistInputSchema.safeParse(exampleInput).success).toBe(true);
    const run = await savedModel('mnist', { ...DEFAULT_MODEL, mode: 'pixels', cell: 'gru', units: [4] });
    const loaded = await loadMnistModel(run);
    const expected = tf.tidy(() => {
      const x = tf.tensor3d(Float32Array.from((exampleInput.pixels as number[][]).flat(), (v) => v / 255), [1, 784, 1]);
      return Array.from((loaded.model.predict(x) as tf.Tensor).dataSync());
    });
    const predictor = mnistPredictor(loaded);
    const out = await predictor.predict(exampleInput);
    out.probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 6));
    predictor.dispose();
  });

  it('predictBatch gives what predict gives on each input, in one model call; a bad input names its index', async () => {
    const predictor = mnistPredictor(await loadMnistModel(await savedModel('mnist')));
    const inputs = [exampleInput, { pixels: Array.from({ length: 784 }, (_, i) => (i * 37) % 256) }, { pixels: Array.from({ length: 784 }, () => 0) }];
    const batch = await predictor.predictBatch!(inputs);
    expect(batch).toHaveLength(3);
    for (let i = 0; i < inputs.length; i++) {
      const one = await predictor.predict(inputs[i]);
      expect(batch[i].label).toBe(one.label);
      batch[i].probabilities.forEach((p, c) => expect(p).toBeCloseTo(one.probabilities[c], 5));
    }
    await expect(predictor.predictBatch!([exampleInput, { pixels: [1] }])).rejects.toThrow('input[1]: field "pixels"');
    predictor.dispose();
  });

  it('rows: true adds the class probabilities after each row: the head on the recurrent state after that row', async () => {
    // Two stacked layers: the every-step model applies the lower layer and the head again and replaces the top one.
    const loaded = await loadMnistModel(await savedModel('mnist', { ...DEFAULT_MODEL, cell: 'lstm', units: [5, 4] }));
    const input = { pixels: Array.from({ length: 784 }, (_, i) => (i * 37) % 256) };
    // Reference: the trained layers themselves on the image cut after each row (the top layer returns its last state).
    const x = tf.tensor3d(Float32Array.from(input.pixels, (v) => v / 255), [1, 28, 28]);
    const expected = Array.from({ length: 28 }, (_, r) => {
      const probs = tf.tidy(() => loaded.model.layers.slice(1).reduce<tf.Tensor>((h, layer) => layer.apply(h) as tf.Tensor, tf.slice(x, [0, 0, 0], [1, r + 1, 28])));
      const values = Array.from(probs.dataSync());
      probs.dispose();
      return values;
    });
    x.dispose();
    const predictor = mnistPredictor(loaded);
    const plain = await predictor.predict(input);
    expect(plain).not.toHaveProperty('rows');
    const out = await predictor.predict({ ...input, rows: true });
    expect(out.probabilities).toEqual(plain.probabilities);
    expect(out.rows).toHaveLength(28);
    out.rows!.forEach((row, r) => row.forEach((p, c) => expect(p, `row ${r}, class ${c}`).toBeCloseTo(expected[r][c], 5)));
    out.rows![27].forEach((p, c) => expect(p).toBeCloseTo(out.probabilities[c], 5));
    expect(out.rows![0]).not.toEqual(out.rows![27]);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
    predictor.dispose();
  });

  it('rows in pixel mode are read after each row\'s last pixel; predictBatch gives rows only to the inputs that ask', async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadMnistModel(await savedModel('mnist', { ...DEFAULT_MODEL, mode: 'pixels', cell: 'gru', units: [3] }));
    const pixels = Float32Array.from((exampleInput.pixels as number[][]).flat(), (v) => v / 255);
    // Reference for a few rows: the trained layers on the pixels up to the row's last one.
    const expected = new Map([4, 13, 27].map((r) => {
      const probs = tf.tidy(() => loaded.model.layers.slice(1).reduce<tf.Tensor>((h, layer) => layer.apply(h) as tf.Tensor, tf.tensor3d(pixels.subarray(0, (r + 1) * 28), [1, (r + 1) * 28, 1])));
      const values = Array.from(probs.dataSync());
      probs.dispose();
      return [r, values];
    }));
    const predictor = mnistPredictor(loaded);
    const zeros = { pixels: Array.from({ length: 784 }, () => 0) };
    const [withRows, without] = await predictor.predictBatch!([{ ...exampleInput, rows: true }, zeros]);
    const one = await predictor.predict({ ...exampleInput, rows: true });
    expect(without).not.toHaveProperty('rows');
    expect(withRows.rows).toHaveLength(28);
    withRows.rows!.forEach((row, r) => row.forEach((p, c) => expect(p).toBeCloseTo(one.rows![r][c], 5)));
    for (const [r, probs] of expected) withRows.rows![r].forEach((p, c) => expect(p, `row ${r}, class ${c}`).toBeCloseTo(probs[c], 5));
    predictor.dispose();
    // Both models (the loaded one and the every-step one sharing its layers) are freed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rows: true on a bidirectional model is refused with one line naming the field; plain predictions still work', async () => {
    const loaded = await loadMnistModel(await savedModel('mnist', { ...DEFAULT_MODEL, cell: 'gru', units: [4], bidirectional: true }));
    expect(() => buildEveryStepModel(loaded.model)).toThrow('class probabilities after each row need a unidirectional model: this one is bidirectional');
    const predictor = mnistPredictor(loaded);
    await expect(predictor.predict({ ...exampleInput, rows: true })).rejects.toThrow(
      'input: field "rows": needs a unidirectional model: this one is bidirectional (its backward half reads the whole image before any row)',
    );
    await expect(predictor.predict({ ...exampleInput, rows: 'yes' })).rejects.toThrow('input: field "rows"');
    expect((await predictor.predict({ ...exampleInput, rows: false })).probabilities).toHaveLength(10);
    predictor.dispose();
  });

  it('a model with head dropout: dropout only in training, rows through the same head, older records without the field load', async () => {
    const cfg: ModelConfig = { ...DEFAULT_MODEL, cell: 'gru', units: [5], headDropout: 0.5 };
    const run = await savedModel('fashion-mnist', cfg);
    const loaded = await loadMnistModel(run);
    expect(loaded.model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'RnnkitRecurrent', 'Dropout', 'Dense']);
    const predictor = mnistPredictor(loaded);
    const withRows = await predictor.predict({ ...exampleInput, rows: true });
    expect(await predictor.predict(exampleInput)).toEqual({ label: withRows.label, className: withRows.className, probabilities: withRows.probabilities });
    withRows.rows!.at(-1)!.forEach((p, c) => expect(p).toBeCloseTo(withRows.probabilities[c], 5));
    predictor.dispose();
    // A model directory written before headDropout existed has no such field: it means none.
    const file = path.join(run, 'model', 'rnnkit.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { extras: { model: Partial<ModelConfig> } };
    delete meta.extras.model.headDropout;
    writeFileSync(file, JSON.stringify(meta));
    const older = await loadMnistModel(run);
    expect(older.extras.model.headDropout).toBe(0);
    older.model.dispose();
  });

  it('refuses a model directory whose recorded image size does not match its network', async () => {
    const run = await savedModel('mnist');
    const file = path.join(run, 'model', 'rnnkit.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { extras: MnistExtras };
    meta.extras.model.rows = 14;
    writeFileSync(file, JSON.stringify(meta));
    await expect(loadMnistModel(run)).rejects.toThrow(`${path.join(run, 'model')}/rnnkit.json: extras.model.mode/rows/cols (rows, 14×28) do not match`);
  });

  it('APP_VERSION is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
    expect(mnistApp.version).toBe(pkg.version);
  });
});
