import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  accuracy,
  lrDecaySchedule,
  fingerprintFiles,
  imageGridPng,
  saveModelDir,
  seededRng,
  setSeed,
  sparseCategoricalCrossentropy,
  train,
  type TrainConfig,
  type TrainContext,
  type TrainResult,
  type TrainedRun,
  writeFileAtomic,
} from '@rnnkit/core';
import { augmentImage, type Augmentation } from './augment.js';
import { DEFAULT_AUGMENT, type MnistConfig } from './config.js';
import { loadSplits, resolveFiles, type SplitConfig, type Splits } from './data.js';
import { CLASS_NAMES } from './datasets.js';
import { evaluateAndWrite, predictClasses, type Evaluation } from './evaluate.js';
import { imageBatchSource, imageCount, type ImageSet } from './images.js';
import { DEFAULT_MODEL, buildModel, type MnistExtras, type ModelConfig } from './model.js';

/**
 * Trains the classifier with core's trainer (seeded shuffling, gradient clipping, early stopping on validation
 * accuracy with the best weights restored, checkpoints, JSONL metrics), saves it with everything `evaluate` and
 * `predict` need to rebuild the same test split and read images the same way, then evaluates it on the test split.
 */

/** A grid of the first 8 training images, each followed by three augmented draws of it. */
function augmentationPreviewPng(set: ImageSet, kind: Augmentation, seed: number): Uint8Array {
  const size = set.rows * set.cols;
  const rng = seededRng(`${seed}:preview`);
  const images = [];
  for (let i = 0; i < Math.min(8, imageCount(set)); i++) {
    for (let draw = 0; draw < 4; draw++) {
      const pixels = new Float32Array(size);
      augmentImage(set.pixels, i * size, set.rows, set.cols, draw === 0 ? 'off' : kind, rng, pixels, 0);
      images.push({ pixels, w: set.cols, h: set.rows, caption: draw === 0 ? 'image' : kind });
    }
  }
  return imageGridPng(images, { cols: 4 });
}

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
  augment: Augmentation = 'off',
  labelSmoothing = 0,
): Promise<{ model: tf.LayersModel; result: TrainResult }> {
  if (settings.seed !== undefined) setSeed(settings.seed);
  const model = buildModel(modelCfg);
  const result = await train(
    model,
    {
      train: imageBatchSource(splits.train, modelCfg.mode, settings.batchSize ?? 64, { shuffle: true, augment }),
      val: imageBatchSource(splits.val, modelCfg.mode, VAL_BATCH, { shuffle: false }),
    },
    (yTrue, yPred, weights) => sparseCategoricalCrossentropy(yTrue, yPred, weights, { labelSmoothing }),
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
    headDropout: cfg.headDropout,
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

  // Phase 3: training (with --augment, first a picture of what the augmentation does to a few training images).
  const augment = cfg.augment ?? DEFAULT_AUGMENT[cfg.dataset];
  if (augment !== 'off') {
    const file = path.join(ctx.runDir, 'augmented.png');
    await writeFileAtomic(file, augmentationPreviewPng(splits.train, augment, cfg.seed));
    ctx.info(`augmentation: ${augment}; examples in ${file} (each row: the image, then three random draws)`);
  }
  const started = Date.now();
  const { model, result } = await fitClassifier(splits, modelCfg, {
    ...ctx.trainSettings(extras),
    // The extras name the folder, not its content: resuming on other IDX files is refused by their fingerprint.
    dataFingerprint: fingerprintFiles(Object.values(resolved.files).filter((f) => f !== undefined).sort()),
    lossChart: { path: path.join(ctx.runDir, 'loss.svg'), title: 'Cross-entropy per epoch' },
    ...lrDecaySchedule(cfg.lrDecay),
  }, augment, cfg.labelSmoothing);
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

  // Phase 4: the test split (with --tta, also read as mirror images). The table is train's result (stdout), kept
  // off stdout under --json.
  const { evaluation, text } = await evaluateAndWrite([{ name: ctx.modelDir, model, mode: modelCfg.mode }], splits, {
    classNames,
    outDir: ctx.runDir,
    dataDescription: splits.description,
    tta: cfg.tta,
  });
  if (ctx.json) ctx.info(text);
  else ctx.out(text);
  if (splits.trainedOnTestSet) {
    ctx.info('note: no training images: trained on part of the official test set, tested on the disjoint rest (see the first line)');
  }
  return { ...run, evaluation };
}
