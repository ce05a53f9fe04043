import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { PAD, UNK, Vocab } from '@rnnkit/core';
import { bucketedEpoch, buildVocab, dropWords, encodeTokens, lengthSortedBatches, repeatExamples, textBatchSource } from '../src/encode.js';

const lengths = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 50));
const set = { ids: lengths.map((n) => new Int32Array(n).fill(5)), labels: Int32Array.from(lengths, (n) => n % 2) };

describe('vocabulary and encoding', () => {
  it('builds the vocabulary from the given (training) tokens only, keeping tokens seen minCount times', () => {
    const vocab = buildVocab([['good', 'film'], ['good', 'plot'], ['bad', 'film']], { minCount: 2, maxVocab: 100 });
    expect(vocab.has('good') && vocab.has('film')).toBe(true);
    expect(vocab.has('plot') || vocab.has('bad')).toBe(false);
  });

  it('maps unknown tokens to UNK, cuts to maxLen, and reads a text without tokens as one UNK', () => {
    const vocab = Vocab.build([['a', 'b']]);
    expect(Array.from(encodeTokens(vocab, ['a', 'zzz', 'b'], 2))).toEqual([vocab.idOf('a'), UNK]);
    expect(Array.from(encodeTokens(vocab, [], 5))).toEqual([UNK]);
  });
});

describe('length-bucketed batches', () => {
  it('an epoch visits every example once, in batches of similar length', () => {
    const batches = bucketedEpoch(set, 32, 1, 0);
    expect(batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    expect(batches.length).toBe(Math.ceil(1000 / 32));
    // Padding: within a pool of 50 batches sorted by length, a batch spans little of the 1..50 range.
    const spread = batches.map((b) => Math.max(...Array.from(b, (i) => lengths[i])) - Math.min(...Array.from(b, (i) => lengths[i])));
    expect(spread.reduce((a, b) => a + b, 0) / spread.length).toBeLessThan(5);
  });

  it('depends only on (seed, epoch): the same pair gives the same batches, another epoch or seed others', () => {
    expect(bucketedEpoch(set, 32, 1, 3)).toEqual(bucketedEpoch(set, 32, 1, 3));
    expect(bucketedEpoch(set, 32, 1, 4)).not.toEqual(bucketedEpoch(set, 32, 1, 3));
    expect(bucketedEpoch(set, 32, 2, 3)).not.toEqual(bucketedEpoch(set, 32, 1, 3));
  });

  it('without shuffling, batches are sorted by length', () => {
    const batches = lengthSortedBatches(set, 100);
    const flat = batches.flatMap((b) => Array.from(b, (i) => lengths[i]));
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
  });

  it('builds padded int32 ids [B, T] with T the batch maximum, and labels [B]; tensors stay flat over an epoch', () => {
    const source = textBatchSource(set, { batchSize: 64, shuffle: true, seed: 1 });
    expect(source.numBatches()).toBe(16);
    const before = tf.memory().numTensors;
    let seen = 0;
    for (const batch of source.batches(0)) {
      const xs = batch.xs as tf.Tensor2D;
      expect(xs.dtype).toBe('int32');
      const values = xs.arraySync();
      const rows = (batch.ys as tf.Tensor1D).arraySync();
      expect(rows.length).toBe(batch.size);
      // Every row is its example's length of 5s, then PAD.
      const longest = Math.max(...values.map((r) => r.filter((v) => v !== PAD).length));
      expect(xs.shape[1]).toBe(longest);
      seen += batch.size;
      tf.dispose([batch.xs, batch.ys]);
    }
    expect(seen).toBe(1000);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('repeatExamples (sentence oversampling)', () => {
  it('adds times - 1 copies of each chosen example with its label, keeps the rest once, refuses bad arguments', () => {
    const small = { ids: [Int32Array.of(1), Int32Array.of(2, 3), Int32Array.of(4)], labels: Int32Array.of(0, 1, 0) };
    const out = repeatExamples(small, [0, 1, 1], 3);
    expect(out.ids.map((x) => Array.from(x))).toEqual([[1], [2, 3], [4], [2, 3], [4], [2, 3], [4]]);
    expect(Array.from(out.labels)).toEqual([0, 1, 0, 1, 0, 1, 0]);
    expect(repeatExamples(small, [1, 1, 1], 1).ids).toHaveLength(3);
    expect(() => repeatExamples(small, [1, 0], 2)).toThrow(/2 flags for 3 examples/);
    expect(() => repeatExamples(small, [1, 0, 0], 0)).toThrow(/whole number >= 1, got 0/);
  });
});

describe('word dropout', () => {
  it('replaces about `rate` of the tokens by UNK, deterministically for a seed; batch sources apply it only when asked (training)', () => {
    const seqs = Array.from({ length: 200 }, () => new Int32Array(50).fill(7));
    const rng = () => {
      let s = 0;
      return () => ((s = (s * 9301 + 49297) % 233280) / 233280);
    };
    const dropped = dropWords(seqs, 0.2, rng());
    const unk = dropped.reduce((n, s) => n + s.filter((id) => id === UNK).length, 0) / (200 * 50);
    expect(unk).toBeGreaterThan(0.17);
    expect(unk).toBeLessThan(0.23);
    expect(dropWords(seqs, 0.2, rng())).toEqual(dropped);
    expect(dropWords(seqs, 0, rng())).toBe(seqs);

    const unkShare = (source: ReturnType<typeof textBatchSource>) => {
      let total = 0;
      let unks = 0;
      for (const batch of source.batches(0)) {
        const values = (batch.xs as tf.Tensor).dataSync();
        for (const v of values) {
          if (v === PAD) continue;
          total++;
          if (v === UNK) unks++;
        }
        tf.dispose([batch.xs, batch.ys]);
      }
      return unks / total;
    };
    expect(unkShare(textBatchSource(set, { batchSize: 64, shuffle: true, seed: 1, wordDropout: 0.3 }))).toBeGreaterThan(0.25);
    expect(unkShare(textBatchSource(set, { batchSize: 64, shuffle: false, seed: 1 }))).toBe(0);
  });
});
