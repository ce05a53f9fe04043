import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  accuracy,
  saveModelDir,
  setSeed,
  sparseCategoricalCrossentropy,
  train,
  type TrainCallbacks,
  type TrainResult,
} from '@rnnkit/core';
import type { DatasetName, SplitConfig, Splits } from './data.js';
import { predictClasses } from './evaluate.js';
import { imageBatchSource } from './images.js';
import { buildModel, type ModelConfig } from './model.js';

/**
 * Trains the classifier with core's trainer (seeded shuffling, gradient clipping, early stopping on validation
 * accuracy with the best weights restored, checkpoints, JSONL metrics) and saves it with everything `evaluate`
 * and `predict` need to rebuild the same test split and read images the same way.
 */

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Global gradient-norm clipping; 0 = off. */
  clipNorm: number;
  /** Epochs without a better validation accuracy before stopping; 0 = off. */
  patience: number;
  seed: number;
  /** Run directory: model/, checkpoints/, metrics.jsonl, loss.svg. */
  outDir: string;
  resume?: boolean;
  maxStepsPerEpoch?: number;
  /** Wall-clock budget; the epoch running when it is exceeded ends early and the run stops. */
  maxSeconds?: number;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  callbacks?: TrainCallbacks;
}

export const DEFAULT_TRAIN: Omit<TrainOptions, 'outDir'> = {
  epochs: 10,
  batchSize: 64,
  learningRate: 2e-3,
  clipNorm: 1,
  patience: 3,
  seed: 1,
};

/** Saved in the model directory's rnnkit.json; `evaluate` rebuilds the identical test split from it. */
export interface SavedRunInfo {
  model: ModelConfig;
  dataset: DatasetName;
  classNames: readonly string[];
  split: SplitConfig;
  trainedOnTestSet: boolean;
  dataDescription: string;
}

export function modelDirOf(outDir: string): string {
  return path.join(outDir, 'model');
}

export async function trainClassifier(
  splits: Splits,
  modelCfg: ModelConfig,
  opts: TrainOptions,
  info: Omit<SavedRunInfo, 'model' | 'trainedOnTestSet' | 'dataDescription'>,
): Promise<{ model: tf.LayersModel; result: TrainResult; saved: SavedRunInfo }> {
  await mkdir(opts.outDir, { recursive: true });
  // Seeding before building makes the initial weights part of the reproducible run, not only the shuffling.
  setSeed(opts.seed);
  const model = buildModel(modelCfg);
  const saved: SavedRunInfo = {
    ...info,
    model: modelCfg,
    trainedOnTestSet: splits.trainedOnTestSet,
    dataDescription: splits.description,
  };
  const result = await train(
    model,
    {
      train: imageBatchSource(splits.train, modelCfg.mode, opts.batchSize, true),
      val: imageBatchSource(splits.val, modelCfg.mode, 256, false),
    },
    (yTrue, yPred, weights) => sparseCategoricalCrossentropy(yTrue, yPred, weights),
    {
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      clipNorm: opts.clipNorm > 0 ? opts.clipNorm : undefined,
      earlyStopping: opts.patience > 0 ? { patience: opts.patience, monitor: 'val_acc', mode: 'max' } : undefined,
      checkpointDir: path.join(opts.outDir, 'checkpoints'),
      checkpointExtras: { ...saved },
      resume: opts.resume,
      metricsLog: path.join(opts.outDir, 'metrics.jsonl'),
      lossChart: { path: path.join(opts.outDir, 'loss.svg'), title: 'Cross-entropy per epoch' },
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      maxSeconds: opts.maxSeconds,
      progress: opts.progress,
      callbacks: opts.callbacks,
      validate: async (m) => ({ val_acc: accuracy(splits.val.labels, predictClasses(m, splits.val, modelCfg.mode)) }),
    },
  );
  await saveModelDir(modelDirOf(opts.outDir), model, { ...saved });
  return { model, result, saved };
}
