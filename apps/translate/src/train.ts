import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  bucketedBatchSource, disposeSeq2Seq, lrDecaySchedule, fingerprintFiles, formatTrainResult, saveModelDir, seededRng, setSeed, shuffledIndices, sparseCategoricalCrossentropy,
  teacherForcingBatch, train, type BatchSource, type TrainCallbacks, type TrainContext, type TrainedRun,
} from '@rnnkit/core';
import { dataConfigOf, modelConfigOf, type AppConfig } from './config.js';
import { buildDataset, describeDataset, describeSkipped, readTatoeba, resolveCorpusPath, type EncodedPair, type TranslationDataset } from './data/index.js';
import type { TranslateExtras } from './extras.js';
import { buildTranslationModel } from './model.js';

/** Trains the English → Chinese Seq2Seq with core's train() and saves it as `<run dir>/model`. */

export interface TranslateRun extends TrainedRun {
  dataset: TranslationDataset;
}

/**
 * Teacher-forcing batches of pairs of similar length (core's bucketedBatchSource): sorted by Chinese length, then
 * English length. Random batches were padded to their longest pair, about twice the mean length, and the decoder,
 * the attention and the softmax over every Chinese character ran over all of that padding.
 */
export function pairBatchSource(pairs: readonly EncodedPair[], batchSize: number, shuffle: boolean, seed?: number): BatchSource {
  const srcSpan = pairs.reduce((m, p) => Math.max(m, p.srcIds.length), 0) + 1;
  return bucketedBatchSource({
    lengths: pairs.map((p) => p.tgtIds.length + p.srcIds.length / srcSpan), batchSize, shuffle, seed,
    makeBatch: (idx) => {
      const chosen = Array.from(idx, (i) => pairs[i]);
      return teacherForcingBatch(chosen.map((p) => p.srcIds), chosen.map((p) => p.tgtIds));
    },
  });
}

/** A seeded sample of `n` pairs (the corpus is sorted by length, so its first pairs would all be the shortest). */
export function samplePairs<T>(pairs: readonly T[], n: number | undefined, seed: number): T[] {
  if (n === undefined || n >= pairs.length) return [...pairs];
  return Array.from(shuffledIndices(pairs.length, seededRng(seed)).subarray(0, n), (i) => pairs[i]);
}

/** The dataset a config describes, with the corpus path and what was skipped reported through `info`. */
export async function loadDataset(cfg: AppConfig, info: (line: string) => void): Promise<{ file: string; dataset: TranslationDataset }> {
  const file = await resolveCorpusPath(cfg.data);
  const corpus = readTatoeba(file);
  const skipped = describeSkipped(corpus);
  if (skipped) info(`${file}: ${skipped}`);
  const dataset = buildDataset(corpus, dataConfigOf(cfg));
  return { file, dataset };
}

export interface TranslateTrainHooks {
  callbacks?: TrainCallbacks;
}

export async function trainTranslate(cfg: AppConfig, ctx: TrainContext<AppConfig>, hooks: TranslateTrainHooks = {}): Promise<TranslateRun> {
  // Phase 1: data (vocabularies from the training split only).
  const { file, dataset } = await loadDataset(cfg, ctx.info);
  ctx.info(describeDataset(dataset));
  const trainPairs = samplePairs(dataset.train, cfg.maxTrainPairs, cfg.seed);
  if (trainPairs.length < dataset.train.length) ctx.info(`training on a seeded sample of ${trainPairs.length} pairs (--max-train-pairs)`);

  // Phase 2: the model, seeded so that initialization is reproducible too.
  const modelConfig = modelConfigOf(cfg);
  setSeed(cfg.seed);
  const models = buildTranslationModel(modelConfig, dataset.srcVocab.size, dataset.tgtVocab.size, cfg.seed);
  ctx.info(
    `model: embeddings ${modelConfig.embedDim} → bidirectional ${modelConfig.cell.toUpperCase()} ${modelConfig.units}×2 → ` +
      `${modelConfig.cell.toUpperCase()} decoder ${2 * modelConfig.units} + ${modelConfig.attention} attention → softmax ` +
      `${dataset.tgtVocab.size}; ${models.train.countParams()} parameters`,
  );

  // Phase 3: training; the extras go into checkpoints too, so checkpoints/best loads as a complete translator.
  const extras: TranslateExtras = {
    data: file, text: dataConfigOf(cfg), model: modelConfig, srcVocab: dataset.srcVocab.toJSON(), tgtVocab: dataset.tgtVocab.toJSON(),
  };
  try {
    const settings = ctx.trainSettings(extras);
    const lossChart = join(ctx.runDir, 'loss.svg');
    const result = await train(
      models.train,
      {
        train: pairBatchSource(trainPairs, cfg.batchSize, true, cfg.seed),
        val: dataset.val.length > 0 ? pairBatchSource(dataset.val, 128, false) : undefined,
      },
      (yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor) =>
        sparseCategoricalCrossentropy(yTrue, yPred, weights, { labelSmoothing: cfg.labelSmoothing }),
      {
        ...settings,
        ...lrDecaySchedule(cfg.lrDecay),
        dataFingerprint: fingerprintFiles([file]),
        earlyStopping: dataset.val.length > 0 ? settings.earlyStopping : undefined,
        lossChart: { path: lossChart, title: `translate: cross-entropy per Chinese character (label smoothing ${cfg.labelSmoothing})`, yLabel: 'loss (nats)' },
        callbacks: hooks.callbacks,
      },
    );
    ctx.info(formatTrainResult(result, lossChart));
    await saveModelDir(ctx.modelDir, models.train, ctx.modelRecord(extras, result));
    return { result, modelDir: ctx.modelDir, dataset };
  } finally {
    disposeSeq2Seq(models);
  }
}
