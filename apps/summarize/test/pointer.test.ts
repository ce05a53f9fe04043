import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, saveModelDir, Vocab } from '@rnnkit/core';
import {
  APP_VERSION, buildSummarizer, disposeSummarizer, encodeExample, loadSummarizeModel, mixDistribution, pairBatchSource, pointerForwardLoss,
  pointerGeneratorLoss, summarizeTokens, trainSummarizer, DEFAULT_DATA_CONFIG, DEFAULT_DECODE_SETTINGS, type SummarizeExtras,
} from '../src/index.js';
import { copyTask } from './fixtures.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('pointer-generator mixing', () => {
  it('the loss is -log(p_gen·P_vocab(y) + (1-p_gen)·Σ attention on source copies of y), masked', () => {
    // B=1, T=3, V=4, S=3. Source (extended ids) = [2, 5, 2]: word 2 twice, and one OOV word with id 5.
    const pVocab = tf.tensor3d([[[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]]]);
    const attention = tf.tensor3d([[[0.5, 0.2, 0.3], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]]);
    const pGen = tf.tensor3d([[[0.6], [0.3], [0.9]]]);
    const srcExt = tf.tensor2d([[2, 5, 2]], [1, 3], 'int32');
    const tgtOut = tf.tensor2d([[2, 5, 3]], [1, 3], 'int32');
    const weights = tf.tensor2d([[1, 1, 0]]);
    const loss = pointerGeneratorLoss(pVocab, attention, pGen, srcExt, tgtOut, weights).dataSync()[0];
    const p1 = 0.6 * 0.3 + 0.4 * (0.5 + 0.3); // vocab word 2, also copied from positions 0 and 2
    const p2 = 0.3 * 0 + 0.7 * 0.8; // OOV id 5: copy only
    expect(loss).toBeCloseTo((-Math.log(p1) - Math.log(p2)) / 2, 5);
    tf.dispose([pVocab, attention, pGen, srcExt, tgtOut, weights]);
  });

  it('the decoding distribution over the extended vocabulary sums to 1 and scatters attention onto source ids', () => {
    const pVocab = tf.tensor2d([[0.1, 0.2, 0.3, 0.4]]);
    const attention = tf.tensor2d([[0.5, 0.2, 0.3]]);
    const pGen = tf.tensor2d([[0.6]]);
    const srcExt = tf.tensor2d([[2, 5, 2]], [1, 3], 'int32');
    const p = Array.from(mixDistribution(pVocab, attention, pGen, srcExt, 6).dataSync());
    const expected = [0.06, 0.12, 0.18 + 0.4 * 0.8, 0.24, 0, 0.4 * 0.2];
    p.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    tf.dispose([pVocab, attention, pGen, srcExt]);
  });
});

describe('tiny pointer-generator', () => {
  const vocab = Vocab.build([['said', 'hello', 'to', 'all', 'spoke']]);
  const small = { embedDim: 8, units: 8, cell: 'gru' as const, attention: 'bahdanau' as const, dropout: 0 };

  it('learns to copy out-of-vocabulary names it never saw in training', async () => {
    const held = copyTask(20, 1000);
    const copied = (s: ReturnType<typeof buildSummarizer>) =>
      summarizeTokens(s, vocab, held.map((e) => e.srcTokens), { ...DEFAULT_DECODE_SETTINGS, beamWidth: 1, minLen: 1, maxLen: 3 })
        .filter((o, i) => o.tokens[0] === held[i].srcTokens[0]).length;
    const untrained = buildSummarizer(small, vocab.size, 3);
    const before = copied(untrained);
    const { summarizer } = await trainSummarizer({ train: copyTask(256, 0), val: [] }, vocab, small, {
      epochs: 4, batchSize: 32, learningRate: 0.02, clipNorm: 5, seed: 3, progress: 'none',
    });
    const after = copied(summarizer);
    expect(before).toBeLessThan(10);
    expect(after).toBeGreaterThanOrEqual(18);
  }, 120_000);

  it('training steps and decoding do not leak tensors', () => {
    const s = buildSummarizer(small, vocab.size, 5);
    const examples = copyTask(8, 0).map((e) => encodeExample(e, vocab));
    const source = pairBatchSource(examples, 4, { shuffle: false, seed: 1 });
    const optimizer: tf.Optimizer = tf.train.adam(0.01);
    const counts: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const batch of source.batches(epoch)) {
        const { value, grads } = tf.variableGrads(() => pointerForwardLoss.forward(s.train, batch, true));
        optimizer.applyGradients(grads);
        tf.dispose([value, grads, batch.xs, batch.ys, batch.weights as tf.Tensor]);
      }
      counts.push(tf.memory().numTensors);
    }
    expect(counts[2]).toBe(counts[1]);
    const articles = copyTask(3, 50).map((e) => e.srcTokens);
    const before = tf.memory().numTensors;
    summarizeTokens(s, vocab, articles, DEFAULT_DECODE_SETTINGS);
    summarizeTokens(s, vocab, articles, { ...DEFAULT_DECODE_SETTINGS, beamWidth: 1 });
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
  });

  it('a saved model loads back and summarizes identically', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'rnnkit-summarize-save-'));
    const { summarizer } = await trainSummarizer({ train: copyTask(16, 0), val: copyTask(8, 100) }, vocab, small, {
      epochs: 1, batchSize: 8, learningRate: 0.01, clipNorm: 5, seed: 9, progress: 'none',
    });
    const extras: SummarizeExtras = { model: small, dataConfig: DEFAULT_DATA_CONFIG, vocab: vocab.toJSON(), data: 'copy task' };
    await saveModelDir(path.join(out, 'model'), summarizer.train, { app: { name: 'summarize', version: APP_VERSION }, extras });
    const loaded = await loadSummarizeModel(out);
    expect(loaded.vocab.toJSON()).toEqual(vocab.toJSON());
    const articles = copyTask(2, 500).map((e) => e.srcTokens);
    const a = summarizeTokens(summarizer, vocab, articles, DEFAULT_DECODE_SETTINGS);
    const b = summarizeTokens(loaded.summarizer, loaded.vocab, articles, DEFAULT_DECODE_SETTINGS);
    expect(b.map((o) => o.text)).toEqual(a.map((o) => o.text));
    expect(a[0].attention[0]).toHaveLength(articles[0].length);
    disposeSummarizer(summarizer);
    disposeSummarizer(loaded.summarizer);
  });
});
