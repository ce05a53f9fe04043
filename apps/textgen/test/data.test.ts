import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Vocab } from '@rnnkit/core';
import { buildCharVocab, charWindowSource, countWindows, encodeText, readCorpus, splitTrainVal } from '../src/index.js';
import { TINY_TEXT, tempDir, writeFixture } from './fixtures.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readCorpus', () => {
  it('reads UTF-8 text', () => {
    expect(readCorpus(writeFixture(dir, 'ok.txt', 'héllo\n'))).toBe('héllo\n');
  });

  it('names the file when it is missing, empty, binary or not UTF-8', () => {
    expect(() => readCorpus(`${dir}/nope.txt`)).toThrow(`${dir}/nope.txt: no such file`);
    expect(() => readCorpus(writeFixture(dir, 'empty.txt', ''))).toThrow(`${dir}/empty.txt: file is empty`);
    const bin = writeFixture(dir, 'model.bin', new Uint8Array([0x41, 0x42, 0x00, 0x43]));
    expect(() => readCorpus(bin)).toThrow(`${bin}: looks like a binary file (NUL byte at line 1, offset 2)`);
    const latin1 = writeFixture(dir, 'latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9]));
    expect(() => readCorpus(latin1)).toThrow(`${latin1}: is not valid UTF-8 text at line 1, column 4 (byte 0xE9)`);
    expect(() => readCorpus(dir)).toThrow(`${dir}: is a directory`);
  });
});

describe('vocabulary', () => {
  it('round-trips through JSON and encodes/decodes text', () => {
    const vocab = buildCharVocab('abcab\n');
    const restored = Vocab.fromJSON(JSON.parse(JSON.stringify(vocab.toJSON())));
    const ids = encodeText(restored, 'cab\n');
    expect(Array.from(ids)).toEqual(Array.from(encodeText(vocab, 'cab\n')));
    expect(restored.decode(Array.from(ids)).join('')).toBe('cab\n');
    expect(restored.size).toBe(4 + 4); // 4 reserved ids + a, b, c, \n
  });

  it('names the characters the vocabulary lacks', () => {
    const vocab = buildCharVocab('abc');
    expect(() => encodeText(vocab, 'abXcY!', '--prime')).toThrow(
      `--prime contains characters the model's vocabulary lacks: "X", "Y", "!"`,
    );
  });
});

describe('splitTrainVal', () => {
  it('is contiguous: train is the first 90%, validation the last 10%', () => {
    const ids = Int32Array.from({ length: 200 }, (_, i) => i);
    const { train, val } = splitTrainVal(ids, 10);
    expect(train.length).toBe(180);
    expect(val.length).toBe(20);
    expect(train[179]).toBe(179);
    expect(val[0]).toBe(180);
    expect(val[19]).toBe(199);
  });

  it('rejects a file shorter than one window in either split, naming it', () => {
    const ids = new Int32Array(100);
    expect(() => splitTrainVal(ids, 10, 'short.txt')).toThrow(
      'short.txt: 100 characters is shorter than one training window: with --seq-len 10 the validation split (last 10%) must hold 11 characters, so the file needs about 101',
    );
    expect(() => splitTrainVal(new Int32Array(101), 10)).not.toThrow();
  });
});

describe('charWindowSource', () => {
  const ids = Int32Array.from({ length: 23 }, (_, i) => i);

  it('yields [batch, seqLen] windows whose targets are the next character at every step', () => {
    const source = charWindowSource(ids, { seqLen: 5, batchSize: 3, shuffle: false });
    expect(countWindows(23, 5)).toBe(4);
    expect(source.numBatches()).toBe(2);
    const batches = [...source.batches(0)];
    expect(batches.map((b) => b.size)).toEqual([3, 1]);
    const xs = batches.map((b) => (b.xs as tf.Tensor).arraySync() as number[][]).flat();
    const ys = batches.map((b) => (b.ys as tf.Tensor).arraySync() as number[][]).flat();
    expect(xs).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14], [15, 16, 17, 18, 19]]);
    ys.forEach((row, r) => expect(row).toEqual(xs[r].map((x) => x + 1)));
    expect((batches[0].xs as tf.Tensor).dtype).toBe('int32');
    batches.forEach((b) => tf.dispose([b.xs, b.ys] as tf.Tensor[]));
  });

  it('shuffles window order per epoch, reproducibly for a seed, without losing a window', () => {
    const firstColumn = (seed: number, epoch: number) =>
      [...charWindowSource(ids, { seqLen: 2, batchSize: 100, shuffle: true, seed }).batches(epoch)].flatMap((b) => {
        const rows = (b.xs as tf.Tensor).arraySync() as number[][];
        tf.dispose([b.xs, b.ys] as tf.Tensor[]);
        return rows.map((r) => r[0]);
      });
    const a = firstColumn(7, 0);
    expect(a).toEqual(firstColumn(7, 0));
    expect(a).not.toEqual(firstColumn(7, 1));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 11 }, (_, i) => 2 * i));
  });

  it('with randomOffset, moves every epoch\'s windows by one seeded offset below seqLen, all inside the text', () => {
    const windows = (seed: number, epoch: number) =>
      [...charWindowSource(ids, { seqLen: 5, batchSize: 100, shuffle: false, seed, randomOffset: true }).batches(epoch)].flatMap((b) => {
        const [xs, ys] = [(b.xs as tf.Tensor).arraySync() as number[][], (b.ys as tf.Tensor).arraySync() as number[][]];
        tf.dispose([b.xs, b.ys] as tf.Tensor[]);
        xs.forEach((row, r) => expect(ys[r]).toEqual(row.map((x) => x + 1)));
        return xs;
      });
    // 23 characters: 3 windows fit at every offset 0..4 (at offset 4 the last reads characters 14..19).
    const offsets = new Set<number>();
    for (let epoch = 0; epoch < 12; epoch++) {
      const rows = windows(7, epoch);
      expect(rows).toHaveLength(3);
      const offset = rows[0][0];
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(5);
      expect(rows.map((r) => r[0])).toEqual([offset, offset + 5, offset + 10]);
      expect(rows).toEqual(windows(7, epoch));
      offsets.add(offset);
    }
    expect(offsets.size).toBeGreaterThan(1);
    expect(() => charWindowSource(Int32Array.from({ length: 9 }), { seqLen: 5, batchSize: 1, shuffle: true, randomOffset: true }))
      .toThrow(/at every offset \(needs 10\)/);
  });

  it('without randomOffset, keeps the windows at fixed positions every epoch', () => {
    for (const epoch of [0, 5]) {
      const batch = [...charWindowSource(ids, { seqLen: 5, batchSize: 100, shuffle: false, seed: 7 }).batches(epoch)][0];
      expect(((batch.xs as tf.Tensor).arraySync() as number[][]).map((r) => r[0])).toEqual([0, 5, 10, 15]);
      tf.dispose([batch.xs, batch.ys] as tf.Tensor[]);
    }
  });

  it('works on the tiny fixture text end to end', () => {
    const vocab = buildCharVocab(TINY_TEXT);
    const { train } = splitTrainVal(encodeText(vocab, TINY_TEXT), 16);
    const batch = [...charWindowSource(train, { seqLen: 16, batchSize: 4, shuffle: false }).batches(0)][0];
    expect(vocab.decode(Array.from((batch.xs as tf.Tensor).dataSync().slice(0, 16))).join('')).toBe(TINY_TEXT.slice(0, 16));
    tf.dispose([batch.xs, batch.ys] as tf.Tensor[]);
  });
});
