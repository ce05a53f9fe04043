import * as tf from '@tensorflow/tfjs';
import { arrayBatchSource, BOS, EOS, padSequences, type Batch, type BatchSource } from '@rnnkit/core';
import type { EncodedPair } from './data/dataset.js';

/**
 * Teacher-forcing batches: xs = [context ids, BOS + response], ys = response + EOS, weights = 1 on real target
 * positions and 0 on padding. Each batch is padded only to its own longest sequence, which keeps the mostly
 * short ChatterBot pairs cheap.
 */
export function makePairBatch(pairs: readonly EncodedPair[], indices: ArrayLike<number>): Batch {
  const chosen = Array.from(indices, (i) => pairs[i]);
  const src = padSequences(chosen.map((p) => p.contextIds));
  const tgtIn = padSequences(chosen.map((p) => [BOS, ...p.responseIds]));
  const tgtOut = padSequences(chosen.map((p) => [...p.responseIds, EOS]));
  const b = chosen.length;
  return {
    xs: [tf.tensor2d(src.ids, [b, src.maxLen], 'int32'), tf.tensor2d(tgtIn.ids, [b, tgtIn.maxLen], 'int32')],
    ys: tf.tensor2d(tgtOut.ids, [b, tgtOut.maxLen], 'int32'),
    weights: tf.tensor2d(tgtOut.mask, [b, tgtOut.maxLen]),
    size: b,
  };
}

export function pairBatchSource(pairs: readonly EncodedPair[], batchSize: number, shuffle: boolean, seed?: number): BatchSource {
  return arrayBatchSource({ size: pairs.length, batchSize, shuffle, seed, makeBatch: (idx) => makePairBatch(pairs, idx) });
}
