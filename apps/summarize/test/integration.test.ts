import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, setSeed, forkRng } from '@rnnkit/core';
import {
  buildSummarizer, encodeExample, evaluate, pairBatchSource, pointerForwardLoss, prepareData, readPairs, resolveNewsData,
  trainSummarizer, DEFAULT_DATA_CONFIG, DEFAULT_DECODE_SETTINGS, type DataConfig, type Summarizer,
} from '../src/index.js';

/**
 * End to end on the real Inshorts data (headline task) with a small, step-budgeted model: train, then beam search
 * and ROUGE on test rows. The learning threshold is on validation loss against the same model untrained.
 */

const dataDir = process.env.RNNKIT_DATA_DIR;
if (!dataDir) throw new Error('set RNNKIT_DATA_DIR to the datasets folder (e.g. /work/shared/datasets) to run the integration test');

const SEED = 7;
const cfg: DataConfig = { ...DEFAULT_DATA_CONFIG, task: 'headline', maxSrcLen: 40, maxTgtLen: 14, maxVocab: 5000 };
const modelCfg = { embedDim: 64, units: 64, cell: 'gru' as const, attention: 'bahdanau' as const, dropout: 0 };
const EPOCHS = 2;
const STEPS_PER_EPOCH = 75;
const VAL_BATCHES = 4;

let file: string;
beforeAll(async () => {
  await initBackend();
  file = await resolveNewsData(undefined);
});

describe('real data', () => {
  it('decodes the cp1252 file: "Beyoncé" survives and nothing turns into U+FFFD', () => {
    const { pairs, report } = readPairs(file, { sourceColumn: 'text', targetColumn: 'headlines' });
    expect(report.encoding).toBe('windows-1252');
    expect(report.records).toBe(4514);
    expect(pairs.some((p) => p.target.includes('Beyoncé') || p.source.includes('Beyoncé'))).toBe(true);
    expect(pairs.some((p) => p.source.includes('\uFFFD') || p.target.includes('\uFFFD'))).toBe(false);
    const articles = readPairs(file, { sourceColumn: 'ctext', targetColumn: 'text' });
    expect(articles.report.skippedEmpty).toEqual({ ctext: 118 });
  });

  it('trains, lowers validation loss well below the untrained model, and beam-searches non-empty headlines', async () => {
    setSeed(SEED);
    const data = prepareData(file, cfg, forkRng());
    const val = pairBatchSource(data.splits.val.map((e) => encodeExample(e, data.vocab)), 32, { shuffle: false, seed: SEED, maxBatches: VAL_BATCHES });
    const valLoss = (s: Summarizer) => {
      let sum = 0;
      let n = 0;
      for (const batch of val.batches(0)) {
        sum += tf.tidy(() => pointerForwardLoss.forward(s.train, batch, false).dataSync()[0]) * batch.size;
        n += batch.size;
        tf.dispose([batch.xs, batch.ys, batch.weights as tf.Tensor]);
      }
      return sum / n;
    };
    const untrained = valLoss(buildSummarizer(modelCfg, data.vocab.size, SEED));

    const { summarizer, result } = await trainSummarizer(data.splits, data.vocab, modelCfg, {
      epochs: EPOCHS, batchSize: 32, learningRate: 3e-3, clipNorm: 2, maxStepsPerEpoch: STEPS_PER_EPOCH, maxValBatches: VAL_BATCHES,
      seed: SEED, progress: 'none',
    });
    expect(result.history.map((h) => h.steps)).toEqual([STEPS_PER_EPOCH, STEPS_PER_EPOCH]);
    const trained = valLoss(summarizer);
    expect(trained).toBeCloseTo(result.history[EPOCHS - 1].val_loss as number, 4);
    expect(trained).toBeLessThan(untrained - 1.0);

    const rows = data.splits.test.slice(0, 20);
    const report = evaluate(rows, { trainSources: data.splits.train.map((e) => e.source) },
      { summarizer, vocab: data.vocab, settings: { ...DEFAULT_DECODE_SETTINGS, beamWidth: 3, maxLen: 14 } });
    const model = report.systems[0];
    expect(model.name).toBe('model (beam 3)');
    expect(report.samples.length).toBeGreaterThan(0);
    expect(report.outputs).toHaveLength(rows.length);
    expect(report.outputs?.every((o) => o.trim() !== '')).toBe(true);
    for (const s of report.systems) {
      for (const v of Object.values(s.scores)) expect(v >= 0 && v <= 1).toBe(true);
    }
    console.log(`untrained val loss ${untrained.toFixed(3)}, trained ${trained.toFixed(3)}`);
    console.log(report.systems.map((s) => `${s.name}: R1 ${s.scores.rouge1.toFixed(3)} R2 ${s.scores.rouge2.toFixed(3)} RL ${s.scores.rougeL.toFixed(3)}`).join('\n'));
  }, 1_500_000); // the budget is EPOCHS × STEPS_PER_EPOCH; this only guards against a hang (a shared, loaded machine is many times slower)
});
