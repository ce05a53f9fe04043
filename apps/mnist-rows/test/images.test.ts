import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { imageBatchSource, inputTensor, labelTensor, sequenceShape, subset, type ImageSet } from '../src/images.js';

/** Three 28×28 images whose pixel (r, c) of image i is (i + r + 2c) % 256. */
function numbered(): ImageSet {
  const pixels = new Uint8Array(3 * 784);
  for (let i = 0; i < 3; i++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) pixels[i * 784 + r * 28 + c] = (i + r + 2 * c) % 256;
  return { rows: 28, cols: 28, pixels, labels: new Uint8Array([7, 1, 4]) };
}

describe('image sequences', () => {
  it('rows mode: image row r is timestep r, column c is feature c, scaled to 0..1', () => {
    const set = numbered();
    const x = inputTensor(set, [2, 0], 'rows');
    expect(x.shape).toEqual([2, 28, 28]);
    const v = x.arraySync();
    expect(v[0][5][9]).toBeCloseTo((2 + 5 + 18) / 255, 6);
    expect(v[1][27][27]).toBeCloseTo((0 + 27 + 54) / 255, 6);
    x.dispose();
  });

  it('pixels mode: 784 timesteps of one pixel in row-major order', () => {
    const set = numbered();
    const x = inputTensor(set, [1], 'pixels');
    expect(x.shape).toEqual([1, 784, 1]);
    const v = x.arraySync();
    expect(v[0][5 * 28 + 9][0]).toBeCloseTo((1 + 5 + 18) / 255, 6);
    expect(sequenceShape('pixels', 28, 28)).toEqual([784, 1]);
    expect(sequenceShape('rows', 28, 28)).toEqual([28, 28]);
    x.dispose();
  });

  it('subset copies the chosen images with their labels', () => {
    const s = subset(numbered(), [2, 2, 0]);
    expect(Array.from(s.labels)).toEqual([4, 4, 7]);
    expect(s.pixels[784 + 5]).toBe((2 + 10) % 256);
    expect(s.pixels[2 * 784 + 5]).toBe(10);
    const y = labelTensor(s, [1, 2]);
    expect(Array.from(y.dataSync())).toEqual([4, 7]);
    y.dispose();
  });

  it('the batch source visits every image once per epoch, with labels matching images', () => {
    const n = 23;
    const pixels = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) pixels.fill(i, i * 4, i * 4 + 4);
    const set: ImageSet = { rows: 2, cols: 2, pixels, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
    const source = imageBatchSource(set, 'rows', 5, { shuffle: true });
    expect(source.numBatches()).toBe(5);
    const seen: number[] = [];
    for (const batch of source.batches(0)) {
      const ids = Array.from((batch.xs as tf.Tensor).dataSync().filter((_, k) => k % 4 === 0), (v) => Math.round(v * 255));
      expect(Array.from((batch.ys as tf.Tensor).dataSync())).toEqual(ids.map((i) => i % 10));
      seen.push(...ids);
      tf.dispose([batch.xs as tf.Tensor, batch.ys as tf.Tensor]);
    }
    expect(seen.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
