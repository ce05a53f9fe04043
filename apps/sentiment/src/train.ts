import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  DEFAULT_SUBWORDS, RnnkitError, SubwordHasher, Vocab, accuracy, argmaxRows, fingerprintFiles, lrDecaySchedule, saveModelDir, setSeed, sparseCategoricalCrossentropy, train,
  type Batch, type SubwordSettings, type TextEncoding, type TrainContext, type TrainedRun,
} from '@rnnkit/core';
import type { TokenizedPart } from './baselines/index.js';
import type { SentimentConfig } from './config.js';
import { loadSplits, resolveDataFiles, type DataFiles, type SplitSettings, type Splits } from './data.js';
import { DATASET_INFO, DEFAULT_MAX_LEN, type DatasetName } from './datasets.js';
import { applyPretrained, readGloveVectors } from './embeddings.js';
import { buildVocab, encodeSet, repeatExamples, textBatchSource, type EncodedSet, type VocabSettings } from './encode.js';
import { evaluateAndWrite, type EvaluationReport } from './evaluate.js';
import type { SentimentExtras } from './extras.js';
import type { LabeledText } from './formats.js';
import { SUBWORD_LAYER, buildClassifier, type ModelConfig } from './model.js';
import { sentimentModelFrom } from './predictor.js';
import { predictProbs } from './probs.js';
import { tokenizerFor } from './tokenize.js';

/**
 * Training: the data (splits, tokens, the training part's vocabulary), the classifier built after seeding, core's
 * trainer (length-bucketed batches, gradient clipping, early stopping on validation accuracy with the best weights
 * restored, checkpoints, JSONL metrics), the saved model, then the test part next to the baselines.
 */

const POOLING_NAMES: Record<SentimentConfig['pooling'], (units: number) => string> = {
  attention: (units) => `attention pooling (${units})`,
  last: () => 'last state',
  concat: (units) => `attention pooling (${units}) + max + mean`,
};

/** Batch size of evaluation passes (independent of the training batch size). */
const EVAL_BATCH = 256;

export interface PreparedPart {
  rows: LabeledText[];
  tokens: string[][];
  encoded: EncodedSet;
}

export interface PreparedData {
  files: DataFiles;
  splits: Splits;
  vocab: Vocab;
  maxLen: number;
  train: PreparedPart;
  val: PreparedPart;
  test: PreparedPart;
}

/** The sub-word settings of a run (--subword-buckets 0: none); words only, so English only. */
export function subwordSettingsOf(cfg: Pick<SentimentConfig, 'dataset' | 'subwordBuckets' | 'subwordMinN' | 'subwordMaxN'>): SubwordSettings | undefined {
  if (cfg.subwordBuckets === 0) return undefined;
  if (DATASET_INFO[cfg.dataset].language !== 'en') {
    throw new RnnkitError(`--subword-buckets ${cfg.subwordBuckets}: character n-grams of words apply to English (sst2); ${cfg.dataset} is read one character per token`);
  }
  if (cfg.subwordMaxN < cfg.subwordMinN) throw new RnnkitError(`--subword-max-n ${cfg.subwordMaxN} is below --subword-min-n ${cfg.subwordMinN}`);
  return { ...DEFAULT_SUBWORDS, buckets: cfg.subwordBuckets, minN: cfg.subwordMinN, maxN: cfg.subwordMaxN };
}

/**
 * --sparse-embedding-updates: the embedding tables and the ids a batch reads from them (the tokens, and the n-gram
 * ids of a sub-word model), for core's row-wise Adam.
 */
export function embeddingRowsOf(model: tf.LayersModel): (batch: Batch) => Array<{ variable: string; ids: tf.Tensor }> {
  const words = model.getLayer('embedding').trainableWeights[0].name;
  const subwords = model.layers.find((l) => l.name === SUBWORD_LAYER)?.trainableWeights[0].name;
  return (batch) => {
    const xs = Array.isArray(batch.xs) ? batch.xs : [batch.xs];
    return subwords === undefined ? [{ variable: words, ids: xs[0] }] : [{ variable: words, ids: xs[0] }, { variable: subwords, ids: xs[1] }];
  };
}

export function splitSettingsOf(cfg: Pick<SentimentConfig, 'valFraction' | 'splitSeed' | 'maxTrain'>): SplitSettings {
  return { valFraction: cfg.valFraction, splitSeed: cfg.splitSeed, ...(cfg.maxTrain !== undefined ? { maxTrain: cfg.maxTrain } : {}) };
}

/**
 * Reads and splits the data and tokenizes every part; the vocabulary is the given one (a saved model's) or built
 * from the training part with the given settings.
 */
