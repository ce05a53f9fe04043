import { arrayBatchSource, teacherForcingBatch, type Batch, type BatchSource } from '@rnnkit/core';
import type { EncodedPair } from './data/dataset.js';

/**
 * Teacher-forcing batches of (context, response) pairs, built by core's teacherForcingBatch: each batch is padded
 * only to its own longest sequence, which keeps the mostly short ChatterBot pairs cheap.
 */
export function makePairBatch(pairs: readonly EncodedPair[], indices: ArrayLike<number>): Batch {
  const chosen = Array.from(indices, (i) => pairs[i]);
  return teacherForcingBatch(chosen.map((p) => p.contextIds), chosen.map((p) => p.responseIds));
}

export function pairBatchSource(pairs: readonly EncodedPair[], batchSize: number, shuffle: boolean, seed?: number): BatchSource {
  return arrayBatchSource({ size: pairs.length, batchSize, shuffle, seed, makeBatch: (idx) => makePairBatch(pairs, idx) });
}
