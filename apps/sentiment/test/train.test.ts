import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { commandContext, initBackend, runTraining, setSeed } from '@rnnkit/core';
import { buildClassifier, sentimentApp, sentimentConfigSchema, setAccuracy, type SentimentRun } from '../src/index.js';
import { tempDir, writeChnSentiCorpCsv, writeSst2Folder } from './fixtures.js';

const dir = tempDir('train');
const sst = writeSst2Folder(join(dir, 'sst2'), 600, 120, 5);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = { cell: 'gru', units: [8], embedDim: 8, attentionUnits: 4, batchSize: 16, epochs: 2, lr: 1e-2, dropout: 0.1 } as const;

async function trainOn(out: string, over: Record<string, unknown>): Promise<SentimentRun> {
  const config = sentimentConfigSchema.parse({ data: sst, out: join(dir, out), ...TINY, ...over });
  return (await runTraining(sentimentApp, config, false, commandContext({ quiet: true, out: () => undefined }))) as SentimentRun;
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('training', () => {
  let run: SentimentRun;
  beforeAll(async () => {
    run = await trainOn('a', { seed: 3 });
  });

  it('learns the synthetic task, which the untrained model does not; writes the evaluation files', () => {
    expect(run.evaluation!.model.accuracy).toBeGreaterThan(0.9);
    setSeed(3);
    const untrained = buildClassifier(run.modelConfig);
    expect(setAccuracy(untrained, run.data.test.encoded)).toBeLessThan(0.8);
    untrained.dispose();
    expect(run.evaluation!.baselines.map((b) => b.name)).toContain('logistic regression');
    for (const f of ['evaluation.json', 'confusion.svg', 'attention.html', 'metrics.jsonl', 'loss.svg', join('model', 'weights.bin')]) {
      expect(existsSync(join(dir, 'a', f)), f).toBe(true);
    }
    expect(run.result.history.at(-1)?.val_acc).toBeGreaterThan(0.9);
    expect(run.result.monitor).toBe('val_acc');
  });

  it('--seed reproduces the run: same seed, same weights; another seed, other weights', async () => {
    const again = await trainOn('b', { seed: 3 });
    const other = await trainOn('c', { seed: 4 });
    const flat = (r: SentimentRun) => tf.tidy(() => tf.concat(r.model.getWeights().map((w) => w.flatten())).dataSync());
    expect(Array.from(flat(again))).toEqual(Array.from(flat(run)));
    expect(Array.from(flat(other))).not.toEqual(Array.from(flat(run)));
    again.model.dispose();
    other.model.dispose();
  });

  it('evaluate on the saved model rebuilds the same test part: the same model and baseline figures as training printed', async () => {
    type Report = { model: { accuracy: number }; baselines: { name: string; accuracy: number }[] };
    const ctx = commandContext({ quiet: true });
    const { report } = await sentimentApp.evaluate.run(join(dir, 'a', 'model'), { out: join(dir, 'eval') }, ctx);
    expect((report as Report).model.accuracy).toBe(run.evaluation!.model.accuracy);
    expect((report as Report).baselines.map((b) => [b.name, b.accuracy])).toEqual(run.evaluation!.baselines.map((b) => [b.name, b.accuracy]));
    expect(existsSync(join(dir, 'eval', 'evaluation.json'))).toBe(true);
    const { report: without } = await sentimentApp.evaluate.run(join(dir, 'a', 'model'), { out: join(dir, 'eval'), baselines: false }, ctx);
    expect((without as Report).baselines).toEqual([]);
  });

  it('--sentence-repeat adds copies of the full sentences to every epoch (SST-2 only)', async () => {
    // The fixture's rows are all full sentences (no phrases), so 2 doubles the epoch.
    const repeated = await trainOn('rep', { seed: 3, epochs: 1, sentenceRepeat: 2, baselines: false });
    expect(repeated.result.history[0].steps).toBe(Math.ceil((2 * run.data.train.rows.length) / TINY.batchSize));
    expect(run.result.history[0].steps).toBe(Math.ceil(run.data.train.rows.length / TINY.batchSize));
    repeated.model.dispose();
    const csv = writeChnSentiCorpCsv(join(dir, 'htl-rep'), 100);
    await expect(trainOn('zh-rep', { dataset: 'chnsenticorp', data: csv, sentenceRepeat: 2 })).rejects.toThrow(/--sentence-repeat 2: applies to sst2 only/);
  });

  it('keeps the tensor count flat across evaluation passes', () => {
    setAccuracy(run.model, run.data.val.encoded);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) setAccuracy(run.model, run.data.val.encoded);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains a last-state LSTM on Chinese characters (ChnSentiCorp format)', async () => {
    const csv = writeChnSentiCorpCsv(join(dir, 'htl'), 400);
    const zh = await trainOn('zh', { dataset: 'chnsenticorp', data: csv, cell: 'lstm', pooling: 'last', bidirectional: false, seed: 1, epochs: 3 });
    expect(zh.extras.language).toBe('zh');
    expect(zh.data.test.rows.length).toBe(40);
    expect(zh.evaluation!.model.accuracy).toBeGreaterThan(0.9);
    expect(existsSync(join(dir, 'zh', 'attention.html'))).toBe(false);
    zh.model.dispose();
  });
});

