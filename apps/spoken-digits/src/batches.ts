import * as tf from '@tensorflow/tfjs';
import { seededRng, shuffledIndices, type Batch, type BatchSource } from '@rnnkit/core';
import type { FeatureMatrix } from './features.js';
import { framesTensor } from './model.js';

/**
 * Batches of utterances of similar length: each epoch shuffles the examples (seeded by seed and epoch, so a resumed
 * run sees the same order), sorts windows of 16 batches by length, cuts them into batches and shuffles the batch
 * order. The recurrent layer runs over every padded step, so grouping lengths cuts the padding it computes.
 */
export function bucketedBatches(mats: readonly FeatureMatrix[], labels: ArrayLike<number>, batchSize: number, opts: { shuffle: boolean; seed: number }): BatchSource {
  const n = mats.length;
  const numBatches = Math.ceil(n / batchSize);
  const makeBatch = (idx: ArrayLike<number>): Batch => {
    const rows = Array.from(idx);
    return {
      xs: framesTensor(rows.map((i) => mats[i])),
      ys: tf.tensor1d(rows.map((i) => labels[i]), 'int32'),
      size: rows.length,
    };
  };
  return {
    numBatches: () => numBatches,
    *batches(epoch: number): Iterable<Batch> {
      if (!opts.shuffle) {
        for (let b = 0; b < numBatches; b++) yield makeBatch(Array.from({ length: Math.min(batchSize, n - b * batchSize) }, (_, i) => b * batchSize + i));
        return;
      }
      const rng = seededRng(opts.seed * 100_003 + epoch);
      const order = Array.from(shuffledIndices(n, rng));
      const window = batchSize * 16;
      const groups: number[][] = [];
      for (let s = 0; s < n; s += window) {
        const part = order.slice(s, s + window).sort((a, b) => mats[a].frames - mats[b].frames);
        for (let b = 0; b < part.length; b += batchSize) groups.push(part.slice(b, b + batchSize));
      }
      for (const g of shuffledIndices(groups.length, rng)) yield makeBatch(groups[g]);
    },
  };
}
