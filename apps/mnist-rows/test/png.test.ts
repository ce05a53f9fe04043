import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { saveModelDir, setSeed } from '@rnnkit/core';
import { DEFAULT_SPLIT } from '../src/data.js';
import { CLASS_NAMES } from '../src/datasets.js';
import { buildModel, DEFAULT_MODEL, type MnistExtras, type ModelConfig } from '../src/model.js';
import { inkBox, padToSquare, prepareDigitPng, resizeArea } from '../src/png.js';
import { pngInput, readMnistExtras } from '../src/predict.js';
import { loadMnistModel } from '../src/load-model.js';
import { MNIST_APP, mnistPredictor, rankClasses } from '../src/predictor.js';
import { APP_VERSION } from '../src/version.js';
import { tempDir } from './fixtures.js';

const dir = tempDir('png');

/** A w × h RGBA PNG: white paper with a black vertical bar in columns [x0, x1). */
function barPng(name: string, w: number, h: number, x0: number, x1: number, opts: { transparent?: boolean } = {}): string {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * (y * w + x);
      const ink = x >= x0 && x < x1 && y >= h / 4 && y < (3 * h) / 4;
      png.data[o] = png.data[o + 1] = png.data[o + 2] = ink ? 0 : 255;
      png.data[o + 3] = opts.transparent && !ink ? 0 : 255;
    }
  }
  const file = path.join(dir, name);
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

describe('user PNG → model input', () => {
  it('resizeArea averages areas: the mean is kept and a 2×2 block becomes one pixel', () => {
    const values = Float32Array.from({ length: 56 * 56 }, (_, i) => (i % 7) / 6);
    const small = resizeArea({ width: 56, height: 56, values }, 28, 28);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(small.values)).toBeCloseTo(mean(values), 5);
    expect(small.values[0]).toBeCloseTo((values[0] + values[1] + values[56] + values[57]) / 4, 6);
    // Non-integer ratio: every output is still a weighted mean within the input range.
    const odd = resizeArea({ width: 45, height: 45, values: new Float32Array(45 * 45).fill(0.25) }, 28, 28);
    for (const v of odd.values) expect(v).toBeCloseTo(0.25, 5);
  });

  it('padToSquare centers a wide image on its background', () => {
    const sq = padToSquare({ width: 4, height: 2, values: new Float32Array(8).fill(0) }, 1);
    expect(sq.width).toBe(4);
    expect(Array.from(sq.values)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('a large dark-on-white PNG is resized to 28×28 and inverted to light ink on black', () => {
    const file = barPng('bar.png', 112, 112, 52, 60);
    const img = prepareDigitPng(file, { size: 28, invert: 'auto' });
    expect(img.inverted).toBe(true);
    expect([img.width, img.height, img.originalWidth]).toEqual([28, 28, 112]);
    expect(img.values[14 * 28 + 13]).toBeCloseTo(1, 5); // inside the bar (source columns 52..56)
    expect(img.values[14 * 28 + 3]).toBeCloseTo(0, 5); // background
    expect(img.values[2 * 28 + 13]).toBeCloseTo(0, 5); // above the bar
    const forced = prepareDigitPng(file, { size: 28, invert: 'no' });
    expect(forced.inverted).toBe(false);
    expect(forced.values[14 * 28 + 3]).toBeCloseTo(1, 5);
  });

  it('with fit, content is cropped, scaled into fit × fit and centered by mass like MNIST', () => {
    // A bar far off-center in the left part of a 100×100 page, rows 25..75.
    const img = prepareDigitPng(barPng('corner.png', 100, 100, 5, 15), { size: 28, invert: 'auto', fit: 20 });
    const box = inkBox(img, 0.5)!;
    expect(box.y1 - box.y0).toBe(20); // the tall side fills the 20-pixel box
    let [mass, mx, my] = [0, 0, 0];
    img.values.forEach((v, i) => ([mass, mx, my] = [mass + v, mx + v * (i % 28), my + v * Math.floor(i / 28)]));
    expect(mx / mass + 0.5).toBeCloseTo(14, 0);
    expect(my / mass + 0.5).toBeCloseTo(14, 0);
  });

  it('transparent background counts as white paper', () => {
    const img = prepareDigitPng(barPng('alpha.png', 28, 28, 13, 15, { transparent: true }), { size: 28, invert: 'auto' });
    expect(img.inverted).toBe(true);
    expect(img.values[14 * 28 + 13]).toBeCloseTo(1, 5);
  });

  it('names a file that is not a PNG', () => {
    const file = path.join(dir, 'not.png');
    writeFileSync(file, 'hello');
    expect(() => prepareDigitPng(file, { size: 28, invert: 'auto' })).toThrow(`${file}: not a readable PNG`);
  });

  it('predict: a saved model classifies a PNG and returns ranked probabilities summing to 1', async () => {
    setSeed(3);
    const cfg: ModelConfig = { ...DEFAULT_MODEL, cell: 'gru', units: [8] };
    const model = buildModel(cfg);
    const run = tempDir('model');
    const extras: MnistExtras = {
      model: cfg,
      dataset: 'mnist',
      classNames: [...CLASS_NAMES.mnist],
      split: DEFAULT_SPLIT,
      trainedOnTestSet: true,
      dataDescription: 'fixture',
      data: run,
    };
    await saveModelDir(path.join(run, 'model'), model, { app: { name: MNIST_APP, version: APP_VERSION }, extras });
    // The run directory works as well as run/model.
    const { input, image } = pngInput(barPng('p.png', 56, 40, 26, 30), await readMnistExtras(run), { invert: 'auto', center: true });
    expect(image.inverted).toBe(true);
    const predictor = mnistPredictor(await loadMnistModel(run));
    const output = await predictor.predict(input);
    predictor.dispose();
    const ranked = rankClasses(output);
    expect(ranked).toHaveLength(10);
    expect(ranked.reduce((s, r) => s + r.probability, 0)).toBeCloseTo(1, 4);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1].probability).toBeGreaterThanOrEqual(ranked[i].probability);
    expect([ranked[0].classId, ranked[0].name]).toEqual([output.label, output.className]);
    // Same answer as running the model directly on the prepared image.
    const direct = tf.tidy(() => (model.predict(tf.tensor3d(image.values, [1, 28, 28])) as tf.Tensor).dataSync());
    expect(ranked[0].probability).toBeCloseTo(Math.max(...direct), 5);
  });
});
