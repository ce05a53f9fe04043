import * as tf from '@tensorflow/tfjs';
import { arrayBatchSource, takeRows, type BatchSource, type Rng } from '@rnnkit/core';

/**
 * The toy task of a fresh app: read a sequence of numbers in [-1, 1] and say whether their sum is positive.
 * Replace this file with your own data pipeline; keep the shape: examples in typed arrays, batches built lazily.
 */
export interface SequenceDataset {
  /** Row-major [size, timesteps, 1]. */
  xs: Float32Array;
  /** Class per example: 1 when the sequence sums to more than 0. */
  ys: Int32Array;
  size: number;
  timesteps: number;
}

export function makeSumSignDataset(size: number, timesteps: number, rng: Rng): SequenceDataset {
  const xs = new Float32Array(size * timesteps);
  const ys = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    let sum = 0;
    for (let t = 0; t < timesteps; t++) {
      const v = rng() * 2 - 1;
      xs[i * timesteps + t] = v;
      sum += v;
    }
    ys[i] = sum > 0 ? 1 : 0;
  }
  return { xs, ys, size, timesteps };
}

export function toBatchSource(data: SequenceDataset, batchSize: number, shuffle: boolean): BatchSource {
  return arrayBatchSource({
    size: data.size,
    batchSize,
    shuffle,
    makeBatch: (idx) => ({
      xs: tf.tensor3d(takeRows(data.xs, data.timesteps, idx), [idx.length, data.timesteps, 1]),
      ys: tf.tensor1d(takeRows(data.ys, 1, idx), 'int32'),
      size: idx.length,
    }),
  });
}
