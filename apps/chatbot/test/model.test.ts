import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeSeq2Seq, saveModelDir, setSeed, Vocab } from '@rnnkit/core';
import { Chatbot } from '../src/chatbot.js';
import type { ChatbotExtras } from '../src/extras.js';
import { loadChatbot } from '../src/load-model.js';
import { chatbotInputSchema, chatbotPredictor, exampleInput } from '../src/predictor.js';
import { buildDataset, DEFAULT_DATA_CONFIG } from '../src/data/dataset.js';
import { SEP } from '../src/data/pairs.js';
import { modelNll } from '../src/evaluate.js';
import { buildChatModel } from '../src/model.js';
import { makePairBatch } from '../src/batches.js';
import type { Conversation } from '../src/data/conversation.js';

const convs: Conversation[] = [
  ['hello', 'hi'], ['how are you ?', 'fine .'], ['what is your name ?', 'i am a bot .'], ['bye', 'see you .'],
].map((turns, i) => ({ turns, file: 'f.yml', line: i + 1 }));

describe('chatbot model', () => {
  const dataConfig = { ...DEFAULT_DATA_CONFIG, heldOut: 0, minCount: 1 };
  const data = buildDataset(convs, dataConfig);
  const cfg = { embedDim: 8, units: 6, attention: 'dot' as const, dropout: 0 };

  test('teacher-forcing batches line up: decoder input is BOS + response, target is response + EOS, padding masked', () => {
    const batch = makePairBatch(data.train, [0, 2]);
    const [src, tgtIn] = batch.xs as tf.Tensor[];
    const r0 = data.train[0].responseIds;
    expect((tgtIn.arraySync() as number[][])[0].slice(0, r0.length + 1)).toEqual([Vocab.BOS, ...r0]);
    expect((batch.ys as tf.Tensor).arraySync()).toEqual(
      [0, 2].map((i) => {
        const row = [...data.train[i].responseIds, Vocab.EOS];
        return [...row, ...Array(tgtIn.shape[1]! - row.length).fill(0)];
      }),
    );
    expect((batch.weights as tf.Tensor).sum().dataSync()[0]).toBe(r0.length + 1 + data.train[2].responseIds.length + 1);
    expect(src.shape[0]).toBe(2);
    tf.dispose([src, tgtIn, batch.ys as tf.Tensor, batch.weights as tf.Tensor]);
  });

  test('an untrained model is near-uniform: perplexity close to the vocabulary size', () => {
    setSeed(3);
    const models = buildChatModel(cfg, data.vocab.size, 3);
    const { nll, tokens } = modelNll(models.train, data.train);
    const ppl = Math.exp(nll / tokens);
    expect(ppl).toBeGreaterThan(data.vocab.size * 0.7);
    expect(ppl).toBeLessThan(data.vocab.size * 1.5);
    disposeSeq2Seq(models);
  });

  test('replies never contain reserved tokens, and decoding does not leak tensors', () => {
    setSeed(4);
    const models = buildChatModel(cfg, data.vocab.size, 4);
    const bot = new Chatbot(models, data.vocab, dataConfig, cfg);
    bot.reply(['hello']); // warm-up: first calls create lazily built weights and kernels
    const before = tf.memory().numTensors;
    for (const decode of [{}, { beamWidth: 1 }, { temperature: 1 }, { strategy: 'sample' as const, topK: 3 }]) {
      const r = bot.reply(['hello', 'hi', 'what is a zebra ?'], decode);
      expect(r.unknown).toEqual(['zebra']);
      expect(r.tokens.length).toBeGreaterThan(0);
      for (const t of r.tokens) expect(['<pad>', '<unk>', '<bos>', '<eos>', SEP]).not.toContain(t);
      expect(Number.isFinite(r.score)).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    bot.dispose();
  });

  test('a saved chatbot loads back and replies the same; a model dir of another app is refused by name', async () => {
    setSeed(6);
    const models = buildChatModel(cfg, data.vocab.size, 6);
    const dir = join(mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-')), 'run');
    const extras: ChatbotExtras = {
      data: '/corpus', text: dataConfig, model: cfg, vocab: data.vocab.toJSON(), stats: data.stats,
    };
    await saveModelDir(join(dir, 'model'), models.train, { app: { name: 'chatbot', version: '0.2.0' }, extras });
    const original = new Chatbot(models, data.vocab, dataConfig, cfg);
    const loaded = await loadChatbot(dir); // the train --out directory resolves to its model/ subfolder
    expect(loaded.reply(['how are you ?'])).toEqual(original.reply(['how are you ?']));
    original.dispose();
    loaded.dispose();

    const other = buildChatModel(cfg, data.vocab.size, 7);
    const otherDir = join(dir, 'other');
    await saveModelDir(otherDir, other.train, { app: { name: 'textgen', version: '0.2.0' } });
    disposeSeq2Seq(other);
    await expect(loadChatbot(otherDir)).rejects.toThrow(/other: holds a textgen model \(use rnnkit-textgen\), not a chatbot model/);
  });

  test('the predictor: example input, n-best and attention, and bad inputs refused naming the field', async () => {
    setSeed(8);
    const predictor = chatbotPredictor(new Chatbot(buildChatModel(cfg, data.vocab.size, 8), data.vocab, dataConfig, cfg));
    try {
      expect(chatbotInputSchema.safeParse(exampleInput).success).toBe(true);
      const out = await predictor.predict({ ...exampleInput, attention: true });
      expect(out.reply.length).toBeGreaterThan(0);
      expect(out.alternatives).toBeDefined();
      expect(out.unknown).toEqual([]);
      expect(predictor.unknownWords('Hello zebra')).toEqual(['zebra']);
      const attention = out.attention!;
      expect(attention.weights.length).toBe(attention.replyTokens.length);
      for (const row of attention.weights) {
        expect(row).toHaveLength(attention.inputTokens.length);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
      // Greedy replies have no alternatives; the same seed samples the same reply.
      expect((await predictor.predict({ message: 'hello', decode: { strategy: 'greedy' } })).alternatives).toBeUndefined();
      const sampled = { message: 'hello', decode: { temperature: 1.5, seed: 11 } };
      expect((await predictor.predict(sampled)).reply).toBe((await predictor.predict(sampled)).reply);

      await expect(predictor.predict({ message: '' })).rejects.toThrow(/^input: field "message": /);
      await expect(predictor.predict({ message: 'hi', decode: { beamWidth: 0 } })).rejects.toThrow(/^input: field "decode\.beamWidth": /);
      await expect(predictor.predict({ message: 'hi', decode: { minLen: 30 } })).rejects.toThrow(/^input: field "decode\.minLen": must not exceed maxLen/);
      await expect(predictor.predict({ message: 'hi', history: Array(21).fill('x') })).rejects.toThrow(/^input: field "history": /);
      await expect(predictor.predict({ message: 'hi', turns: [] })).rejects.toThrow(/^input: unknown field "turns"/);
    } finally {
      predictor.dispose();
    }
  });
});