export function prepareData(
  dataset: DatasetName,
  data: string | undefined,
  split: SplitSettings,
  opts: { maxLen?: number; vocab: Vocab | VocabSettings; encoding?: TextEncoding; subwords?: SubwordSettings },
): PreparedData {
  const files = { ...resolveDataFiles(dataset, data), ...(opts.encoding ? { encoding: opts.encoding } : {}) };
  const splits = loadSplits(files, split);
  const tokenize = tokenizerFor(DATASET_INFO[dataset].language);
  const maxLen = opts.maxLen ?? DEFAULT_MAX_LEN[dataset];
  const tokensOf = (rows: LabeledText[]) => rows.map((r) => tokenize(r.text));
  const trainTokens = tokensOf(splits.train);
  const vocab = opts.vocab instanceof Vocab ? opts.vocab : buildVocab(trainTokens, opts.vocab);
  const hasher = opts.subwords && new SubwordHasher(opts.subwords);
  const part = (rows: LabeledText[], tokens: string[][]): PreparedPart => ({ rows, tokens, encoded: encodeSet(rows, tokens, vocab, maxLen, hasher) });
  return {
    files,
    splits,
    vocab,
    maxLen,
    train: part(splits.train, trainTokens),
    val: part(splits.val, tokensOf(splits.val)),
    test: part(splits.test, tokensOf(splits.test)),
  };
}

/** The parts as the baselines take them. */
export function baselineParts(data: Pick<PreparedData, 'train' | 'val' | 'test'>): { train: TokenizedPart; val: TokenizedPart; test: TokenizedPart } {
  const p = (x: PreparedPart) => ({ tokens: x.tokens, labels: x.encoded.labels });
  return { train: p(data.train), val: p(data.val), test: p(data.test) };
}

/** Fraction of `set` the model classifies correctly. */
export function setAccuracy(model: tf.LayersModel, set: EncodedSet): number {
  const k = model.outputs[0].shape[1] as number;
  return accuracy(set.labels, argmaxRows(predictProbs(model, set), k));
}

export interface SentimentRun extends TrainedRun {
  model: tf.LayersModel;
  modelConfig: ModelConfig;
  data: PreparedData;
  extras: SentimentExtras;
  /** The test-part evaluation (absent when training was interrupted). */
  evaluation?: EvaluationReport;
}

