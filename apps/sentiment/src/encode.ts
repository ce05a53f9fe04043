import * as tf from '@tensorflow/tfjs';
import {
  RnnkitError, SubwordHasher, UNK, Vocab, lengthBucketedBatches, lengthSortedBatches as coreLengthSortedBatches, padSequences, seededRng,
  type BatchSource, type SubwordSettings,
} from '@rnnkit/core/browser';
import type { LabeledText } from './formats.js';

/**
 * Texts → token ids, and the batches the model trains on. Batches are length-bucketed: each epoch the examples are
 * shuffled, cut into pools of POOL_BATCHES batches, sorted by length within a pool and cut into batches, and the
 * batches are shuffled. A batch then holds texts of similar length, so little of it is padding (SST-2 mixes
 * 1-word phrases with 50-word sentences), while every epoch still sees new batch compositions. Padding is id 0
 * (PAD), which the embedding masks: recurrent layers carry their state over it and attention gives it no weight.
 */

export interface EncodedSet {
  /** Token ids of each example (at least one id: a text without tokens is one UNK). */
  ids: Int32Array[];
  labels: Int32Array;
  /**
   * Models with sub-word features (--subword-buckets): each example's tokens as read (cut to maxLen) and the hasher
   * of their character n-grams, which the model takes as a second input [B, T, K].
   */
  subwords?: { tokens: readonly (readonly string[])[]; hasher: SubwordHasher };
}

export interface VocabSettings {
  /** Keep tokens seen at least this many times in the training part. */
  minCount: number;
  /** At most this many entries, the reserved tokens included. */
  maxVocab: number;
}

/** The vocabulary of the training part only (validation and test words the model never saw become UNK). */
export function buildVocab(trainTokens: readonly string[][], settings: VocabSettings): Vocab {
  return Vocab.build(trainTokens, { minCount: settings.minCount, maxSize: settings.maxVocab });
}

/** One text's tokens as ids, cut to the first `maxLen`. */
export function encodeTokens(vocab: Vocab, tokens: readonly string[], maxLen: number): Int32Array {
  if (tokens.length === 0) return Int32Array.of(UNK);
  return Int32Array.from(vocab.encode(tokens.slice(0, maxLen)));
}

export function encodeSet(
  rows: readonly LabeledText[],
  tokens: readonly string[][],
  vocab: Vocab,
  maxLen: number,
  subwords?: SubwordSettings | SubwordHasher,
): EncodedSet {
  const set: EncodedSet = { ids: tokens.map((t) => encodeTokens(vocab, t, maxLen)), labels: Int32Array.from(rows, (r) => r.label) };
  if (subwords) {
    const hasher = subwords instanceof SubwordHasher ? subwords : new SubwordHasher(subwords);
    set.subwords = { tokens: tokens.map((t) => (t.length > maxLen ? t.slice(0, maxLen) : t)), hasher };
  }
  return set;
}

/**
 * The set with every example whose `chosen` flag is 1 present `times` times (the copies appended after the
 * originals; the rest once): oversampling, e.g. SST-2's full sentences among their phrases.
 */
export function repeatExamples(set: EncodedSet, chosen: ArrayLike<number>, times: number): EncodedSet {
  if (chosen.length !== set.ids.length) throw new RnnkitError(`repeatExamples: ${chosen.length} flags for ${set.ids.length} examples`);
  if (!Number.isInteger(times) || times < 1) throw new RnnkitError(`repeatExamples: times must be a whole number >= 1, got ${times}`);
  const extra: number[] = [];
  for (let k = 1; k < times; k++) for (let i = 0; i < set.ids.length; i++) if (chosen[i]) extra.push(i);
  const out: EncodedSet = {
    ids: [...set.ids, ...extra.map((i) => set.ids[i])],
    labels: Int32Array.from([...set.labels, ...extra.map((i) => set.labels[i])]),
  };
  if (set.subwords) out.subwords = { ...set.subwords, tokens: [...set.subwords.tokens, ...extra.map((i) => set.subwords!.tokens[i])] };
  return out;
}

