import * as tf from '@tensorflow/tfjs';
import { accuracy, rng, saveModelDir, setSeed, sparseCategoricalCrossentropy, train, type TrainContext, type TrainedRun } from '@rnnkit/core';
import type { AppConfig } from './config.js';
import { makeSumSignDataset, toBatchSource, type SequenceDataset } from './data.js';
import { buildModel, extrasSchema, type ModelConfig } from './model.js';

export interface TrainedApp extends TrainedRun {
  model: tf.LayersModel;
  config: ModelConfig;
  test: SequenceDataset;
}

/** Test examples are generated after the training ones from the same seed, so `evaluate` can rebuild them. */
export function makeSplits(cfg: AppConfig) {
  setSeed(cfg.seed);
  const data = makeSumSignDataset(cfg.examples, cfg.timesteps, rng());
  const val = makeSumSignDataset(Math.ceil(cfg.examples / 5), cfg.timesteps, rng());
  const test = makeSumSignDataset(Math.ceil(cfg.examples / 5), cfg.timesteps, rng());
  return { data, val, test };
}

export async function trainApp(cfg: AppConfig, ctx: TrainContext<AppConfig>): Promise<TrainedApp> {
  // Phase 1: data. Phase 2: the model (built after seeding, so initialization is reproducible).
  const { data, val, test } = makeSplits(cfg);
  const config: ModelConfig = { timesteps: cfg.timesteps, cell: cfg.cell, units: cfg.units };
  const model = buildModel(config);
  // Phase 3: training; ctx.trainSettings gives the common settings, checkpoints, metrics log and records.
  const extras = { model: config };
  const result = await train(
    model,
    { train: toBatchSource(data, cfg.batchSize, true), val: toBatchSource(val, 256, false) },
    sparseCategoricalCrossentropy,
    { ...ctx.trainSettings(extras), lossChart: { path: `${ctx.runDir}/loss.svg` } },
  );
  // Phase 4: the final model, with what it is and how it was trained.
  await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
  return { model, config, result, test, modelDir: ctx.modelDir };
}

/** Fraction of `data` the model classifies correctly. */
export function evaluateAccuracy(model: tf.LayersModel, data: SequenceDataset): number {
  const predicted = tf.tidy(() => {
    const probs = model.predict(tf.tensor3d(data.xs, [data.size, data.timesteps, 1])) as tf.Tensor;
    return probs.argMax(-1).dataSync();
  });
  return accuracy(Array.from(data.ys), Array.from(predicted));
}
