import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { DEFAULT_SUBWORDS, SubwordHasher, charNgramIds, fnv1a32, type SubwordSettings } from '../src/data/subwords.js';
import { toPlainTfjs } from '../src/io/plain-tfjs.js';
import { stackedRecurrent } from '../src/layers/recurrent.js';
import { SubwordEmbedding, subwordEmbedding } from '../src/layers/subword-embedding.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const settings = (over: Partial<SubwordSettings> = {}): SubwordSettings => ({ ...DEFAULT_SUBWORDS, buckets: 1000, ...over });

describe('character n-gram hashing', () => {
  it('hashes with FNV-1a over UTF-16 code units, pinned: a saved model depends on these exact numbers', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    // Computed by hand from the definition for one code unit 0x0061: bytes 0x61, 0x00.
    const byHand = Math.imul(Math.imul(0x811c9dc5 ^ 0x61, 0x01000193) ^ 0x00, 0x01000193) >>> 0;
    expect(fnv1a32('a')).toBe(byHand);
    expect(fnv1a32('<fu')).toBe(fnv1a32('<fu'));
    expect(fnv1a32('<fu')).not.toBe(fnv1a32('fu>'));
  });

  it('gives a word its marked n-grams, shortest first, within 1..buckets', () => {
    const s = settings({ buckets: 1 << 20 });
    const ids = charNgramIds('ab', s);
    // "<ab>": 3-grams "<ab", "ab>", the 4-gram "<ab>"; no 5-gram.
    expect(Array.from(ids)).toEqual(['<ab', 'ab>', '<ab>'].map((g) => (fnv1a32(g) % s.buckets) + 1));
    const long = charNgramIds('unfunny', s);
    expect(long.length).toBe(7 + 6 + 5); // "<unfunny>" has 9 characters
    for (const id of charNgramIds('extraordinarily-overwrought', settings({ buckets: 7 }))) expect(id >= 1 && id <= 7).toBe(true);
    // Words sharing a piece share its id: "funny" and "unfunny" both hold "unny>".
    expect(Array.from(charNgramIds('funny', s))).toContain(fnv1a32('unny>') % s.buckets + 1);
    expect(Array.from(long)).toContain(fnv1a32('unny>') % s.buckets + 1);
  });

  it('caps the n-grams per word, keeps a too-short word as one n-gram, and never splits a surrogate pair', () => {
    expect(charNgramIds('abcdefghijklmnopqrstuvwxyz', settings({ maxPerWord: 5 })).length).toBe(5);
    const s = settings({ minN: 5, maxN: 6, buckets: 1 << 20 });
    expect(Array.from(charNgramIds('a', s))).toEqual([(fnv1a32('<a>') % s.buckets) + 1]);
    const emoji = charNgramIds('😀', settings({ buckets: 1 << 20 }));
    expect(Array.from(emoji)).toEqual([(fnv1a32('<😀>') % (1 << 20)) + 1]);
  });

  it('refuses bad settings naming the field', () => {
    expect(() => new SubwordHasher(settings({ buckets: 0 }))).toThrow('subwords: buckets must be a whole number in [1, 16777216], got 0');
    expect(() => new SubwordHasher(settings({ minN: 4, maxN: 3 }))).toThrow('subwords: maxN must be a whole number in [4, 20], got 3');
  });

  it('builds a batch [B, T, K] padded with 0, to the given time when longer', () => {
    const hasher = new SubwordHasher(settings());
    const { ids, shape } = hasher.batch([['ab'], ['ab', 'c']], 3);
    expect(shape).toEqual([2, 3, 3]);
    const ab = Array.from(hasher.ids('ab'));
    const c = Array.from(hasher.ids('c'));
    expect(c.length).toBe(1); // "<c>"
    expect(Array.from(ids)).toEqual([...ab, 0, 0, 0, 0, 0, 0, ...ab, c[0], 0, 0, 0, 0, 0]);
  });
});