/** Padded ids [B, T] (T = the longest of them) of token-id sequences. */
export function paddedIdsTensor(seqs: readonly ArrayLike<number>[]): tf.Tensor2D {
  const padded = padSequences(seqs.map((s) => Array.from(s)));
  return tf.tensor2d(padded.ids, [padded.batch, padded.maxLen], 'int32');
}

/**
 * The model's inputs for token-id sequences: padded ids [B, T], and for a sub-word model also the n-gram ids
 * [B, T, K] of the same tokens (padding positions have none).
 */
export function modelInputs(seqs: readonly ArrayLike<number>[], subwords?: { tokens: readonly (readonly string[])[]; hasher: SubwordHasher }): tf.Tensor | tf.Tensor[] {
  const ids = paddedIdsTensor(seqs);
  if (!subwords) return ids;
  const { ids: ngrams, shape } = subwords.hasher.batch(subwords.tokens, ids.shape[1]);
  return [ids, tf.tensor3d(ngrams, shape, 'int32')];
}

/** The model's inputs (modelInputs) for the examples at `indices`. */
export function setInputs(set: Pick<EncodedSet, 'ids' | 'subwords'>, indices: ArrayLike<number>, ids: readonly Int32Array[] = Array.from(indices, (i) => set.ids[i])): tf.Tensor | tf.Tensor[] {
  const sub = set.subwords;
  return modelInputs(ids, sub && { tokens: Array.from(indices, (i) => sub.tokens[i]), hasher: sub.hasher });
}

const POOL_BATCHES = 50;

/** Indices sorted by length (stable), cut into batches of `batchSize`: the cheapest order for a pass without training. */
export function lengthSortedBatches(set: Pick<EncodedSet, 'ids'>, batchSize: number): Int32Array[] {
  return coreLengthSortedBatches(set.ids.map((s) => s.length), batchSize);
}

/** The batches of one training epoch: a function of (seed, epoch) only, so a resumed run sees the same ones. */
export function bucketedEpoch(set: Pick<EncodedSet, 'ids'>, batchSize: number, seed: number, epoch: number): Int32Array[] {
  return lengthBucketedBatches(set.ids.map((s) => s.length), batchSize, seededRng(seed * 100_003 + epoch), POOL_BATCHES);
}

/**
 * Word dropout (training only): every token id becomes UNK with probability `rate`, drawn from `rng`, so the model
 * cannot lean on any single word and learns what the <unk> embedding should mean for words it never saw.
 */
export function dropWords(ids: readonly Int32Array[], rate: number, rng: () => number): Int32Array[] {
  if (rate <= 0) return ids as Int32Array[];
  return ids.map((seq) => seq.map((id) => (rng() < rate ? UNK : id)));
}

/** Feeds core's trainer: ids [B, T] int32 and labels [B] int32, built one batch at a time. */
export function textBatchSource(set: EncodedSet, opts: { batchSize: number; shuffle: boolean; seed: number; wordDropout?: number }): BatchSource {
  if (set.ids.length === 0) throw new RnnkitError('textBatchSource: no examples');
  const numBatches = Math.ceil(set.ids.length / opts.batchSize);
  const fixed = opts.shuffle ? null : lengthSortedBatches(set, opts.batchSize);
  const wordDropout = opts.wordDropout ?? 0;
  return {
    numBatches: () => numBatches,
    *batches(epoch: number) {
      // Its own generator per epoch (a stream apart from the batch order's): a resumed epoch drops the same words.
      const dropRng = seededRng(-1 - (opts.seed * 100_003 + epoch));
      for (const indices of fixed ?? bucketedEpoch(set, opts.batchSize, opts.seed, epoch)) {
        yield {
          // Word dropout replaces word ids only: a dropped word keeps its n-grams, as an unseen word has them.
          xs: setInputs(set, indices, dropWords(Array.from(indices, (i) => set.ids[i]), wordDropout, dropRng)),
          ys: tf.tensor1d(Int32Array.from(indices, (i) => set.labels[i]), 'int32'),
          size: indices.length,
        };
      }
    },
  };
}
