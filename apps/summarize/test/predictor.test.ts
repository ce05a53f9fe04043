import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext, decodeShared, initBackend, repeatedContentWord, saveModelDir, Vocab } from '@rnnkit/core';
import {
  APP_VERSION, DEFAULT_DATA_CONFIG, DEFAULT_DECODE_SETTINGS, buildSummarizer, decodeSettings, describeDecoding, disposeSummarizer, encodeSource, exampleInput,
  loadSummarizeModel, sharedStepFunction, summarizeApp, summarizeInputSchema, summarizePredictor, summarizeTokens, summaryRow, trainSummarizer,
  type SummarizeExtras, type SummarizeOutput,
} from '../src/index.js';
import { copyTask } from './fixtures.js';

/** The predictor on a tiny copy-task model saved the way train saves it (its outputs are arbitrary, their shape is not). */

const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-summarize-predictor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const vocab = Vocab.build([['said', 'hello', 'to', 'all', 'spoke', 'the', '.']]);
const small = { embedDim: 8, units: 8, cell: 'gru' as const, attention: 'bahdanau' as const, dropout: 0 };
const MAX_SRC_LEN = 12;
const article = 'Name7 said hello to all, the end. ' + 'Hello to all said the others. '.repeat(4);

beforeAll(async () => {
  await initBackend({ quiet: true });
  const { summarizer } = await trainSummarizer({ train: copyTask(32, 0), val: [] }, vocab, small, {
    epochs: 1, batchSize: 8, learningRate: 0.01, clipNorm: 5, seed: 4, progress: 'none',
  });
  const extras: SummarizeExtras = { model: small, dataConfig: { ...DEFAULT_DATA_CONFIG, maxSrcLen: MAX_SRC_LEN }, vocab: vocab.toJSON(), data: 'copy task' };
  await saveModelDir(path.join(dir, 'model'), summarizer.train, { app: { name: 'summarize', version: APP_VERSION }, extras });
  disposeSummarizer(summarizer);
});

async function withPredictor<T>(fn: (p: Awaited<ReturnType<typeof summarizeApp.loadPredictor>>) => Promise<T>): Promise<T> {
  const predictor = await summarizeApp.loadPredictor(dir);
  try {
    return await fn(predictor);
  } finally {
    predictor.dispose();
  }
}

