import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { disposeSeq2Seq, initBackend, setSeed } from '@rnnkit/core';
import { responsesNll, unigramModel } from '../src/baselines.js';
import { Chatbot, DEFAULT_DECODE_SETTINGS } from '../src/chatbot.js';
import { DEFAULT_DATA_CONFIG, prepareData, type ChatDataset } from '../src/data/index.js';
import { modelNll } from '../src/evaluate.js';
import { buildChatModel } from '../src/model.js';
import { runRepl } from '../src/repl.js';
import { trainChatbot } from '../src/train.js';

/**
 * Real-data check: a short training on the English ChatterBot corpus must bring held-out response perplexity below
 * the smoothed unigram baseline (an untrained model, near-uniform over ~1k tokens, is far above it), and the
 * trained model must hold a scripted chat through the REPL. Budgeted in optimizer steps, not seconds.
 */

if (!process.env.RNNKIT_DATA_DIR) {
  throw new Error('RNNKIT_DATA_DIR is not set: point it at the shared datasets folder (the one holding dialogs/chatterbot/english)');
}

const MODEL = { embedDim: 32, units: 32, attention: 'general' as const, dropout: 0 };
// Shorter pairs than the defaults (24/20 tokens) keep each step cheap; the corpus is still the real one.
const DATA = { ...DEFAULT_DATA_CONFIG, maxContextLen: 16, maxResponseLen: 12 };
const EPOCHS = 2;
const STEPS_PER_EPOCH = 26;
const BATCH = 64;

describe('chatbot on the ChatterBot English corpus', () => {
  let data: ChatDataset;
  let unigramPpl: number;
  const out = mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-it-'));

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
    const { result, modelDir } = await trainChatbot(data, DATA, MODEL, {
      out, epochs: EPOCHS, batchSize: BATCH, learningRate: 1e-2, clipNorm: 5, patience: 0, seed: 7, resume: false,
      maxStepsPerEpoch: STEPS_PER_EPOCH, progress: 'none',
      callbacks: { onBatchEnd: () => void tensorsAtStep.push(tf.memory().numTensors) },
    });
    expect(result.history).toHaveLength(EPOCHS);
    // After the first steps (optimizer slots are created lazily) the count must stay flat.
    expect(tensorsAtStep[tensorsAtStep.length - 1]).toBe(tensorsAtStep[2]);

    const bot = await Chatbot.load(modelDir);
    const { nll, tokens } = modelNll(bot.models.train, data.heldOut);
    const modelPpl = Math.exp(nll / tokens);
    console.log(`held-out perplexity: model ${modelPpl.toFixed(1)}, unigram ${unigramPpl.toFixed(1)}`);
    expect(modelPpl).toBeLessThan(unigramPpl);
    bot.dispose();
    // The budget is in steps; this generous limit only guards against a hang on a heavily shared machine.
  }, 900_000);

  test('a scripted chat session: greet, two questions, /reset, /quit', async () => {
    const bot = await Chatbot.load(out);
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d) => (text += String(d)));
    const done = runRepl({ bot, input, output, settings: { ...DEFAULT_DECODE_SETTINGS, beam: 3 } });
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
    const bot = await Chatbot.load(out);
    try {
      for (const settings of [{ beam: 1, temperature: 0 }, { beam: 5, temperature: 0.8 }]) {
        const pieces: string[] = [];
        let unknown: readonly string[] | undefined;
        const r = bot.reply(['What is your name? zzyzx'], { ...DEFAULT_DECODE_SETTINGS, ...settings }, {
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
      const r = bot.reply(['hello'], { ...DEFAULT_DECODE_SETTINGS, beam: 3 }, { onText: (p) => void pieces.push(p) });
      expect(r.text.length).toBeGreaterThan(0);
      expect(pieces).toEqual([]);
    } finally {
      bot.dispose();
    }
  });
});
