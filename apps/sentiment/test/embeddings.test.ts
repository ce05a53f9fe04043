import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Vocab, setSeed } from '@rnnkit/core';
import { applyPretrained, buildClassifier, readGloveVectors } from '../src/index.js';
import { tempDir, writeFixture } from './fixtures.js';

const dir = tempDir('embeddings');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const vocab = Vocab.build([['good', 'film', 'dull']]);

describe('GloVe vectors', () => {
  it('reads the vectors of vocabulary words (the first occurrence) and sets those embedding rows only', async () => {
    const file = writeFixture(dir, 'glove.txt', 'the 9 9 9\ngood 0.5 -1 2\nfilm 1e-1 0 3\ngood 7 7 7\nzebra 1 1 1\n');
    const pretrained = await readGloveVectors(file, vocab, 3);
    expect([...pretrained.vectors.keys()].sort()).toEqual([vocab.idOf('good'), vocab.idOf('film')].sort());
    expect(Array.from(pretrained.vectors.get(vocab.idOf('good'))!)).toEqual([0.5, -1, 2]);
    setSeed(1);
    const model = buildClassifier({
      vocabSize: vocab.size, embedDim: 3, cell: 'gru', units: [4], bidirectional: false, pooling: 'last', attentionUnits: 2, dropout: 0, numClasses: 2, maxLen: 5,
    });
    const before = model.getLayer('embedding').getWeights()[0].arraySync() as number[][];
    applyPretrained(model, pretrained);
    const after = model.getLayer('embedding').getWeights()[0].arraySync() as number[][];
    after[vocab.idOf('film')].forEach((v, i) => expect(v).toBeCloseTo([0.1, 0, 3][i], 6));
    expect(after[vocab.idOf('dull')]).toEqual(before[vocab.idOf('dull')]);
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('refuses a size other than --embed-dim, a non-number, a word2vec header, a missing file, naming file and line', async () => {
    const short = writeFixture(dir, 'short.txt', 'good 1 2 3\nfilm 1 2\n');
    await expect(readGloveVectors(short, vocab, 3)).rejects.toThrow(new RegExp(`^${short}: line 2: 2 values after the word, but --embed-dim is 3`));
    const nan = writeFixture(dir, 'nan.txt', 'good 1 x 3\n');
    await expect(readGloveVectors(nan, vocab, 3)).rejects.toThrow(/nan\.txt: line 1: value 2 of "good" is not a number/);
    const w2v = writeFixture(dir, 'w2v.txt', '400000 3\ngood 1 2 3\n');
    await expect(readGloveVectors(w2v, vocab, 3)).rejects.toThrow(/w2v\.txt: line 1: looks like a word2vec header/);
    const latin1 = writeFixture(dir, 'latin1.txt', Buffer.from('good 1 2 3\ncaf\xe9 1 2 3\n', 'latin1'));
    await expect(readGloveVectors(latin1, vocab, 3)).rejects.toThrow(/latin1\.txt: not valid UTF-8/);
    await expect(readGloveVectors(`${dir}/none.txt`, vocab, 3)).rejects.toThrow(/none\.txt: no such file \(--embeddings\)/);
  });
});
