import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { seededRng } from '@rnnkit/core/browser';
import { augmentImage, gaussianBlur, gaussianKernel, type Augmentation } from '../src/augment.js';
import { imageBatchSource, type ImageSet } from '../src/images.js';

/** A 28×28 image: a filled 8×6 rectangle (value 200) at rows 10..17, columns 11..16, plus a gradient pixel row. */
function rectangle(): Uint8Array {
  const img = new Uint8Array(784);
  for (let r = 10; r < 18; r++) for (let c = 11; c < 17; c++) img[r * 28 + c] = 200;
  for (let c = 0; c < 28; c++) img[3 * 28 + c] = c * 9;
  return img;
}

/** A generator that returns the given values in turn, then 0.5 (the draw that means "no change") forever. */
function scripted(values: number[]): () => number {
  let i = 0;
  return () => (i < values.length ? values[i++] : 0.5);
}

function augmented(img: Uint8Array, kind: Augmentation, rng: () => number): Float32Array {
  const out = new Float32Array(784);
  augmentImage(img, 0, 28, 28, kind, rng, out, 0);
  return out;
}

const sum = (a: Float32Array): number => a.reduce((s, v) => s + v, 0);

describe('training-time augmentation', () => {
  it("'off' is the image scaled to 0..1", () => {
    const img = rectangle();
    expect(Array.from(augmented(img, 'off', Math.random))).toEqual(Array.from(Float32Array.from(img, (v) => v / 255)));
  });

  it('draws in the middle of every range (no rotation, scale, shear, shift or wobble) give the image back exactly', () => {
    const img = rectangle();
    const expected = Array.from(Float32Array.from(img, (v) => v / 255));
    expect(Array.from(augmented(img, 'affine', () => 0.5))).toEqual(expected);
    expect(Array.from(augmented(img, 'elastic', () => 0.5))).toEqual(expected);
  });

  it('a shift draw moves the image by whole pixels in the right direction', () => {
    const img = rectangle();
    // Draw order: rotation, shear, scale, x shift, y shift. 0.75 → +1 pixel right (range ±2); 0.25 → 1 pixel up.
    const out = augmented(img, 'affine', scripted([0.5, 0.5, 0.5, 0.75, 0.25]));
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const from = r + 1 < 28 && c - 1 >= 0 ? img[(r + 1) * 28 + (c - 1)] : 0;
        expect(out[r * 28 + c]).toBeCloseTo(from / 255, 5);
      }
    }
  });

  it('random transforms keep the digit: ink stays near its amount and inside the frame, values in 0..1', () => {
    const img = new Uint8Array(784);
    for (let r = 10; r < 18; r++) for (let c = 11; c < 17; c++) img[r * 28 + c] = 200;
    const ink = sum(Float32Array.from(img, (v) => v / 255));
    let seed = 1;
    const rng = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 50; trial++) {
      for (const kind of ['affine', 'elastic'] as const) {
        const out = augmented(img, kind, rng);
        expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...out)).toBeLessThanOrEqual(200 / 255 + 1e-6);
        // An affine map changes area by its determinant, scale² here (0.81..1.21), plus bilinear blur at the edges;
        // the elastic wobble also stretches and squeezes locally.
        const [low, high] = kind === 'affine' ? [0.75, 1.3] : [0.5, 1.8];
        expect(sum(out) / ink).toBeGreaterThan(low);
        expect(sum(out) / ink).toBeLessThan(high);
      }
    }
    // ...and a transform is not the identity.
    expect(Array.from(augmented(img, 'elastic', rng))).not.toEqual(Array.from(img, (v) => v / 255));
  });

  it('the batch source redraws each epoch, reproducibly from its seed, and a fresh source (a resume) sees the same images', () => {
    const n = 12;
    const pixels = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) pixels.set(rectangle(), i * 784);
    const set: ImageSet = { rows: 28, cols: 28, pixels, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
    const firstBatch = (seed: number, epoch: number): Float32Array => {
      const source = imageBatchSource(set, 'rows', 4, { shuffle: true, augment: 'elastic', seed });
      const [batch] = source.batches(epoch);
      const values = (batch.xs as tf.Tensor).dataSync() as Float32Array;
      tf.dispose([batch.xs as tf.Tensor, batch.ys as tf.Tensor]);
      return values;
    };
    const before = tf.memory().numTensors;
    expect(firstBatch(7, 3)).toEqual(firstBatch(7, 3));
    expect(firstBatch(7, 3)).not.toEqual(firstBatch(7, 4));
    expect(firstBatch(7, 3)).not.toEqual(firstBatch(8, 3));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flip mirrors the image left-right exactly when its draw is below 1/2, and copies it otherwise', () => {
    const img = rectangle();
    const mirrored = augmented(img, 'flip', scripted([0.25]));
    const kept = augmented(img, 'flip', scripted([0.75]));
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        expect(mirrored[r * 28 + c]).toBe(Math.fround(img[r * 28 + 27 - c] / 255));
        expect(kept[r * 28 + c]).toBe(Math.fround(img[r * 28 + c] / 255));
      }
    }
    // The gradient row runs the other way once mirrored: column 0 holds what column 27 held.
    expect(mirrored[3 * 28]).toBe(Math.fround((27 * 9) / 255));
  });

  it('flip-shift mirrors, then moves the image by whole pixels, filling the uncovered edge with 0', () => {
    const img = rectangle();
    // Draw order: flip, x shift, y shift; a shift draw v gives floor(5 v) - 2 pixels: 0.9 → +2 (right), 0.1 → -2 (up).
    const out = augmented(img, 'flip-shift', scripted([0.25, 0.9, 0.1]));
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const [sr, sc] = [r + 2, 27 - (c - 2)];
        const from = sr < 28 && sc < 28 ? img[sr * 28 + sc] : 0;
        expect(out[r * 28 + c]).toBe(Math.fround(from / 255));
      }
    }
  });

  it('the flip batch source: every image is the original or its exact mirror, both occur, the same seed draws the same', () => {
    const n = 32;
    const pixels = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) pixels.set(rectangle(), i * 784);
    const set: ImageSet = { rows: 28, cols: 28, pixels, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
    const epochImages = (seed: number): Float32Array => {
      const [batch] = imageBatchSource(set, 'rows', n, { shuffle: false, augment: 'flip', seed }).batches(0);
      const values = (batch.xs as tf.Tensor).dataSync() as Float32Array;
      tf.dispose([batch.xs as tf.Tensor, batch.ys as tf.Tensor]);
      return values;
    };
    const img = rectangle();
    const plain = Array.from(img, (v) => Math.fround(v / 255));
    const mirror = Array.from(img, (_, p) => Math.fround(img[Math.floor(p / 28) * 28 + 27 - (p % 28)] / 255));
    const values = epochImages(5);
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      const image = Array.from(values.subarray(i * 784, (i + 1) * 784));
      const isMirror = image.every((v, p) => v === mirror[p]);
      expect(isMirror || image.every((v, p) => v === plain[p])).toBe(true);
      if (isMirror) flipped++;
    }
    expect(flipped).toBeGreaterThan(4);
    expect(flipped).toBeLessThan(n - 4);
    expect(epochImages(5)).toEqual(values);
    expect(epochImages(6)).not.toEqual(values);
  });

  it('the Gaussian kernel is built once per sigma and the blur equals a direct 2-D convolution', () => {
    expect(gaussianKernel(4)).toBe(gaussianKernel(4));
    expect(gaussianKernel(2)).not.toBe(gaussianKernel(4));
    expect(gaussianKernel(2)).toHaveLength(2 * 6 + 1);
    const rng = seededRng('blur');
    const [rows, cols, sigma] = [9, 7, 1.5];
    const field = Float32Array.from({ length: rows * cols }, () => rng() * 2 - 1);
    const blurred = Float32Array.from(field);
    gaussianBlur(blurred, rows, cols, sigma);
    const g = (k: number): number => Math.exp(-(k * k) / (2 * sigma * sigma));
    const radius = Math.ceil(3 * sigma);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        let direct = 0;
        for (let yy = Math.max(0, y - radius); yy <= Math.min(rows - 1, y + radius); yy++) {
          for (let xx = Math.max(0, x - radius); xx <= Math.min(cols - 1, x + radius); xx++) direct += g(yy - y) * g(xx - x) * field[yy * cols + xx];
        }
        expect(blurred[y * cols + x]).toBeCloseTo(direct, 4);
      }
    }
  });

  it('elastic draws are bit for bit those of the code before the kernel was hoisted out of the per-image blur', () => {
    // The hash of three elastic draws from seededRng('golden'), recorded with the earlier code that rebuilt the
    // kernel for every field; hoisting it must not change a single bit.
    const rng = seededRng('golden');
    const out = new Float32Array(784 * 3);
    for (let k = 0; k < 3; k++) augmentImage(rectangle(), 0, 28, 28, 'elastic', rng, out, k * 784);
    let hash = 0;
    for (const bits of new Int32Array(out.buffer)) hash = (Math.imul(hash, 31) + bits) | 0;
    expect(hash).toBe(129087964);
  });
});