describe('summarize predictor', () => {
  it('summarizes the example input; attention and source tokens only on request, truncated to the model\'s maxSrcLen', async () => {
    await withPredictor(async (p) => {
      const out = await p.predict(exampleInput);
      expect(out.summary).toBe(out.tokens.join(' ').replace(/ ([.,;:!?%')\]])/g, '$1'));
      expect(out.tokens.length).toBeLessThanOrEqual(12);
      expect(Number.isFinite(out.score)).toBe(true);
      expect(out).not.toHaveProperty('attention');
      const withAttention = await p.predict({ text: article, decode: { strategy: 'greedy' }, attention: true });
      expect(withAttention.sourceTokens).toHaveLength(MAX_SRC_LEN);
      expect(withAttention.sourceTokens?.[0]).toBe('name7');
      expect(withAttention.attention).toHaveLength(withAttention.tokens.length);
      for (const row of withAttention.attention ?? []) {
        expect(row).toHaveLength(MAX_SRC_LEN);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      }
      // Plain JSON: what a server sends.
      expect(JSON.parse(JSON.stringify(withAttention))).toEqual(withAttention);
    });
  });

  it("with attention: true, each summary token's copy probability: 1 − p_gen of the network at that step", async () => {
    const greedy = await withPredictor((p) => p.predict({ text: article, decode: { strategy: 'greedy', maxLen: 8 }, attention: true }));
    expect(greedy.copyProbability).toHaveLength(greedy.tokens.length);
    expect(greedy.tokens.length).toBeGreaterThan(0);
    // Reference: the training model under teacher forcing on the same summary gives p_gen at every position.
    const loaded = await loadSummarizeModel(dir);
    try {
      const source = encodeSource(greedy.sourceTokens!, loaded.vocab);
      const fed = [Vocab.BOS, ...greedy.tokens.slice(0, -1).map((t) => loaded.vocab.idOf(t))];
      const pGen = tf.tidy(() => {
        const [, , p] = loaded.summarizer.train.predict([tf.tensor2d([source.src], undefined, 'int32'), tf.tensor2d([fed], undefined, 'int32')]) as tf.Tensor[];
        return Array.from(p.dataSync());
      });
      greedy.copyProbability!.forEach((c, t) => expect(c, `token ${t}`).toBeCloseTo(1 - pGen[t], 5));
    } finally {
      disposeSummarizer(loaded.summarizer);
    }
    await withPredictor(async (p) => {
      for (const decode of [{ beamWidth: 3 }, { strategy: 'sample' as const, seed: 5 }]) {
        const out = await p.predict({ text: article, decode, attention: true });
        expect(out.copyProbability, JSON.stringify(decode)).toHaveLength(out.tokens.length);
        for (const c of out.copyProbability!) expect(c > 0 && c < 1, `${c} is a probability`).toBe(true);
      }
      expect(await p.predict({ text: article })).not.toHaveProperty('copyProbability');
    });
  });

  it('streams greedy and sampled summaries word by word (the pieces make the summary), beam search whole', async () => {
    await withPredictor(async (p) => {
      for (const decode of [{ strategy: 'greedy' as const }, { strategy: 'sample' as const, seed: 3 }, { strategy: 'beam' as const, beamWidth: 1 }]) {
        const pieces: string[] = [];
        const out = await p.stream!({ text: article, decode }, (piece) => pieces.push(piece));
        expect(pieces.join(''), JSON.stringify(decode)).toBe(out.summary);
        expect(pieces).toHaveLength(out.tokens.length);
      }
      const pieces: string[] = [];
      const beam = await p.stream!({ text: article, decode: { beamWidth: 3 } }, (piece) => pieces.push(piece));
      expect(pieces).toEqual(beam.tokens.length > 0 ? [beam.summary] : ['']);
    });
  });

  it('samples reproducibly for a seed; greedy equals beam width 1', async () => {
    await withPredictor(async (p) => {
      const sample = (seed: number) => p.predict({ text: article, decode: { strategy: 'sample', seed, temperature: 1.5 } });
      expect(await sample(11)).toEqual(await sample(11));
      const greedy = await p.predict({ text: article, decode: { strategy: 'greedy' } });
      const beam1 = await p.predict({ text: article, decode: { strategy: 'beam', beamWidth: 1 } });
      expect(beam1.tokens).toEqual(greedy.tokens);
    });
  });

  it('refuses bad input with one line naming the field', async () => {
    await withPredictor(async (p) => {
      await expect(p.predict({ text: article, bogus: 1 })).rejects.toThrow('input: unknown field "bogus"');
      await expect(p.predict({ text: '   ' })).rejects.toThrow('input: field "text": has no words to summarize');
      await expect(p.predict({ text: article, decode: { strategy: 'beam', temperature: 0.5 } })).rejects.toThrow(
        'input: field "decode.temperature": only sampling uses it (strategy "sample")',
      );
      await expect(p.predict({ text: article, decode: { strategy: 'greedy', beamWidth: 3 } })).rejects.toThrow(
        'input: field "decode.beamWidth": only beam search uses it (strategy is "greedy")',
      );
      await expect(p.predict({ text: article, decode: { maxLen: 2 } })).rejects.toThrow('input: field "decode.maxLen": minLen 3 is larger than maxLen 2');
      await expect(p.predict({ text: article, decode: { beamWidth: 0 } })).rejects.toThrow('field "decode.beamWidth"');
      await expect(p.predict({ text: article, attention: 'yes' })).rejects.toThrow('field "attention"');
    });
    expect(summarizeInputSchema.safeParse(exampleInput).success).toBe(true);
  });

  it('streams each article of a greedy batch under its own index', async () => {
    const loaded = await loadSummarizeModel(dir);
    try {
      const articles = copyTask(3, 40).map((e) => e.srcTokens);
      const texts = ['', '', ''];
      const outs = summarizeTokens(loaded.summarizer, loaded.vocab, articles, { ...decodeSettings({ strategy: 'greedy' }), onPiece: (p, i) => (texts[i] += p) });
      expect(texts).toEqual(outs.map((o) => o.text));
    } finally {
      disposeSummarizer(loaded.summarizer);
    }
  });

  it('replaces a generated UNK by the most-attended source word, streamed and whole alike', () => {
    // An untrained model with a huge UNK bias in its output layer generates UNK at every step.
    const s = buildSummarizer(small, vocab.size, 1);
    const output = s.train.getLayer('output');
    const [kernel, bias] = output.getWeights();
    const biased = bias.arraySync() as number[];
    biased[Vocab.UNK] = 50;
    output.setWeights([kernel, tf.tensor1d(biased)]);
    const articles = [['zed', 'said', 'hello', 'to', 'all']];
    const streamed: string[] = [];
    // Word blocking bans UNK (see summaryDecodeLimits), so this is with it off.
    const settings = { ...DEFAULT_DECODE_SETTINGS, beamWidth: 1, noRepeatNgram: 0, noRepeatWords: false, maxLen: 4, minLen: 4 };
    const [out] = summarizeTokens(s, vocab, articles, { ...settings, onPiece: (p) => streamed.push(p) });
    expect(out.replacedUnk).toBeGreaterThan(0);
    const [blocked] = summarizeTokens(s, vocab, articles, { ...settings, noRepeatWords: true });
    expect(blocked.replacedUnk).toBe(0);
    expect(blocked.tokens).not.toContain('<unk>');
    expect(out.tokens.every((t) => articles[0].includes(t))).toBe(true);
    expect(streamed.join('')).toBe(out.text);
    disposeSummarizer(s);
  });

  it('noRepeatWords: no content word twice in greedy, beam, sampled and shared-step summaries; stop words may repeat', () => {
    // An untrained model biased to say "hello" (a content word) first, then "the" (a stop word).
    const s = buildSummarizer(small, vocab.size, 1);
    const output = s.train.getLayer('output');
    const [kernel, bias] = output.getWeights();
    const biased = bias.arraySync() as number[];
    biased[vocab.idOf('hello')] = 30;
    biased[vocab.idOf('the')] = 29;
    output.setWeights([kernel, tf.tensor1d(biased)]);
    const articles = [['zed', 'said', 'hello', 'to', 'all'], ['all', 'spoke', 'to', 'zed', '.']];
    const base = { ...DEFAULT_DECODE_SETTINGS, noRepeatNgram: 0, maxLen: 5, minLen: 5 };
    const modes = [{ beamWidth: 1 }, { beamWidth: 3 }, { beamWidth: 1, sampling: { temperature: 1, rng: () => 0.5 } }];
    for (const mode of modes) {
      const free = summarizeTokens(s, vocab, articles, { ...base, ...mode, noRepeatWords: false });
      expect(free[0].tokens.filter((t) => t === 'hello').length, JSON.stringify(mode)).toBeGreaterThan(1);
      const blocked = summarizeTokens(s, vocab, articles, { ...base, ...mode, noRepeatWords: true });
      for (const out of blocked) {
        expect(repeatedContentWord(out.tokens), `${JSON.stringify(mode)}: ${out.text}`).toBeUndefined();
        expect(out.tokens).toHaveLength(5);
      }
      // "hello" once, then the stop word "the" fills the rest.
      expect(blocked[0].tokens[0]).toBe('hello');
      expect(blocked[0].tokens.filter((t) => t === 'the').length).toBeGreaterThan(1);
    }
    // Shared-step decoding (a server's batch): each row as decoded alone.
    const shared = sharedStepFunction(s, vocab, 8);
    const greedy = { ...base, beamWidth: 1, noRepeatWords: true };
    const rows = articles.map((a) => summaryRow(s, vocab, shared.extSize, a, greedy));
    const results = decodeShared(shared, rows.map((r) => r.row));
    const alone = summarizeTokens(s, vocab, articles, greedy);
    expect(results.map((r, i) => rows[i].finish(r).tokens)).toEqual(alone.map((o) => o.tokens));
    // The request field: a boolean, default on.
    expect(decodeSettings().noRepeatWords).toBe(true);
    expect(decodeSettings(summarizeInputSchema.parse({ text: 'a b', decode: { noRepeatWords: false } }).decode).noRepeatWords).toBe(false);
    expect(summarizeInputSchema.safeParse({ text: 'a b', decode: { noRepeatWords: 'yes' } }).success).toBe(false);
    disposeSummarizer(s);
  });

  it('predictBatch gives each input what predict gives it (greedy inputs in one batched pass)', async () => {
    await withPredictor(async (p) => {
      const inputs = [
        { text: article, decode: { strategy: 'greedy' as const } },
        exampleInput,
        { text: 'Hello to all, said name3.', decode: { strategy: 'greedy' as const }, attention: true },
        { text: article, decode: { beamWidth: 2 } },
        { text: 'The others said hello.', decode: { strategy: 'greedy' as const } },
      ];
      const batched = await p.predictBatch!(inputs);
      const single = await Promise.all(inputs.map((x) => p.predict(x)));
      expect(batched.map((o) => o.tokens)).toEqual(single.map((o) => o.tokens));
      batched.forEach((o, i) => expect(o.score).toBeCloseTo(single[i].score, 3));
      expect(batched[2].sourceTokens).toEqual(single[2].sourceTokens);
      await expect(p.predictBatch!([exampleInput, { text: '' }])).rejects.toThrow('input[1]: field "text"');
    });
  });

  it('without a strategy, the other fields imply it: beam by default, greedy with beamWidth 1, sampling with a temperature', () => {
    expect(describeDecoding(decodeSettings())).toBe('beam 4');
    expect(describeDecoding(decodeSettings({ beamWidth: 6 }))).toBe('beam 6');
    expect(describeDecoding(decodeSettings({ beamWidth: 1 }))).toBe('greedy');
    expect(describeDecoding(decodeSettings({ temperature: 0.7 }))).toBe('sampled');
    expect(decodeSettings({ topK: 5 }).sampling).toMatchObject({ temperature: 1, topK: 5 });
    expect(describeDecoding(decodeSettings({ strategy: 'greedy' }))).toBe('greedy');
  });

  it('predict --attention-svg: fromText asks for the attention, after() writes the heatmap', async () => {
    const ctx = commandContext({ quiet: true });
    const svg = path.join(dir, 'attention.svg');
    const flags = { strategy: 'greedy', lengthPenalty: 1, maxLen: 6, minLen: 1, ngramBlock: 3, attentionSvg: svg };
    const input = await summarizeApp.predict.fromText(article, flags, ctx);
    expect(input).toEqual({ text: article, decode: { strategy: 'greedy', lengthPenalty: 1, maxLen: 6, minLen: 1, noRepeatNgram: 3 }, attention: true });
    const out: SummarizeOutput = await withPredictor((p) => p.predict(input));
    await summarizeApp.predict.after!(out, flags, ctx);
    if (out.tokens.length > 0) expect(readFileSync(svg, 'utf8')).toContain('<svg');
    else expect(existsSync(svg)).toBe(false);
    // --input-json without "attention": true has nothing to draw.
    const plain = await withPredictor((p) => p.predict({ text: article }));
    await expect(Promise.resolve(summarizeApp.predict.after!(plain, flags, ctx))).rejects.toThrow('--attention-svg: the output has no attention weights');
    expect(() => summarizeApp.predict.fromText(article, { strategy: 'beam', temperature: 0.5 }, ctx)).toThrow('--temperature: only sampling uses it');
  });

  it('predicting allocates nothing that outlives it, and dispose frees the weights', async () => {
    const before = tf.memory().numTensors;
    const predictor = summarizePredictor(await loadSummarizeModel(dir));
    const loaded = tf.memory().numTensors;
    await predictor.predict(exampleInput);
    await predictor.predict({ text: article, decode: { beamWidth: 3 }, attention: true });
    expect(tf.memory().numTensors).toBe(loaded);
    predictor.dispose();
    // Building a model keeps one tfjs-internal tensor per build (two builds per load), not the weights.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
  });
});
