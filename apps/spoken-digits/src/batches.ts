import * as tf from '@tensorflow/tfjs';
import { lengthBucketedBatches, seededRng, type Batch, type BatchSource } from '@rnnkit/core';
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
      const lengths = mats.map((m) => m.frames);
      for (const g of lengthBucketedBatches(lengths, batchSize, seededRng(opts.seed * 100_003 + epoch), 16)) yield makeBatch(g);
    },
  };
}