export async function trainSentiment(cfg: SentimentConfig, ctx: TrainContext<SentimentConfig>): Promise<SentimentRun> {
  // Phase 1: data. The vocabulary comes from the training part only.
  const info = DATASET_INFO[cfg.dataset];
  const split = splitSettingsOf(cfg);
  if (cfg.sentenceRepeat > 1 && cfg.dataset !== 'sst2') {
    throw new RnnkitError(`--sentence-repeat ${cfg.sentenceRepeat}: applies to sst2 only (every ${cfg.dataset} row is a whole review)`);
  }
  if (cfg.valFraction === 0 && cfg.dataset !== 'sst2') {
    throw new RnnkitError(`--val-fraction 0: applies to sst2 only (${cfg.dataset} is split 80/10/10 whatever --val-fraction says)`);
  }
  if (cfg.sparseEmbeddingUpdates && cfg.l2 > 0) {
    throw new RnnkitError(`--sparse-embedding-updates and --l2 ${cfg.l2} do not mix: the L2 penalty has a gradient on every row of the embedding tables`);
  }
  const subwords = subwordSettingsOf(cfg);
  const data = prepareData(cfg.dataset, cfg.data, split, {
    maxLen: cfg.maxLen, vocab: { minCount: cfg.minCount, maxVocab: cfg.maxVocab }, encoding: cfg.encoding, ...(subwords ? { subwords } : {}),
  });
  ctx.info(data.splits.description);
  let trainSet = data.train.encoded;
  if (cfg.sentenceRepeat > 1 && data.splits.trainIsSentence) {
    trainSet = repeatExamples(trainSet, data.splits.trainIsSentence, cfg.sentenceRepeat);
    ctx.info(`--sentence-repeat ${cfg.sentenceRepeat}: ${trainSet.ids.length - data.train.encoded.ids.length} copies of full sentences added, ${trainSet.ids.length} training examples per epoch`);
  }

  // Phase 2: the model, built after seeding so that its initial weights are part of the reproducible run.
  const modelConfig: ModelConfig = {
    vocabSize: data.vocab.size,
    embedDim: cfg.embedDim,
    cell: cfg.cell,
    units: cfg.units,
    bidirectional: cfg.bidirectional,
    pooling: cfg.pooling,
    attentionUnits: cfg.attentionUnits,
    dropout: cfg.dropout,
    numClasses: info.classNames.length,
    maxLen: data.maxLen,
    ...(subwords ? { subwords } : {}),
  };
  // Read before the model is built, so that a bad file fails before any allocation.
  const pretrained = cfg.embeddings && !ctx.resume ? await readGloveVectors(cfg.embeddings, data.vocab, cfg.embedDim) : undefined;
  setSeed(cfg.seed);
  const model = buildClassifier(modelConfig);
  if (pretrained) {
    applyPretrained(model, pretrained);
    ctx.info(`embeddings: pretrained vectors for ${pretrained.vectors.size} of ${data.vocab.size} vocabulary entries from ${cfg.embeddings}`);
  }
  const extras: SentimentExtras = {
    model: modelConfig,
    dataset: cfg.dataset,
    language: info.language,
    classNames: [...info.classNames],
    vocab: data.vocab.toJSON(),
    split,
    data: data.files.train,
    dataDescription: data.splits.description,
  };
  const direction = cfg.bidirectional ? 'bidirectional ' : '';
  const subwordNote = subwords ? ` + character ${subwords.minN}-${subwords.maxN}-grams (${subwords.buckets} hash buckets)` : '';
  ctx.info(`model: embedding ${cfg.embedDim} (vocabulary ${data.vocab.size})${subwordNote} → ${direction}${cfg.cell} ${cfg.units.join(',')} → ` +
    `${POOLING_NAMES[cfg.pooling](cfg.attentionUnits)} → dense ${modelConfig.numClasses}; ` +
    `${model.countParams()} parameters`);

  // Phase 3: training. --patience watches validation accuracy, which `validate` adds to every epoch's log. Without a
  // validation part (--val-fraction 0) nothing can pick an epoch: every epoch runs and the last weights (their
  // average under --ema-decay) are kept, so --epochs is the stopping rule.
  const settings = ctx.trainSettings(extras);
  const hasVal = data.val.encoded.ids.length > 0;
  if (!hasVal) ctx.info(`no validation part: training runs all ${cfg.epochs} epochs (--patience has nothing to watch) and keeps the last epoch's weights`);
  const result = await train(
    model,
    {
      train: textBatchSource(trainSet, { batchSize: cfg.batchSize, shuffle: true, seed: cfg.seed, wordDropout: cfg.wordDropout }),
      ...(hasVal ? { val: textBatchSource(data.val.encoded, { batchSize: EVAL_BATCH, shuffle: false, seed: cfg.seed }) } : {}),
    },
    (yTrue, yPred, weights) => sparseCategoricalCrossentropy(yTrue, yPred, weights, { labelSmoothing: cfg.labelSmoothing }),
    {
      ...settings,
      ...(cfg.l2 > 0 ? { l2: cfg.l2 } : {}),
      ...(cfg.sparseEmbeddingUpdates ? { sparseRows: embeddingRowsOf(model) } : {}),
      // A resumed run must see the same bytes: the vocabulary alone misses reordered or relabelled rows.
      dataFingerprint: fingerprintFiles(data.files.test ? [data.files.train, data.files.test] : [data.files.train]),
      earlyStopping: hasVal && settings.earlyStopping ? { ...settings.earlyStopping, monitor: 'val_acc', mode: 'max' } : undefined,
      ...lrDecaySchedule(cfg.lrDecay),
      ...(hasVal ? { validate: async (m: tf.LayersModel) => ({ val_acc: setAccuracy(m, data.val.encoded) }) } : {}),
      lossChart: { path: path.join(ctx.runDir, 'loss.svg'), title: 'Cross-entropy per epoch' },
    },
  );
  const run: SentimentRun = { modelDir: ctx.modelDir, result, model, modelConfig, data, extras };
  if (result.interrupted) {
    ctx.info('interrupted: continue with the same command plus --resume');
    return { ...run, saved: false };
  }
  await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
  ctx.info(`training stopped (${result.stopReason}) after ${result.history.length} epochs; best epoch ${result.bestEpoch} ` +
    `(${result.monitor} ${result.best?.toFixed(4)})`);

  // Phase 4: the test part, next to the baselines. The table is train's result (stdout), kept off stdout under --json.
  const loaded = sentimentModelFrom({ dir: ctx.modelDir, model, extras });
  const { report, text } = await evaluateAndWrite({
    loaded,
    test: data.test,
    ...(hasVal ? { val: data.val } : {}),
    baselineParts: cfg.baselines ? baselineParts(data) : undefined,
    testName: info.testName,
    dataDescription: data.splits.description,
    outDir: ctx.runDir,
    // The baselines' own seed (logistic regression's order) is the split's, so `evaluate` refits them identically.
    seed: cfg.splitSeed,
  });
  if (ctx.json) ctx.info(text);
  else ctx.out(text);
  const summary = {
    test: { name: info.testName, accuracy: report.model.accuracy, macroF1: report.model.macroF1 },
    baselines: report.baselines.map((b) => ({ name: b.name, accuracy: b.accuracy, macroF1: b.macroF1 })),
  };
  return { ...run, evaluation: report, report: summary };
}
