import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  arrayBatchSource, bucketedBatchSource, concatTypedArrays, lengthBucketedBatches, lengthSortedBatches, padSequences, shuffledIndices, takeRows,
} from '../src/data/index.js';

describe('padSequences', () => {
  it('pads post and truncates post by default', () => {
    const p = padSequences([[5, 6, 7], [8]], { maxLen: 2 });
    expect(Array.from(p.ids)).toEqual([5, 6, 8, 0]);
    expect(Array.from(p.mask)).toEqual([1, 1, 1, 0]);
    expect(Array.from(p.lengths)).toEqual([2, 1]);
  });
  it('pads pre and truncates pre', () => {
    const p = padSequences([[5, 6, 7], [8]], { maxLen: 2, padding: 'pre', truncating: 'pre' });
    expect(Array.from(p.ids)).toEqual([6, 7, 0, 8]);
    expect(Array.from(p.mask)).toEqual([1, 1, 0, 1]);
  });
  it('defaults maxLen to the longest and rejects bad input', () => {
    expect(padSequences([[1], [2, 3, 4]]).maxLen).toBe(3);
    expect(() => padSequences([])).toThrow(/no sequences/);
    expect(() => padSequences([[1.5]])).toThrow(/sequence 0, position 0/);
  });
});

describe('shuffledIndices', () => {
  it('is a seeded permutation', () => {
    const a = shuffledIndices(50, seedrandom.alea('1'));
    const b = shuffledIndices(50, seedrandom.alea('1'));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
    expect(Array.from(a)).not.toEqual([...Array(50).keys()]);
  });
});

