import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  accuracy, argmaxRows, fingerprintFiles, saveModelDir, seededRng, setSeed, shuffledIndices, sparseCategoricalCrossentropy, train,
  type CommandContext, type TrainConfig, type TrainContext, type TrainResult, type TrainedRun,
} from '@rnnkit/core';
import { bucketedBatches } from './batches.js';
import type { AppConfig } from './config.js';
import { DIGITS, extractAll, fitNormalization, listRecordings, recordingsDir, splitExamples, type Example, type Recording, type SplitSpec } from './dataset.js';
import { evaluateAndWrite, type EvaluationReport } from './evaluate.js';
import { DEFAULT_FEATURES, featureDim, normalize, type FeatureConfig, type FeatureMatrix, type Normalization } from './features.js';
import { buildModel, predictProbs, type Extras, type ModelConfig } from './model.js';

export interface Prepared {
  dir: string;
  features: FeatureConfig;
  recs: Recording[];
  /** Features already extracted, by file (the folds of leave-one-speaker-out share them). */
  cache: Map<string, FeatureMatrix>;
}

export function featureConfigOf(cfg: Pick<AppConfig, 'numCeps' | 'numMel' | 'maxFrames'>): FeatureConfig {
  return { ...DEFAULT_FEATURES, numCeps: cfg.numCeps, numMel: cfg.numMel, maxFrames: cfg.maxFrames };
}

/** Lists the recordings; features are extracted when a split asks for them (a sampled split reads only its files). */
export async function prepareData(data: string | undefined, features: FeatureConfig): Promise<Prepared> {
  const dir = await recordingsDir(data);
  return { dir, features, recs: listRecordings(dir), cache: new Map() };
}