describe('SubwordEmbedding', () => {
  const ids = () => tf.tensor3d([[[1, 2, 0], [3, 0, 0]], [[0, 0, 0], [2, 2, 4]]], [2, 2, 3], 'int32');

  it('is the mean of the present n-grams rows (0 = padding, a position without any gives 0)', () => {
    const layer = subwordEmbedding({ buckets: 4, outputDim: 2, seed: 3 });
    const out = layer.apply(ids()) as tf.Tensor;
    expect(out.shape).toEqual([2, 2, 2]);
    const table = layer.getWeights()[0].arraySync() as number[][];
    const mean = (rows: number[]) => [0, 1].map((d) => rows.reduce((s, r) => s + table[r][d], 0) / rows.length);
    const expected = [...mean([1, 2]), ...mean([3]), 0, 0, ...mean([2, 2, 4])];
    expect(Array.from(out.dataSync())).toEqual(expected.map((v) => expect.closeTo(v, 6)));
  });

  it('adds the mean to word vectors and keeps their padding mask (a padded text reads as it does alone)', () => {
    const tokens = tf.input({ shape: [null], dtype: 'int32' });
    const ngrams = tf.input({ shape: [null, null], dtype: 'int32' });
    const words = tf.layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true }).apply(tokens) as tf.SymbolicTensor;
    const both = subwordEmbedding({ buckets: 9, outputDim: 4, seed: 1 }).apply([words, ngrams]) as tf.SymbolicTensor;
    const last = stackedRecurrent(both, { cell: 'gru', units: [3], bidirectional: false, dropout: 0, returnSequences: false });
    const model = tf.model({ inputs: [tokens, ngrams], outputs: last });
    const alone = model.predict([tf.tensor2d([[2, 5]], [1, 2], 'int32'), tf.tensor3d([[[1, 7], [9, 0]]], [1, 2, 2], 'int32')]) as tf.Tensor;
    const padded = model.predict([
      tf.tensor2d([[2, 5, 0, 0]], [1, 4], 'int32'),
      tf.tensor3d([[[1, 7, 0], [9, 0, 0], [0, 0, 0], [0, 0, 0]]], [1, 4, 3], 'int32'),
    ]) as tf.Tensor;
    expect(Array.from(padded.dataSync())).toEqual(Array.from(alone.dataSync()).map((v) => expect.closeTo(v, 5)));
    // The mask handed on is the word vectors' (tfjs's executor may also carry it along on its own, so ask directly).
    const layer = both.sourceLayer as SubwordEmbedding;
    const wordMask = tf.tensor2d([[1, 0]]);
    expect(layer.computeMask([tf.zeros([1, 2, 4]), tf.zeros([1, 2, 2], 'int32')], [wordMask, null as unknown as tf.Tensor])).toBe(wordMask);
    expect(layer.computeMask(tf.zeros([1, 2, 2], 'int32'), wordMask)).toBeNull();
  });

  it('gradients: each row gets the upstream gradient divided by its position count, padding row none', () => {
    const layer = subwordEmbedding({ buckets: 4, outputDim: 2, seed: 5 });
    const x = ids();
    layer.apply(x);
    const table = layer.trainableWeights[0].read() as tf.Variable;
    const vectors = tf.randomNormal([2, 2, 2], 0, 1, 'float32', 2);
    const upstream = tf.randomNormal([2, 2, 2], 0, 1, 'float32', 7);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply([vectors, x]) as tf.Tensor, upstream)) as tf.Scalar, [table]);
    const u = upstream.arraySync() as number[][][];
    const expected = Array.from({ length: 5 }, () => [0, 0]);
    const idList = x.arraySync() as number[][][];
    idList.forEach((row, b) => row.forEach((grams, t) => {
      const present = grams.filter((g) => g !== 0);
      for (const g of present) for (const d of [0, 1]) expected[g][d] += u[b][t][d] / present.length;
    }));
    expect(Array.from(grads[table.name].dataSync())).toEqual(expected.flat().map((v) => expect.closeTo(v, 5)));
    // The word vectors' gradient is the upstream one unchanged.
    const dv = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(layer.apply([v, x]) as tf.Tensor, upstream)))(vectors);
    expect(Array.from(dv.dataSync())).toEqual(Array.from(upstream.dataSync()).map((v) => expect.closeTo(v, 6)));
  });

  it('survives a save and load, keeps the tensor count flat, refuses wrong inputs naming the layer, and is refused by the plain-tfjs export', async () => {
    expect(() => new SubwordEmbedding({ buckets: 0, outputDim: 2 })).toThrow('SubwordEmbedding: buckets must be a positive integer, got 0');
    expect(() => subwordEmbedding({ buckets: 3, outputDim: 2, name: 'sub' }).apply(tf.zeros([2, 3], 'int32'))).toThrow(/layer 'sub': expected n-gram ids \[B, T, K\]/);
    expect(() => subwordEmbedding({ buckets: 3, outputDim: 2, name: 'sub2' }).apply([tf.zeros([2, 2, 5]), ids()])).toThrow(/layer 'sub2': /);

    const input = tf.input({ shape: [null, null], dtype: 'int32' });
    const out = subwordEmbedding({ buckets: 4, outputDim: 2, name: 'pieces' }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = ids();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(loaded.predict(x));
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
    expect(() => toPlainTfjs(saved!.modelTopology as object, saved!.weightSpecs!)).toThrow(
      "it uses rnnkit's own layers, which stock tfjs has no equivalent of: pieces (RnnkitSubwordEmbedding)",
    );
  });
});
