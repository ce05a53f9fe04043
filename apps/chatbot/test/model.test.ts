import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeSeq2Seq, saveModelDir, setSeed, Vocab } from '@rnnkit/core';
import { Chatbot, DEFAULT_DECODE_SETTINGS } from '../src/chatbot.js';
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
    for (const settings of [DEFAULT_DECODE_SETTINGS, { ...DEFAULT_DECODE_SETTINGS, beam: 1 }, { ...DEFAULT_DECODE_SETTINGS, temperature: 1 }]) {
      const r = bot.reply(['hello', 'hi', 'what is a zebra ?'], settings);
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
    await saveModelDir(join(dir, 'model'), models.train, { app: 'chatbot', data: dataConfig, model: cfg, vocab: data.vocab.toJSON() });
    const original = new Chatbot(models, data.vocab, dataConfig, cfg);
    const loaded = await Chatbot.load(dir); // the train --out directory resolves to its model/ subfolder
    expect(loaded.reply(['how are you ?'])).toEqual(original.reply(['how are you ?']));
    original.dispose();
    loaded.dispose();

    const other = buildChatModel(cfg, data.vocab.size, 7);
    const otherDir = join(dir, 'other');
    await saveModelDir(otherDir, other.train, { app: 'textgen' });
    disposeSeq2Seq(other);
    await expect(Chatbot.load(otherDir)).rejects.toThrow(/other\/rnnkit\.json: not a chatbot model/);
  });
});
