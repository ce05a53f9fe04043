import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { commandContext, disposeSeq2Seq, initBackend, runTraining, setSeed } from '@rnnkit/core';
import { chatbotApp } from '../src/app.js';
import { responsesNll, unigramModel } from '../src/baselines.js';
import { chatbotConfigSchema, dataConfigOf, modelConfigOf } from '../src/config.js';
import { prepareData, type ChatDataset } from '../src/data/index.js';
import { modelNll } from '../src/evaluate.js';
import { buildChatModel } from '../src/model.js';
import { loadChatbot } from '../src/load-model.js';
import { chatbotPredictor } from '../src/predictor.js';
import { runRepl } from '../src/repl.js';
import { trainChatbot, type ChatbotRun } from '../src/train.js';

/**
 * Real-data check: a short training on the English ChatterBot corpus must bring held-out response perplexity below
 * the smoothed unigram baseline (an untrained model, near-uniform over ~1k tokens, is far above it), and the
 * trained model must hold a scripted chat through the REPL. Budgeted in optimizer steps, not seconds.
 */

if (!process.env.RNNKIT_DATA_DIR) {
  throw new Error('RNNKIT_DATA_DIR is not set: point it at the shared datasets folder (the one holding dialogs/chatterbot/english)');
}

const out = mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-it-'));
// Shorter pairs than the defaults (24/20 tokens) keep each step cheap; the corpus is still the real one.
const CONFIG = chatbotConfigSchema.parse({
  out, maxContextLen: 16, maxResponseLen: 12, embedDim: 32, units: [32], attention: 'general', dropout: 0,
  epochs: 2, maxStepsPerEpoch: 26, batchSize: 64, lr: 1e-2, clipNorm: 5, patience: 0, seed: 7,
});
const MODEL = modelConfigOf(CONFIG);
const DATA = dataConfigOf(CONFIG);

