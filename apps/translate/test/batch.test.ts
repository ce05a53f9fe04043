import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext, initBackend, runTraining } from '@rnnkit/core';
import { app, configSchema, loadTranslator, translatePredictor, type TranslateRun, type Translator } from '../src/index.js';

/**
 * A server's micro-batch (`translateMany`, the predictor's runBatch): sentences of different lengths and decoding
 * settings decoded together get what each gets alone: the same characters and n-best lists, scores and attention
 * within float rounding (a batched matrix product sums in another order).
 */

const dir = mkdtempSync(join(tmpdir(), 'translate-batch-'));
let translator: Translator;

afterAll(() => {
  translator?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!process.env.RNNKIT_DATA_DIR)('translateMany', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', quiet: true });
    const config = configSchema.parse({
      out: join(dir, 'run'), maxTrainPairs: 400, epochs: 1, units: 16, embedDim: 16, batchSize: 32, lr: 1e-2, dropout: 0,
      maxSrcLen: 8, maxTgtLen: 12, patience: 0, seed: 5,
    });
    const run = (await runTraining(app, config, false, commandContext({ quiet: true }))) as TranslateRun;
    translator = await loadTranslator(run.modelDir);
  }, 600_000);

  const requests = [
    { text: 'I love you.', decode: { beamWidth: 3, maxLen: 8 } },
    { text: 'Tom is reading a very long book in the garden today.', decode: { strategy: 'greedy' as const, maxLen: 8 } },
    { text: 'Go.', decode: { beamWidth: 3, maxLen: 8 } },
    { text: 'Where is the station?', decode: { strategy: 'greedy' as const, maxLen: 8 } },
    { text: 'Zebras xylophone.', decode: { beamWidth: 2, maxLen: 8 } },
  ];

  it('gives each sentence of a mixed batch what it gets alone', () => {
    const before = tf.memory().numTensors;
    const many = translator.translateMany(requests, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(many).toHaveLength(requests.length);
    requests.forEach((r, i) => {
      const alone = translator.translate(r.text, r.decode);
      const got = many[i];
      expect(got.text, r.text).toBe(alone.text);
      expect(got.alternatives.map((a) => a.text)).toEqual(alone.alternatives.map((a) => a.text));
      expect(Math.abs(got.score - alone.score)).toBeLessThan(1e-4);
      expect(got.unknown).toEqual(alone.unknown);
      expect(got.sourceTokens).toEqual(alone.sourceTokens);
      expect(got.attention.length).toBe(alone.attention.length);
      got.attention.forEach((row, t) => {
        expect(row).toHaveLength(alone.sourceTokens.length);
        row.forEach((w, k) => expect(Math.abs(w - alone.attention[t][k])).toBeLessThan(1e-5));
      });
    });
    // Every sentence got its own answer (rows not mixed up).
    expect(new Set(many.map((t) => t.score.toFixed(6))).size).toBe(requests.length);
    // Beam requests bring their n-best lists, greedy ones none.
    expect(many[0].alternatives.length).toBeGreaterThan(0);
    expect(many[1].alternatives).toHaveLength(0);
  });

  it('is the predictor runBatch, in input order, with the outputs of predict', async () => {
    const predictor = translatePredictor(translator);
    const inputs = requests.map((r) => predictor.parse!({ ...r, attention: true }));
    const batched = await predictor.runBatch!(inputs);
    for (const [i, input] of inputs.entries()) {
      const alone = await predictor.predict(input);
      expect(batched[i].translation).toBe(alone.translation);
      expect(batched[i].nBest?.map((h) => h.translation)).toEqual(alone.nBest?.map((h) => h.translation));
      expect(batched[i].attention?.sourceTokens).toEqual(alone.attention?.sourceTokens);
    }
  });
});