describe('training without a validation part (--val-fraction 0, SST-2)', () => {
  it('trains on every training row for exactly --epochs epochs (patience has nothing to watch) and keeps the last weights', async () => {
    const run = await trainOn('noval', { seed: 3, valFraction: 0, epochs: 3, patience: 1 });
    expect(run.data.val.rows).toEqual([]);
    expect(run.data.splits.description).toMatch(/no validation part \(--val-fraction 0\)/);
    // The fixture's rows are all full sentences: with validation (default 10%) some of them leave training.
    const withVal = await trainOn('withval', { seed: 3, epochs: 1, baselines: false });
    expect(run.data.train.rows.length).toBeGreaterThan(withVal.data.train.rows.length);
    expect(run.data.train.rows.length).toBe(withVal.data.train.rows.length + withVal.data.val.rows.length);
    withVal.model.dispose();
    expect(run.result.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(run.result.history.every((h) => h.val_acc === undefined && h.val_loss === undefined)).toBe(true);
    expect(run.evaluation!.model.accuracy).toBeGreaterThan(0.9);
    expect(run.evaluation!.validationAccuracy).toBeUndefined();
    const lr = run.evaluation!.baselines.find((b) => b.name === 'logistic regression')!;
    expect(lr.description).toMatch(/epoch 10 of 10 \(the last: no validation part\)/);
    expect(lr.accuracy).toBeGreaterThan(0.9);
    const csv = writeChnSentiCorpCsv(join(dir, 'htl-noval'), 100);
    await expect(trainOn('zh-noval', { dataset: 'chnsenticorp', data: csv, valFraction: 0 })).rejects.toThrow(/--val-fraction 0: applies to sst2 only/);

    // Ensembles of such models: the plain mean (no validation rows to fit on), not stack or select.
    const other = await trainOn('noval2', { seed: 4, valFraction: 0, epochs: 2, baselines: false });
    other.model.dispose();
    const ctx = commandContext({ quiet: true });
    type Report = { model: { accuracy: number }; validationAccuracy?: number; ensemble?: { members: { validationAccuracy?: number; testAccuracy: number }[] } };
    const { report, text } = await sentimentApp.evaluate.run(join(dir, 'noval', 'model'), { out: join(dir, 'noval-ens'), baselines: false, ensemble: [join(dir, 'noval2', 'model')], ensembleLr: true }, ctx);
    const r = report as Report;
    expect(r.ensemble!.members).toHaveLength(3);
    expect(r.ensemble!.members.every((m) => m.validationAccuracy === undefined && m.testAccuracy > 0.5)).toBe(true);
    expect(r.validationAccuracy).toBeUndefined();
    expect(r.model.accuracy).toBeGreaterThan(0.9);
    expect(text).toMatch(/—/);
    await expect(sentimentApp.evaluate.run(join(dir, 'noval', 'model'), { out: join(dir, 'noval-ens'), baselines: false, ensemble: [join(dir, 'noval2', 'model')], ensembleCombine: 'stack' }, ctx))
      .rejects.toThrow(/--ensemble-combine stack: is fitted on the validation part, and this split has none/);
    run.model.dispose();
  });
});

describe('training with sub-word features and weight averaging', () => {
  it('learns the synthetic task, records the settings, and evaluate reads the test part with the same n-grams', async () => {
    const run = await trainOn('sub', { seed: 3, subwordBuckets: 128, emaDecay: 0.9 });
    expect(run.modelConfig.subwords).toEqual({ buckets: 128, minN: 3, maxN: 5, maxPerWord: 32 });
    expect(run.evaluation!.model.accuracy).toBeGreaterThan(0.9);
    const ctx = commandContext({ quiet: true });
    const { report } = await sentimentApp.evaluate.run(join(dir, 'sub', 'model'), { out: join(dir, 'sub-eval'), baselines: false }, ctx);
    expect((report as { model: { accuracy: number } }).model.accuracy).toBe(run.evaluation!.model.accuracy);
    run.model.dispose();
    const csv = writeChnSentiCorpCsv(join(dir, 'htl-sub'), 100);
    await expect(trainOn('zh-sub', { dataset: 'chnsenticorp', data: csv, subwordBuckets: 64 })).rejects.toThrow(/--subword-buckets 64: character n-grams of words apply to English/);
  });
});

describe('training with --sparse-embedding-updates (row-wise Adam on the embedding tables)', () => {
  it('learns the synthetic task; n-gram rows no training word reads keep their initial values; refused with --l2', async () => {
    // No weight averaging here: the average of an unchanged row can differ from it in the last bit (core tests the average).
    const run = await trainOn('sparse', { seed: 4, subwordBuckets: 4096, sparseEmbeddingUpdates: true });
    expect(run.evaluation!.model.accuracy).toBeGreaterThan(0.9);
    // The rows the training words hash to (word dropout is off, so these are all the rows any batch read).
    const { tokens, hasher } = run.data.train.encoded.subwords!;
    const read = new Set<number>([0]);
    for (const text of tokens) for (const word of text) for (const id of hasher.ids(word)) read.add(id);
    setSeed(4);
    const untrained = buildClassifier(run.modelConfig);
    const table = (m: tf.LayersModel) => m.getLayer('subword_embedding').getWeights()[0].arraySync() as number[][];
    const before = table(untrained);
    const after = table(run.model);
    const changed = after.map((row, i) => row.some((x, k) => x !== before[i][k]));
    expect(read.size).toBeLessThan(4097 / 2);
    changed.forEach((c, i) => expect(c, `row ${i}`).toBe(read.has(i) && i !== 0));
    // The same run with dense Adam moves the rows a batch skips by their momentum: other weights.
    const dense = await trainOn('dense', { seed: 4, subwordBuckets: 4096 });
    expect(table(dense.model)).not.toEqual(after);
    untrained.dispose();
    run.model.dispose();
    dense.model.dispose();
    await expect(trainOn('sparse-l2', { sparseEmbeddingUpdates: true, l2: 1e-4 })).rejects.toThrow(/--sparse-embedding-updates and --l2 0.0001 do not mix/);
  });
});
