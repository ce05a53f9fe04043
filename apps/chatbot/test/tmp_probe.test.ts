import { test } from 'vitest';
import { initBackend } from '@rnnkit/core';
import { prepareData, describeData, DEFAULT_DATA_CONFIG } from '../src/data/index.js';
import { trainChatbot } from '../src/train.js';
import { Chatbot, DEFAULT_DECODE_SETTINGS } from '../src/chatbot.js';
import { evaluateChatbot, formatReport } from '../src/evaluate.js';
test('probe', async () => {
  await initBackend();
  const cfg = { ...DEFAULT_DATA_CONFIG };
  const { corpus, dataset } = await prepareData(undefined, cfg);
  console.log(describeData(corpus, dataset));
  const t0 = Date.now();
  const { result, modelDir } = await trainChatbot(dataset, cfg, { embedDim: 64, units: 64, attention: 'general', dropout: 0.1 }, {
    out: '/tmp/chatbot-probe', epochs: Number(process.env.EPOCHS ?? 2), batchSize: 32, learningRate: 3e-3, clipNorm: 5, patience: 0, seed: 1, resume: false, progress: 'lines', maxStepsPerEpoch: process.env.STEPS ? Number(process.env.STEPS) : undefined });
  console.log('train s', (Date.now() - t0) / 1000, JSON.stringify(result.history));
  const bot = await Chatbot.load(modelDir);
  const t1 = Date.now();
  console.log(formatReport(evaluateChatbot(bot, dataset, { settings: DEFAULT_DECODE_SETTINGS, maxReplies: 40 })));
  console.log('eval s', (Date.now() - t1) / 1000);
}, 1_000_000);
