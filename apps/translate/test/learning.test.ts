import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { commandContext, disposeSeq2Seq, initBackend, runTraining, seededRng, shuffledIndices, teacherForcedNll } from '@rnnkit/core';
import { app, buildTranslationModel, configSchema, loadTranslator, type TranslateRun } from '../src/index.js';

/**
 * Learning on the real Tatoeba pairs with a small budget. The yardstick is the model's own validation NLL with each
 * sentence's English swapped for another sentence's: a decoder that only learned which characters are common (a
 * language model) scores both the same, so a clear gap means the translation uses the English. The untrained model
 * shows no gap.
 */

const dir = mkdtempSync(join(tmpdir(), 'translate-learn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend({ quiet: true });
});

const perToken = ({ nll, tokens }: { nll: number; tokens: number }) => nll / tokens;

describe.skipIf(!process.env.RNNKIT_DATA_DIR)('translate on Tatoeba (small budget)', () => {
  it('learns to use the English: validation NLL with the right sources well below that with swapped sources', async () => {
    const config = configSchema.parse({
      out: join(dir, 'run'), maxTrainPairs: 3000, epochs: 3, units: 48, embedDim: 48, batchSize: 32, lr: 1e-2, lrDecay: 1, dropout: 0, labelSmoothing: 0,
      maxSrcLen: 6, maxTgtLen: 12, patience: 0, seed: 3,
    });
    const run = (await runTraining(app, config, false, commandContext({ quiet: true }))) as TranslateRun;
    const val = run.dataset.val.filter((p) => p.src.length <= 6).slice(0, 300);
    const src = val.map((p) => p.srcIds);
    const tgt = val.map((p) => p.tgtIds);
    const swapped = Array.from(shuffledIndices(src.length, seededRng(9)), (i) => src[i]);
    const gap = (model: tf.LayersModel) => perToken(teacherForcedNll(model, swapped, tgt)) - perToken(teacherForcedNll(model, src, tgt));

    const translator = await loadTranslator(run.modelDir);
    const untrained = buildTranslationModel(translator.model, translator.srcVocab.size, translator.tgtVocab.size, 5);
    try {
      const before = tf.memory().numTensors;
      const trainedGap = gap(translator.models.train);
      const untrainedGap = gap(untrained.train);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`validation NLL gap (swapped − right English), nats/char: trained ${trainedGap.toFixed(3)}, untrained ${untrainedGap.toFixed(3)}`);
      expect(Math.abs(untrainedGap)).toBeLessThan(0.05);
      expect(trainedGap).toBeGreaterThan(0.3);
      // And it answers: one English sentence in, Chinese characters out, through the saved model.
      const out = translator.translate('I love you.', { beamWidth: 3 });
      expect(out.tokens.length).toBeGreaterThan(0);
      expect(out.alternatives.length).toBeGreaterThan(0);
    } finally {
      translator.dispose();
      disposeSeq2Seq(untrained);
    }
  }, 900_000);
});
