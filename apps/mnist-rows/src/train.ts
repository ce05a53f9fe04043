import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  accuracy,
  fingerprintFiles,
  saveModelDir,
  setSeed,
  sparseCategoricalCrossentropy,
  train,
  type TrainConfig,
  type TrainContext,
  type TrainResult,
  type TrainedRun,
} from '@rnnkit/core';
import type { MnistConfig } from './config.js';
import { loadSplits, resolveFiles, type SplitConfig, type Splits } from './data.js';
import { CLASS_NAMES } from './datasets.js';
import { evaluateAndWrite, predictClasses, type Evaluation } from './evaluate.js';
import { imageBatchSource } from './images.js';
import { DEFAULT_MODEL, buildModel, type MnistExtras, type ModelConfig } from './model.js';

/**
 * Trains the classifier with core's trainer (seeded shuffling, gradient clipping, early stopping on validation
 * accuracy with the best weights restored, checkpoints, JSONL metrics), saves it with everything `evaluate` and
 * `predict` need to rebuild the same test split and read images the same way, then evaluates it on the test split.
 */

/** Batch size of the validation pass (independent of the training batch size). */
const VAL_BATCH = 256;

/**
 * Builds the model (seeded first, so the initial weights are part of the reproducible run) and trains it on
 * `splits` with core's `train()`. Early stopping, when `settings` asks for it, watches validation accuracy
 * (`val_acc`, higher is better), which `validate` adds to every epoch log.
 */
export async function fitClassifier(
  splits: Splits,
  modelCfg: ModelConfig,
  settings: Omit<TrainConfig, 'validate'>,
): Promise<{ model: tf.LayersModel; result: TrainResult }> {
  if (settings.seed !== undefined) setSeed(settings.seed);
  const model = buildModel(modelCfg);
  const result = await train(
    model,
    {
      train: imageBatchSource(splits.train, modelCfg.mode, settings.batchSize ?? 64, true),
      val: imageBatchSource(splits.val, modelCfg.mode, VAL_BATCH, false),
    },
    (yTrue, yPred, weights) => sparseCategoricalCrossentropy(yTrue, yPred, weights),
    {
      ...settings,
      earlyStopping: settings.earlyStopping && { ...settings.earlyStopping, monitor: 'val_acc', mode: 'max' },
      validate: async (m) => ({ val_acc: accuracy(splits.val.labels, predictClasses(m, splits.val, modelCfg.mode)) }),
    },
  );
  return { model, result };
}

export interface MnistRun extends TrainedRun {
  model: tf.LayersModel;
  splits: Splits;
  extras: MnistExtras;
  /** The test-split evaluation (absent when training was interrupted). */
  evaluation?: Evaluation;
}

export async function trainMnist(cfg: MnistConfig, ctx: TrainContext<MnistConfig>): Promise<MnistRun> {
  // Phase 1: data. --data is the folder of IDX files; without it $RNNKIT_DATA_DIR/<dataset>, the cache, a download.
  const split: SplitConfig = {
    valFraction: cfg.valFraction,
    testFraction: cfg.testFraction,
    splitSeed: cfg.splitSeed,
    ...(cfg.maxTrain !== undefined ? { maxTrain: cfg.maxTrain } : {}),
  };
  const resolved = await resolveFiles({ dataset: cfg.dataset, dir: cfg.data, download: cfg.download });
  const splits = loadSplits(resolved, split);
  ctx.info(splits.description);

  // Phase 2: model.
  const modelCfg: ModelConfig = {
    ...DEFAULT_MODEL,
    mode: cfg.mode,
    rows: splits.train.rows,
    cols: splits.train.cols,
    cell: cfg.cell,
    units: cfg.units,
    bidirectional: cfg.bidirectional,
    dropout: cfg.dropout,
  };
  const classNames = CLASS_NAMES[cfg.dataset];
  const extras: MnistExtras = {
    model: modelCfg,
    dataset: cfg.dataset,
    classNames: [...classNames],
    split,
    trainedOnTestSet: splits.trainedOnTestSet,
    dataDescription: splits.description,
    data: path.dirname(resolved.files.testImages!),
  };

  // Phase 3: training.
  const started = Date.now();
  const { model, result } = await fitClassifier(splits, modelCfg, {
    ...ctx.trainSettings(extras),
    // The extras name the folder, not its content: resuming on other IDX files is refused by their fingerprint.
    dataFingerprint: fingerprintFiles(Object.values(resolved.files).filter((f) => f !== undefined).sort()),
    lossChart: { path: path.join(ctx.runDir, 'loss.svg'), title: 'Cross-entropy per epoch' },
  });
  await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  ctx.info(
    `training stopped (${result.stopReason}) after ${result.history.length} epochs, ${minutes} min; ` +
      `best epoch ${result.bestEpoch} (${result.monitor} ${result.best?.toFixed(4)}); model saved to ${ctx.modelDir}`,
  );
  const run: MnistRun = { modelDir: ctx.modelDir, result, model, splits, extras };
  if (result.interrupted) {
    ctx.info('interrupted: continue with the same command plus --resume');
    return run;
  }

  // Phase 4: the test split. The table is train's result (stdout), kept off stdout under --json.
  const { evaluation, text } = await evaluateAndWrite(model, splits.test, {
    mode: modelCfg.mode,
    classNames,
    outDir: ctx.runDir,
    dataDescription: splits.description,
  });
  if (ctx.json) ctx.info(text);
  else ctx.out(text);
  if (splits.trainedOnTestSet) {
    ctx.info('note: no training images: trained on part of the official test set, tested on the disjoint rest (see the first line)');
  }
  return { ...run, evaluation };
}