describe('chatbot on the ChatterBot English corpus', () => {
  let data: ChatDataset;
  let unigramPpl: number;

  beforeAll(async () => {
    await initBackend({ quiet: true });
    ({ dataset: data } = await prepareData(undefined, DATA));
    const { nll, tokens } = responsesNll(unigramModel(data.train.map((p) => p.responseIds), data.vocab.size), data.heldOut.map((p) => p.responseIds));
    unigramPpl = Math.exp(nll / tokens);
  });

  test('the data pipeline finds a usable corpus', () => {
    expect(data.train.length).toBeGreaterThan(900);
    expect(data.heldOut.length).toBeGreaterThan(40);
    expect(data.vocab.size).toBeGreaterThan(500);
  });

  test('an untrained model does not beat the unigram baseline', () => {
    setSeed(5);
    const models = buildChatModel(MODEL, data.vocab.size, 5);
    const { nll, tokens } = modelNll(models.train, data.heldOut);
    console.log(`held-out perplexity: untrained model ${Math.exp(nll / tokens).toFixed(1)}, unigram ${unigramPpl.toFixed(1)}`);
    expect(Math.exp(nll / tokens)).toBeGreaterThan(unigramPpl);
    disposeSeq2Seq(models);
  });

  test('short training beats the unigram baseline on held-out responses, without leaking tensors', async () => {
    const tensorsAtStep: number[] = [];
    // The CLI's path (config, run dir, lock, run.json), with a hook counting tensors after every step.
    const app = { ...chatbotApp, train: trainChatbotCounting };
    function trainChatbotCounting(...[config, ctx]: Parameters<typeof chatbotApp.train>) {
      return trainChatbot(config, ctx, { callbacks: { onBatchEnd: () => void tensorsAtStep.push(tf.memory().numTensors) } });
    }
    const { result, modelDir } = (await runTraining(app, CONFIG, false, commandContext({ quiet: true }))) as ChatbotRun;
    expect(result.history).toHaveLength(CONFIG.epochs);
    expect(modelDir).toBe(join(out, 'model'));
    // After the first steps (optimizer slots are created lazily) the count must stay flat.
    expect(tensorsAtStep[tensorsAtStep.length - 1]).toBe(tensorsAtStep[2]);

    const bot = await loadChatbot(modelDir);
    const { nll, tokens } = modelNll(bot.models.train, data.heldOut);
    const modelPpl = Math.exp(nll / tokens);
    console.log(`held-out perplexity: model ${modelPpl.toFixed(1)}, unigram ${unigramPpl.toFixed(1)}`);
    expect(modelPpl).toBeLessThan(unigramPpl);
    bot.dispose();
    // The budget is in steps; this generous limit only guards against a hang on a heavily shared machine.
  }, 900_000);

  test('a scripted chat session: greet, two questions, /reset, /quit', async () => {
    const bot = chatbotPredictor(await loadChatbot(out));
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += String(d)));
    const done = runRepl({ bot, input, output, decode: { beamWidth: 3 } });
    input.write('Hello\nWhat is your name?\nDo you like music?\n/reset\nHi\n/quit\n');
    const code = await done;
    bot.dispose();
    expect(code).toBe(0);
    const replies = text.split('\n').filter((l) => l.startsWith('bot> ')).map((l) => l.slice(5).trim());
    expect(replies).toHaveLength(4);
    for (const r of replies) expect(r.length).toBeGreaterThan(0);
    expect(text).toContain('(conversation forgotten)');
  });

  test('the trained bot streams greedy and sampled replies token by token, and beam search replies not at all', async () => {
    const bot = await loadChatbot(out);
    try {
      for (const decode of [{ beamWidth: 1, temperature: 0 }, { temperature: 0.8 }]) {
        const pieces: string[] = [];
        let unknown: readonly string[] | undefined;
        const r = bot.reply(['What is your name? zzyzx'], decode, {
          onStart: (u) => (unknown = u),
          onText: (p) => void pieces.push(p),
        });
        expect(unknown).toEqual(['zzyzx']);
        expect(pieces.join('')).toBe(r.text);
        // One piece per token, except apostrophes, which wait for the next token (or the end).
        const words = r.tokens.filter((t) => t !== "'").length;
        expect(pieces.length).toBeGreaterThanOrEqual(words);
        expect(pieces.length).toBeLessThanOrEqual(words + 1);
      }
      const pieces: string[] = [];
      const r = bot.reply(['hello'], { beamWidth: 3 }, { onText: (p) => void pieces.push(p) });
      expect(r.text.length).toBeGreaterThan(0);
      expect(pieces).toEqual([]);
    } finally {
      bot.dispose();
    }
  });

  test('the predictor streams through stream() for greedy and sampled decoding; beam search gives n-best alternatives', async () => {
    const predictor = chatbotPredictor(await loadChatbot(out));
    try {
      for (const decode of [{ strategy: 'greedy' as const }, { strategy: 'sample' as const, temperature: 0.8, seed: 3 }]) {
        const pieces: string[] = [];
        const output = await predictor.stream({ message: 'What is your name?', history: ['hello', 'hi'], decode }, (p) => void pieces.push(p));
        expect(pieces.length).toBeGreaterThan(0);
        expect(pieces.join('')).toBe(output.reply);
        expect(output.alternatives).toBeUndefined();
        // The same request without streaming gives the same reply (sampling is seeded by the request).
        expect((await predictor.predict({ message: 'What is your name?', history: ['hello', 'hi'], decode })).reply).toBe(output.reply);
      }
      const pieces: string[] = [];
      const beam = await predictor.stream({ message: 'hello', decode: { beamWidth: 4 } }, (p) => void pieces.push(p));
      expect(pieces).toEqual([]);
      expect(beam.reply.length).toBeGreaterThan(0);
      expect(beam.alternatives!.length).toBeGreaterThan(0);
      for (const a of beam.alternatives!) expect(a.score).toBeLessThanOrEqual(beam.score);
    } finally {
      predictor.dispose();
    }
  });
});
