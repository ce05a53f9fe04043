import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setSeed, forkRng } from '@rnnkit/core';
import { prepareData, DEFAULT_DATA_CONFIG, resolveNewsData, trainSummarizer, summarizeTokens, DEFAULT_DECODE_SETTINGS } from '../src/index.js';

it('probe', async () => {
  await initBackend();
  setSeed(1);
  const file = await resolveNewsData(undefined);
  const cfg = { ...DEFAULT_DATA_CONFIG, maxSrcLen: 40, maxVocab: 5000 };
  let t0 = Date.now();
  const d = prepareData(file, cfg, forkRng());
  console.log('prep', Date.now() - t0, d.report, d.splits.train.length, d.vocab.size);
  t0 = Date.now();
  const { summarizer, result } = await trainSummarizer(d.splits, d.vocab, { embedDim: 64, units: 64, cell: 'gru', attention: 'bahdanau', dropout: 0 }, cfg,
    { epochs: 1, batchSize: 32, learningRate: 3e-3, clipNorm: 5, patience: 0, maxStepsPerEpoch: 20, maxValBatches: 3, seed: 1, progress: 'lines' });
  console.log('train 20 steps ms', Date.now() - t0, result.history);
  t0 = Date.now();
  const out = summarizeTokens(summarizer, d.vocab, d.splits.test.slice(0, 5).map((e) => e.srcTokens), DEFAULT_DECODE_SETTINGS);
  console.log('beam 5 ms', Date.now() - t0, out.map((o) => o.text));
  console.log(tf.memory().numTensors);
}, 600000);