describe('arrayBatchSource', () => {
  const data = Float32Array.from({ length: 10 * 2 }, (_, i) => i);
  const source = (opts: { shuffle?: boolean; dropRemainder?: boolean; seed?: number }) =>
    arrayBatchSource({
      size: 10,
      batchSize: 4,
      ...opts,
      makeBatch: (idx) => ({ xs: tf.tensor2d(takeRows(data, 2, idx), [idx.length, 2]), ys: tf.tensor1d(Array.from(idx)), size: idx.length }),
    });
  const epochRows = (src: ReturnType<typeof source>, epoch: number) =>
    [...src.batches(epoch)].map((b) => {
      const rows = (b.ys as tf.Tensor).arraySync() as number[];
      expect((b.xs as tf.Tensor).arraySync()).toEqual(rows.map((r) => [2 * r, 2 * r + 1]));
      tf.dispose([b.xs, b.ys]);
      return rows;
    });

  it('yields every example once per epoch, in order without shuffle', () => {
    const src = source({ shuffle: false });
    expect(src.numBatches()).toBe(3);
    expect(epochRows(src, 0)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('shuffles per epoch, reproducibly from (seed, epoch)', () => {
    const a = source({ seed: 7 });
    const e0 = epochRows(a, 0).flat();
    const e1 = epochRows(a, 1).flat();
    expect([...e0].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    expect(e0).not.toEqual(e1);
    // A fresh source asked directly for epoch 1 (a resumed run) sees the same order.
    expect(epochRows(source({ seed: 7 }), 1).flat()).toEqual(e1);
  });

  it('tells makeBatch which batch of which epoch it builds (what seeds per-batch augmentation)', () => {
    const positions: string[] = [];
    const source = arrayBatchSource({
      size: 5,
      batchSize: 2,
      makeBatch: (indices, at) => {
        positions.push(`${at.epoch}:${at.batch}:${indices.length}`);
        return { xs: [], ys: [], size: indices.length };
      },
    });
    for (const epoch of [0, 3]) for (const _ of source.batches(epoch)) void _;
    expect(positions).toEqual(['0:0:2', '0:1:2', '0:2:1', '3:0:2', '3:1:2', '3:2:1']);
  });

  it('drops the remainder when asked', () => {
    const src = source({ shuffle: false, dropRemainder: true });
    expect(src.numBatches()).toBe(2);
    expect(epochRows(src, 0).map((r) => r.length)).toEqual([4, 4]);
  });

  it('rejects an empty dataset', () => {
    expect(() => arrayBatchSource({ size: 0, batchSize: 2, makeBatch: () => { throw new Error(); } })).toThrow(/empty/);
  });
});

describe('length-bucketed batches', () => {
  // 1,000 examples of lengths 1..40 in a scrambled order.
  const lengths = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 37) % 40));
  const span = (b: Int32Array) => Math.max(...Array.from(b, (i) => lengths[i])) - Math.min(...Array.from(b, (i) => lengths[i]));

  it('covers every example exactly once, in batches of similar length', () => {
    const batches = lengthBucketedBatches(lengths, 16, seedrandom.alea('1'), 10);
    expect(batches).toHaveLength(Math.ceil(1000 / 16));
    const seen = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Random batches of 16 span most of the 1..40 range; sorted pools of 160 leave a few lengths per batch.
    const meanSpan = batches.reduce((s, b) => s + span(b), 0) / batches.length;
    expect(meanSpan).toBeLessThan(5);
    const random = Array.from({ length: 62 }, (_, k) => shuffledIndices(1000, seedrandom.alea('2')).subarray(k * 16, k * 16 + 16));
    expect(random.reduce((s, b) => s + span(b), 0) / random.length).toBeGreaterThan(25);
  });

  it('is a function of the generator: same seed same batches, another seed others', () => {
    const a = lengthBucketedBatches(lengths, 16, seedrandom.alea('1'), 10).map((b) => Array.from(b));
    expect(lengthBucketedBatches(lengths, 16, seedrandom.alea('1'), 10).map((b) => Array.from(b))).toEqual(a);
    expect(lengthBucketedBatches(lengths, 16, seedrandom.alea('3'), 10).map((b) => Array.from(b))).not.toEqual(a);
    expect(() => lengthBucketedBatches(lengths, 0, seedrandom.alea('1'), 10)).toThrow(/batchSize/);
    expect(() => lengthBucketedBatches(lengths, 4, seedrandom.alea('1'), 0)).toThrow(/poolBatches/);
  });

  it('lengthSortedBatches cuts the examples in length order, ties by index', () => {
    const batches = lengthSortedBatches([3, 1, 2, 1], 3).map((b) => Array.from(b));
    expect(batches).toEqual([[1, 3, 2], [0]]);
  });

  it('bucketedBatchSource: reproducible per (seed, epoch), new order each epoch, length-sorted without shuffle', () => {
    const ids = (source: ReturnType<typeof bucketedBatchSource>, epoch: number) =>
      Array.from(source.batches(epoch), (b) => {
        const values = Array.from((b.xs as tf.Tensor).dataSync());
        tf.dispose([b.xs as tf.Tensor, b.ys as tf.Tensor]);
        return values;
      });
    const make = (shuffle: boolean) => bucketedBatchSource({
      lengths, batchSize: 50, shuffle, seed: 5, poolBatches: 4,
      makeBatch: (idx) => ({ xs: tf.tensor1d(idx, 'int32'), ys: tf.tensor1d(idx, 'int32'), size: idx.length }),
    });
    const source = make(true);
    expect(source.numBatches()).toBe(20);
    const e0 = ids(source, 0);
    expect(ids(make(true), 0)).toEqual(e0);
    expect(ids(source, 1)).not.toEqual(e0);
    const sorted = ids(make(false), 0).flat();
    expect(sorted.map((i) => lengths[i])).toEqual([...lengths].sort((a, b) => a - b));
    expect(() => bucketedBatchSource({ lengths: [], batchSize: 2, makeBatch: () => { throw new Error('unused'); } })).toThrow(/empty/);
  });
});

describe('concatTypedArrays', () => {
  it('joins arrays end to end, keeping the element type', () => {
    const joined = concatTypedArrays([Float32Array.of(1, 2), Float32Array.of(), Float32Array.of(3.5)], new Float32Array(0));
    expect(joined).toBeInstanceOf(Float32Array);
    expect(Array.from(joined)).toEqual([1, 2, 3.5]);
    const bytes = concatTypedArrays([Uint8Array.of(255), Uint8Array.of(0, 7)], new Uint8Array(0));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(bytes)).toEqual([255, 0, 7]);
    expect(concatTypedArrays([], new Int32Array(0))).toEqual(new Int32Array(0));
  });
});
