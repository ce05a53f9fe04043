import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { accuracy, argmaxRows, commandContext, initBackend, meanProbabilities, runTraining } from '@rnnkit/core';
import {
  loadSentimentModel, predictProbs, prepareData, sentimentApp, sentimentConfigSchema,
  type EvaluationReport,
} from '../src/index.js';
import { tempDir, writeFixture, writeSst2Folder } from './fixtures.js';

const dir = tempDir('ensemble');
const sst = writeSst2Folder(join(dir, 'sst2'), 600, 120, 5);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Barely trained (few steps, small lr), so that the members disagree and their mean is not any one of them.
const WEAK = { cell: 'gru', units: [8], embedDim: 8, attentionUnits: 4, batchSize: 16, epochs: 1, maxStepsPerEpoch: 25, lr: 5e-3, dropout: 0.1, baselines: false } as const;

async function trainOn(out: string, over: Record<string, unknown>): Promise<string> {
  const config = sentimentConfigSchema.parse({ data: sst, out: join(dir, out), ...WEAK, ...over });
  const run = await runTraining(sentimentApp, config, false, commandContext({ quiet: true, out: () => undefined }));
  (run as unknown as { model: tf.LayersModel }).model.dispose();
  return join(dir, out, 'model');
}

const evaluate = async (model: string, flags: Record<string, unknown>) =>
  (await sentimentApp.evaluate.run(model, { out: join(dir, 'eval'), baselines: false, ...flags }, commandContext({ quiet: true }))).report as EvaluationReport;

describe('evaluate --ensemble', () => {
  let models: string[];
  beforeAll(async () => {
    await initBackend({ quiet: true });
    models = [await trainOn('s1', { seed: 1, lr: 1e-2 }), await trainOn('s2', { seed: 2, lr: 1.5e-2 }), await trainOn('s3', { seed: 3, lr: 2e-2 })];
  });

  it('scores the argmax of the mean of the members\' probabilities; reports each member and the validation accuracy', async () => {
    const report = await evaluate(models[0], { ensemble: models.slice(1) });
    // The same figure computed independently: each model's probabilities on dev, averaged, argmax.
    const loaded = await Promise.all(models.map((m) => loadSentimentModel(m)));
    const data = prepareData('sst2', sst, loaded[0].extras.split, { vocab: loaded[0].vocab });
    const probs = loaded.map((l) => predictProbs(l.model, data.test.encoded));
    const expected = accuracy(data.test.encoded.labels, argmaxRows(meanProbabilities(probs), 2));
    expect(report.model.accuracy).toBe(expected);
    expect(report.ensemble!.members.map((m) => m.name)).toEqual(models);
    expect(report.ensemble!.members.map((m) => m.testAccuracy)).toEqual(probs.map((p) => accuracy(data.test.encoded.labels, argmaxRows(p, 2))));
    // Each member's figures are what evaluating it alone gives.
    const alone = await evaluate(models[1], {});
    expect(report.ensemble!.members[1]).toMatchObject({ testAccuracy: alone.model.accuracy, validationAccuracy: alone.validationAccuracy });
    expect(alone.ensemble).toBeUndefined();
    expect(report.validationAccuracy).toBeGreaterThan(0);
    for (const l of loaded) l.model.dispose();
  });

  it('--ensemble-lr adds the logistic regression baseline as a member, the same fit as the baseline table', async () => {
    const report = await evaluate(models[0], { ensembleLr: true, baselines: true });
    expect(report.ensemble!.members.map((m) => m.name)).toEqual([models[0], 'logistic regression (baseline)']);
    const lr = report.baselines.find((b) => b.name === 'logistic regression')!;
    expect(report.ensemble!.members[1].testAccuracy).toBe(lr.accuracy);
  });

  it('--ensemble-combine stack|select: weights fitted on the validation part only, the test labels move nothing but the test figures', async () => {
    // The same folder with every dev label flipped: the training file (and so the validation part) is unchanged.
    const flipped = join(dir, 'sst2-flipped');
    writeFixture(flipped, 'train.tsv', readFileSync(join(sst, 'train.tsv')));
    const dev = readFileSync(join(sst, 'dev.tsv'), 'utf8').split('\n');
    writeFixture(flipped, 'dev.tsv', [dev[0], ...dev.slice(1).map((l) => l.replace(/\t([01])$/, (_, y) => `\t${1 - Number(y)}`))].join('\n'));
    for (const [ensembleCombine, extra] of [['stack', { ensembleL2: '0.01' }], ['select', { ensembleRounds: '10' }]] as const) {
      const flags = { ensemble: models.slice(1), ensembleLr: true, ensembleCombine, ...extra };
      const original = await evaluate(models[0], { ...flags, data: sst });
      const relabelled = await evaluate(models[0], { ...flags, data: flipped });
      expect(original.ensemble!.fitted.name).toBe(ensembleCombine);
      expect(relabelled.ensemble!.members.map((m) => m.weight)).toEqual(original.ensemble!.members.map((m) => m.weight));
      expect(relabelled.ensemble!.fitted.bias).toEqual(original.ensemble!.fitted.bias);
      expect(relabelled.validationAccuracy).toBe(original.validationAccuracy);
      expect(relabelled.model.accuracy).toBeCloseTo(1 - original.model.accuracy, 10);
    }
    // Unpenalized, the weights differ from equal ones (they were fitted), and mean stays the default.
    const stacked = await evaluate(models[0], { ensemble: models.slice(1), ensembleCombine: 'stack', ensembleL2: '0' });
    const weights = stacked.ensemble!.members.map((m) => m.weight);
    expect(Math.max(...weights) - Math.min(...weights)).toBeGreaterThan(1e-3);
    const plain = await evaluate(models[0], { ensemble: models.slice(1) });
    expect(plain.ensemble!.fitted.name).toBe('mean');
    expect(plain.ensemble!.members.map((m) => m.weight)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('refuses a combination without members and tuning flags of another combination', async () => {
    await expect(evaluate(models[0], { ensembleCombine: 'stack' })).rejects.toThrow('--ensemble-combine stack needs ensemble members');
    await expect(evaluate(models[0], { ensemble: models.slice(1), ensembleCombine: 'vote' })).rejects.toThrow('--ensemble-combine vote: expected one of mean, stack, select');
    await expect(evaluate(models[0], { ensemble: models.slice(1), ensembleL2: '1' })).rejects.toThrow('--ensemble-l2 applies to --ensemble-combine stack only');
    await expect(evaluate(models[0], { ensemble: models.slice(1), ensembleCombine: 'select', ensembleSelectMetric: 'f1' })).rejects.toThrow(/--ensemble-select-metric f1/);
  });

  it('refuses a member trained on another split, naming it; keeps the tensor count flat', async () => {
    const other = await trainOn('split', { seed: 1, splitSeed: 7 });
    await expect(evaluate(models[0], { ensemble: [other] })).rejects.toThrow(`--ensemble ${other}: split.splitSeed 7 differs from --model`);
    const before = tf.memory().numTensors;
    await evaluate(models[0], { ensemble: models.slice(1) });
    await expect(evaluate(models[0], { ensemble: [models[1], other] })).rejects.toThrow(/split\.splitSeed/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
