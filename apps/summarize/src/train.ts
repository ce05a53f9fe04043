import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  arrayBatchSource, fingerprintFiles, forkRng, padSequences, saveModelDir, setSeed, train, type BatchSource, type TrainConfig, type TrainContext, type TrainedRun,
  type TextEncoding, type TrainResult, type Vocab,
} from '@rnnkit/core';
import type { SummarizeConfig } from './config.js';
import {
  DEFAULT_DATA_CONFIG, DEFAULT_MAX_SRC_LEN, describeData, encodeExample, prepareData, resolveNewsData,
  type DataConfig, type EncodedExample, type Example, type PreparedData,
} from './data/index.js';
import { buildSummarizer, type ModelConfig, type Summarizer } from './model.js';
import { pointerForwardLoss } from './pointer.js';
import type { SummarizeExtras } from './predictor.js';

/** Training the pointer-generator with core's train(): the app's train command, and the training loop under it. */

/** Each batch is padded to its own longest source and target: [src, tgtIn, srcExt], tgtOut, target mask. */
export function pairBatchSource(examples: EncodedExample[], batchSize: number, opts: { shuffle: boolean; seed: number; maxBatches?: number }): BatchSource {
  const source = arrayBatchSource({
    size: examples.length,
    batchSize,
    shuffle: opts.shuffle,
    seed: opts.seed,
    makeBatch: (idx) => {
      const rows = Array.from(idx, (i) => examples[i]);
      const src = padSequences(rows.map((r) => r.src));
      const srcExt = padSequences(rows.map((r) => r.srcExt));
      const tgtIn = padSequences(rows.map((r) => r.tgtIn));
      const tgtOut = padSequences(rows.map((r) => r.tgtOut));
      const b = rows.length;
      return {
        xs: [
          tf.tensor2d(src.ids, [b, src.maxLen], 'int32'),
          tf.tensor2d(tgtIn.ids, [b, tgtIn.maxLen], 'int32'),
          tf.tensor2d(srcExt.ids, [b, srcExt.maxLen], 'int32'),
        ],
        ys: tf.tensor2d(tgtOut.ids, [b, tgtOut.maxLen], 'int32'),
        weights: tf.tensor2d(tgtOut.mask, [b, tgtOut.maxLen]),
        size: b,
      };
    },
  });
  if (opts.maxBatches === undefined) return source;
  const cap = Math.min(opts.maxBatches, source.numBatches());
  return {
    numBatches: () => cap,
    *batches(epoch: number) {
      // Stop pulling before batch cap+1: batches are built (tensors allocated) when pulled.
      const it = source.batches(epoch)[Symbol.iterator]();
      for (let n = 0; n < cap; n++) {
        const next = it.next();
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

/** How to train: core's TrainConfig (epochs, learning rate, checkpoints, ...) plus the batching the app does itself. */
export type SummarizerTrainSettings = Omit<TrainConfig, 'batchSize' | 'seed'> & {
  batchSize: number;
  /** Seeds the weight initialization, the shuffling and core's PRNG. */
  seed: number;
  /** Validation batches per epoch (a cap keeps short runs short); default all. */
  maxValBatches?: number;
};

export interface TrainOutcome {
  summarizer: Summarizer;
  result: TrainResult;
}

/**
 * Builds a pointer-generator for `vocab` and trains it on the splits with core's train(). Early stopping needs a
 * validation split: without one it is dropped.
 */
export async function trainSummarizer(
  splits: { train: Example[]; val: Example[] },
  vocab: Vocab,
  modelCfg: ModelConfig,
  settings: SummarizerTrainSettings,
): Promise<TrainOutcome> {
  const { maxValBatches, earlyStopping, ...trainConfig } = settings;
  const summarizer = buildSummarizer(modelCfg, vocab.size, settings.seed);
  const encode = (rows: Example[]) => rows.map((e) => encodeExample(e, vocab));
  const data = {
    train: pairBatchSource(encode(splits.train), settings.batchSize, { shuffle: true, seed: settings.seed }),
    ...(splits.val.length > 0
      ? { val: pairBatchSource(encode(splits.val), settings.batchSize, { shuffle: false, seed: settings.seed, maxBatches: maxValBatches }) }
      : {}),
  };
  const result = await train(summarizer.train, data, pointerForwardLoss, { ...trainConfig, ...(earlyStopping && data.val ? { earlyStopping } : {}) });
  return { summarizer, result };
}

/** The data settings of a training config (the task decides --max-src-len when it is not given). */
export function dataConfigOf(cfg: Pick<SummarizeConfig, 'task' | 'maxSrcLen' | 'maxTgtLen' | 'minCount' | 'maxVocab'>): DataConfig {
  return {
    ...DEFAULT_DATA_CONFIG,
    task: cfg.task,
    maxSrcLen: cfg.maxSrcLen ?? DEFAULT_MAX_SRC_LEN[cfg.task],
    maxTgtLen: cfg.maxTgtLen,
    minCount: cfg.minCount,
    maxVocab: cfg.maxVocab,
  };
}

/**
 * Reads, splits and encodes the pairs (the split and vocabulary depend on `seed`, as in training). Columns default
 * to the task's Inshorts columns.
 */
export async function loadSummarizeData(
  opts: { data?: string; sourceColumn?: string; targetColumn?: string; encoding?: TextEncoding; seed: number },
  cfg: DataConfig,
  info: (line: string) => void,
): Promise<PreparedData> {
  const file = await resolveNewsData(opts.data);
  setSeed(opts.seed);
  const data = prepareData(file, cfg, forkRng(), { sourceColumn: opts.sourceColumn, targetColumn: opts.targetColumn, encoding: opts.encoding });
  info(describeData(data, cfg));
  return data;
}

export interface SummarizeRun extends TrainedRun {
  summarizer: Summarizer;
  data: PreparedData;
  extras: SummarizeExtras;
}

/** The train command: data → model → core's train() → the model directory. */
export async function trainSummarize(cfg: SummarizeConfig, ctx: TrainContext<SummarizeConfig>): Promise<SummarizeRun> {
  // Phase 1: data. The vocabulary and data settings are recorded with the model; resuming on other data is refused.
  const dataCfg = dataConfigOf(cfg);
  const data = await loadSummarizeData(cfg, dataCfg, ctx.info);

  // Phase 2 and 3: the model (seeded initialization) and its training, with checkpoints in the run directory.
  const model: ModelConfig = { embedDim: cfg.embedDim, units: cfg.units[0], cell: cfg.cell, attention: cfg.attention, dropout: cfg.dropout };
  const extras: SummarizeExtras = { model, dataConfig: dataCfg, vocab: data.vocab.toJSON(), data: data.report.file };
  const t0 = Date.now();
  const { summarizer, result } = await trainSummarizer(data.splits, data.vocab, model, {
    ...ctx.trainSettings(extras),
    // The vocabulary catches most other data; the same words in other records need the file's fingerprint.
    dataFingerprint: fingerprintFiles([data.report.file]),
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    maxValBatches: cfg.maxValBatches,
    lossChart: { path: path.join(ctx.runDir, 'loss.svg'), title: 'Pointer-generator training loss (NLL per target token)' },
  });
  ctx.info(`training ${result.stopReason} after ${result.history.length} epoch(s) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
    `best ${result.monitor} ${result.best?.toFixed(4)} at epoch ${result.bestEpoch}; loss curve ${path.join(ctx.runDir, 'loss.svg')}`);

  // Phase 4: the final model (the best epoch's weights when early stopping ran); none when no epoch finished.
  if (result.history.length > 0) await saveModelDir(ctx.modelDir, summarizer.train, ctx.modelRecord(extras, result));
  return { modelDir: ctx.modelDir, result, summarizer, data, extras };
}

