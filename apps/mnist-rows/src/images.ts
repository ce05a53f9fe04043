import * as tf from '@tensorflow/tfjs';
import { arrayBatchSource, nextSeed, seededRng, type BatchSource } from '@rnnkit/core/browser';
import { augmentImage, type Augmentation } from './augment.js';

/**
 * A set of labeled grayscale images kept as bytes (60k MNIST images are 47 MB as bytes, 188 MB as float32), and
 * the ways an RNN reads one: `rows` (28 timesteps of 28 pixels, the classic row-by-row setup), `columns` (28
 * timesteps of 28 pixels, left to right, each column top to bottom: the same image read across, a different view
 * for an ensemble) and `pixels` (784 timesteps of 1 pixel, a long-sequence stress test). Pixels are scaled to 0..1
 * only when a batch is built.
 */

export const INPUT_MODES = ['rows', 'columns', 'pixels'] as const;
export type InputMode = (typeof INPUT_MODES)[number];

export interface ImageSet {
  rows: number;
  cols: number;
  /** labels.length × rows × cols bytes, row-major. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

export function imageCount(set: ImageSet): number {
  return set.labels.length;
}

/** Copies the images at `indices` (in that order) into a new set. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = set.rows * set.cols;
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    pixels.set(set.pixels.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = set.labels[src];
  }
  return { rows: set.rows, cols: set.cols, pixels, labels };
}

/** Every image mirrored left-right (an exact copy of bytes, row by row reversed); the labels are kept. */
export function mirroredImages(set: ImageSet): ImageSet {
  const { rows, cols } = set;
  const pixels = new Uint8Array(set.pixels.length);
  for (let row = 0; row < pixels.length; row += cols) {
    for (let x = 0; x < cols; x++) pixels[row + x] = set.pixels[row + cols - 1 - x];
  }
  return { rows, cols, pixels, labels: set.labels };
}

/** The sequence shape a model reads for `mode`: [timesteps, features]. */
export function sequenceShape(mode: InputMode, rows: number, cols: number): [number, number] {
  return mode === 'rows' ? [rows, cols] : mode === 'columns' ? [cols, rows] : [rows * cols, 1];
}

/**
 * Images given as row-major values (`count` images of rows × cols, already scaled), as the [count, timesteps,
 * features] tensor `mode` reads. Rows and pixels share the row-major layout, so only the declared shape differs;
 * columns transposes each image, so that timestep c holds column c from top to bottom. Every path that feeds a
 * model (training batches, evaluation, the predictor) goes through here, so they cannot disagree on the order.
 */
export function sequenceTensor(values: Float32Array, count: number, rows: number, cols: number, mode: InputMode): tf.Tensor3D {
  let ordered = values;
  if (mode === 'columns') {
    const size = rows * cols;
    ordered = new Float32Array(count * size);
    for (let i = 0; i < count; i++) {
      const o = i * size;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ordered[o + c * rows + r] = values[o + r * cols + c];
    }
  }
  return tf.tensor3d(ordered, [count, ...sequenceShape(mode, rows, cols)]);
}

/** The images at `indices` as a float tensor [B, timesteps, features] scaled to 0..1, in `mode`'s reading order. */
export function inputTensor(set: ImageSet, indices: ArrayLike<number>, mode: InputMode): tf.Tensor3D {
  const size = set.rows * set.cols;
  const values = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const offset = indices[i] * size;
    for (let p = 0; p < size; p++) values[i * size + p] = set.pixels[offset + p] / 255;
  }
  return sequenceTensor(values, indices.length, set.rows, set.cols, mode);
}

export function labelTensor(set: ImageSet, indices: ArrayLike<number>): tf.Tensor1D {
  return tf.tensor1d(Int32Array.from(indices, (i) => set.labels[i]), 'int32');
}

/**
 * The images at `indices`, each redrawn through a random `kind` transform (see augment.ts), as inputTensor's
 * [B, timesteps, features] tensor. `seed` fixes the draws: the same seed gives the same images.
 */
export function augmentedInputTensor(set: ImageSet, indices: ArrayLike<number>, mode: InputMode, kind: Augmentation, seed: number | string): tf.Tensor3D {
  const size = set.rows * set.cols;
  const values = new Float32Array(indices.length * size);
  const rng = seededRng(seed);
  for (let i = 0; i < indices.length; i++) augmentImage(set.pixels, indices[i] * size, set.rows, set.cols, kind, rng, values, i * size);
  return sequenceTensor(values, indices.length, set.rows, set.cols, mode);
}

export interface ImageBatchOptions {
  shuffle: boolean;
  /** Redraw every training image through a random transform each time it is used (default 'off'). */
  augment?: Augmentation;
  /** Seed of the shuffles and of the augmentation draws (default: from core's seeded generator). */
  seed?: number;
}

/** Feeds core's trainer; each batch's tensors are built only when the trainer asks for it. */
export function imageBatchSource(set: ImageSet, mode: InputMode, batchSize: number, opts: ImageBatchOptions): BatchSource {
  const augment = opts.augment ?? 'off';
  const seed = opts.seed ?? nextSeed();
  return arrayBatchSource({
    size: imageCount(set),
    batchSize,
    shuffle: opts.shuffle,
    seed,
    // Augmentation draws are keyed by (seed, epoch, batch), so a resumed run sees the same images as an unbroken one.
    makeBatch: (indices, at) => ({
      xs: augment === 'off'
        ? inputTensor(set, indices, mode)
        : augmentedInputTensor(set, indices, mode, augment, `${seed}:augment:${at.epoch}:${at.batch}`),
      ys: labelTensor(set, indices),
      size: indices.length,
    }),
  });
}