/** The recordings with their features (extracted once per file, resampled when a file has another rate). */
export function examplesOf(prepared: Prepared, recs: readonly Recording[], ctx?: Pick<CommandContext, 'info'>): Example[] {
  const todo = recs.filter((r) => !prepared.cache.has(r.file));
  if (todo.length > 0) {
    const t0 = Date.now();
    extractAll(todo, prepared.features, (done) => ctx?.info(`features: ${done}/${todo.length} recordings`))
      .forEach((e) => prepared.cache.set(e.rec.file, e.features));
    ctx?.info(`features: ${todo.length} recordings from ${prepared.dir} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return recs.map((rec) => ({ rec, features: prepared.cache.get(rec.file)! }));
}

export const splitNameOf = (spec: SplitSpec) => (spec.kind === 'official' ? 'official split (index 0-4 test)' : `speaker ${spec.speaker} held out`);

export const splitSpecOf = (cfg: Pick<AppConfig, 'testSpeaker'>): SplitSpec =>
  cfg.testSpeaker ? { kind: 'speaker', speaker: cfg.testSpeaker } : { kind: 'official' };

/** Up to `max` examples, the same number per digit (as far as each has them), picked by `seed`. */
export function stratifiedSample<T extends { rec: { digit: number } }>(items: readonly T[], max: number, seed: number): T[] {
  if (items.length <= max) return [...items];
  const r = seededRng(seed);
  const byDigit = DIGITS.map((_, d) => items.filter((e) => e.rec.digit === d));
  const order = byDigit.map((list) => Array.from(shuffledIndices(list.length, r), (i) => list[i]));
  const out: T[] = [];
  for (let k = 0; out.length < max; k++) {
    for (const list of order) if (k < list.length && out.length < max) out.push(list[k]);
  }
  return out;
}

/** Holds out `fraction` of each digit's training examples for validation (seeded). */
export function holdOut<T extends { rec: { digit: number } }>(items: readonly T[], fraction: number, seed: number): { fit: T[]; val: T[] } {
  const r = seededRng(seed);
  const fit: T[] = [];
  const val: T[] = [];
  DIGITS.forEach((_, d) => {
    const list = items.filter((e) => e.rec.digit === d);
    const order = shuffledIndices(list.length, r);
    const nVal = Math.round(list.length * fraction);
    order.forEach((i, k) => (k < nVal ? val : fit).push(list[i]));
  });
  return { fit, val };
}

export interface Parts {
  fit: Example[];
  val: Example[];
  test: Example[];
  normalization: Normalization;
  /** Normalized features of each part. */
  x: { fit: FeatureMatrix[]; val: FeatureMatrix[]; test: FeatureMatrix[] };
}

/**
 * The split's train part (sampled, minus validation) and test part, with features extracted for those files only,
 * normalized with statistics of the fit part.
 */
export function makeParts(prepared: Prepared, spec: SplitSpec, cfg: Pick<AppConfig, 'valFraction' | 'splitSeed' | 'maxTrain'>, ctx?: Pick<CommandContext, 'info'>): Parts {
  const { train: trainAll, test: testRecs } = splitExamples(prepared.recs.map((rec) => ({ rec })), spec);
  const sampled = cfg.maxTrain ? stratifiedSample(trainAll, cfg.maxTrain, cfg.splitSeed) : trainAll;
  const held = holdOut(sampled, cfg.valFraction, cfg.splitSeed);
  const [fit, val, test] = [held.fit, held.val, testRecs].map((list) => examplesOf(prepared, list.map((e) => e.rec), ctx));
  return withNormalization({ fit, val, test }, fitNormalization(fit));
}

/** The parts normalized with `normalization` (fitted on the fit part, or a saved model's). */
export function withNormalization(parts: Pick<Parts, 'fit' | 'val' | 'test'>, normalization: Normalization): Parts {
  const norm = (list: Example[]) => list.map((e) => normalize(e.features, normalization));
  return { ...parts, normalization, x: { fit: norm(parts.fit), val: norm(parts.val), test: norm(parts.test) } };
}

export const labelsOf = (list: readonly Example[]) => Int32Array.from(list, (e) => e.rec.digit);

export function modelConfigOf(cfg: AppConfig): ModelConfig {
  return { featureDim: featureDim(featureConfigOf(cfg)), cell: cfg.cell, units: cfg.units, bidirectional: cfg.bidirectional, dropout: cfg.dropout, numClasses: DIGITS.length };
}

/** Accuracy of a model on normalized features. */
export function modelAccuracy(model: tf.LayersModel, x: readonly FeatureMatrix[], labels: Int32Array): number {
  return accuracy(labels, argmaxRows(predictProbs(model, x), DIGITS.length));
}

/** Builds (after seeding) and trains a classifier on the parts; early stopping watches validation accuracy. */
export async function fitClassifier(parts: Parts, cfg: AppConfig, settings: Omit<TrainConfig, 'validate'>): Promise<{ model: tf.LayersModel; result: TrainResult }> {
  setSeed(cfg.seed);
  const model = buildModel(modelConfigOf(cfg));
  const valLabels = labelsOf(parts.val);
  const result = await train(
    model,
    {
      train: bucketedBatches(parts.x.fit, labelsOf(parts.fit), cfg.batchSize, { shuffle: true, seed: cfg.seed }),
      val: bucketedBatches(parts.x.val, valLabels, 128, { shuffle: false, seed: cfg.seed }),
    },
    sparseCategoricalCrossentropy,
    {
      ...settings,
      earlyStopping: settings.earlyStopping && { ...settings.earlyStopping, monitor: 'val_acc', mode: 'max' },
      validate: async (m) => ({ val_acc: modelAccuracy(m, parts.x.val, valLabels) }),
    },
  );
  return { model, result };
}

export interface DigitsRun extends TrainedRun {
  model: tf.LayersModel;
  parts: Parts;
  extras: Extras;
  evaluation?: EvaluationReport;
}

export async function trainDigits(cfg: AppConfig, ctx: TrainContext<AppConfig>): Promise<DigitsRun> {
  // Phase 1: data: features of every recording, the split, normalization fitted on the training part only.
  const prepared = await prepareData(cfg.data, featureConfigOf(cfg));
  const spec = splitSpecOf(cfg);
  const parts = makeParts(prepared, spec, cfg, ctx);
  const splitName = splitNameOf(spec);
  ctx.info(`${splitName}: ${parts.fit.length} training, ${parts.val.length} validation, ${parts.test.length} test recordings`);
  const extras: Extras = {
    model: modelConfigOf(cfg), features: prepared.features, normalization: parts.normalization,
    classNames: [...DIGITS], split: spec, data: prepared.dir,
  };
  ctx.info(`model: ${cfg.bidirectional ? 'bidirectional ' : ''}${cfg.cell} ${cfg.units.join(',')} over ${extras.model.featureDim} features per 10 ms frame, masked → dense 10`);
  // Phase 2: training.
  const settings = ctx.trainSettings(extras);
  // The model's rebuild seeds it, so --seed fixes initialization, dropout and batch order.
  const { model, result } = await fitClassifier(parts, cfg, {
    ...settings,
    dataFingerprint: fingerprintFiles(parts.fit.map((e) => e.rec.file)),
    lossChart: { path: path.join(ctx.runDir, 'loss.svg'), title: 'Cross-entropy per epoch' },
  });
  const run: DigitsRun = { modelDir: ctx.modelDir, result, model, parts, extras };
  if (result.interrupted) {
    ctx.info('interrupted: continue with the same command plus --resume');
    return { ...run, saved: false };
  }
  await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
  ctx.info(`training stopped (${result.stopReason}) after ${result.history.length} epochs; best epoch ${result.bestEpoch} (val_acc ${result.best?.toFixed(4)})`);
  // Phase 3: the test part next to the baselines.
  const { report, text } = evaluateAndWrite({ model, parts, splitName, baselines: cfg.baselines, outDir: ctx.runDir, ctx });
  if (ctx.json) ctx.info(text);
  else ctx.out(text);
  return { ...run, evaluation: report, report: { test: { split: splitName, accuracy: report.model.accuracy }, baselines: report.baselines } };
}
