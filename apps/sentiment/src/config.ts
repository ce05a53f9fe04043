import { cellSchema, embeddingSizeSchema, layerSizeSchema, lrDecaySchema, textEncodingSchema, trainingConfigSchema } from '@rnnkit/core';
import { z } from 'zod';
import { DATASETS } from './datasets.js';
import { POOLINGS } from './model.js';

/**
 * sentiment's training config: core's common fields plus the dataset, split, vocabulary and model. `--patience`
 * counts epochs without a better validation accuracy (val_acc), not val_loss: see train.ts.
 */
export const sentimentConfigSchema = trainingConfigSchema(
  {
    out: 'runs/sentiment', epochs: 8, batchSize: 64, lr: 2e-3, clipNorm: 5, patience: 2, seed: 1,
    dataHelp: 'sst2: folder with train.tsv and dev.tsv (or the training TSV); chnsenticorp: the CSV or its folder ' +
      '(default $RNNKIT_DATA_DIR/sentiment/<dataset folder>; nothing is downloaded)',
  },
  {
    dataset: z.enum(DATASETS).default('sst2').describe('sst2 (English movie reviews) or chnsenticorp (Chinese hotel reviews)'),
    valFraction: z.number().min(0).max(0.5).default(0.1)
      .describe("sst2: part of train.tsv's full sentences held out for validation, their phrases left out of training (0: none, every row trains for exactly --epochs epochs); chnsenticorp is split 80/10/10"),
    splitSeed: z.number().int().default(2024).describe('seed of the train/validation(/test) split, kept apart from --seed'),
    encoding: textEncodingSchema,
    maxTrain: z.number().int().min(10).optional().describe('train on a stratified sample of at most this many examples'),
    maxLen: z.number().int().min(1).max(10_000).optional()
      .describe('tokens read per text, longer ones cut (default: 64 for sst2 words, 256 for chnsenticorp characters)'),
    minCount: z.number().int().min(1).max(1_000_000).default(2).describe('vocabulary: tokens seen at least this often in the training part (others are <unk>)'),
    maxVocab: z.number().int().min(10).max(1_000_000).default(30_000).describe('vocabulary: at most this many entries'),
    cell: cellSchema.default('lstm').describe('recurrent cell'),
    units: z.array(layerSizeSchema).min(1).max(16).default([128]).describe('units per recurrent layer, e.g. 128 or 128,128'),
    bidirectional: z.boolean().default(true).describe('read each text forwards and backwards'),
    pooling: z.enum(POOLINGS).default('attention')
      .describe('attention: weighted sum of all positions (weights shown per word); last: final state; concat: attention, max and mean side by side'),
    attentionUnits: layerSizeSchema.default(64).describe('hidden size of the attention scorer'),
    embedDim: embeddingSizeSchema.default(128).describe('token embedding size'),
    embeddings: z.string().min(1).optional()
      .describe('GloVe-format text file of pretrained vectors (of --embed-dim values) to initialize the embeddings; never downloaded'),
    subwordBuckets: z.number().int().min(0).max(1 << 24).default(0)
      .describe('sst2: add to every word vector the mean of its hashed character n-gram embeddings, with this many hash buckets (0 = off)'),
    subwordMinN: z.number().int().min(1).max(20).default(3).describe('shortest character n-gram (counting the word boundary markers < and >)'),
    subwordMaxN: z.number().int().min(1).max(20).default(5).describe('longest character n-gram'),
    sparseEmbeddingUpdates: z.boolean().default(false)
      .describe("row-wise (\"lazy\") Adam for the word and sub-word embedding tables: only the rows a batch reads are updated and only their moments decay (faster with --subword-buckets; different arithmetic from dense Adam)"),
    dropout: z.number().min(0).max(0.9).default(0.4).describe('dropout on every recurrent layer input (the embeddings first) and on the pooled vector'),
    wordDropout: z.number().min(0).max(0.9).default(0).describe('training only: replace each token by <unk> with this probability'),
    lrDecay: lrDecaySchema(1),
    sentenceRepeat: z.number().int().min(1).max(10).default(1)
      .describe("sst2: each full training sentence appears this many times per epoch, its phrases once (dev and validation are full sentences)"),
    labelSmoothing: z.number().min(0).max(0.5).default(0).describe('label smoothing of the training loss (0 = plain cross-entropy)'),
    l2: z.number().min(0).max(1).default(0).describe('L2 penalty on the kernels and embeddings, added to the training loss (0 = none)'),
    baselines: z.boolean().default(true).describe('also fit and score the baselines (majority, AFINN for English, naive Bayes, logistic regression)'),
  },
);

export type SentimentConfig = z.output<typeof sentimentConfigSchema>;

/**
 * The demo: SST-2 with a small unidirectional GRU for a fixed number of steps, about a minute of training on one
 * core, then the dev accuracy next to the baselines.
 */
export const DEMO_CONFIG: Partial<SentimentConfig> = {
  cell: 'gru', units: [64], bidirectional: false, embedDim: 64, epochs: 1, maxStepsPerEpoch: 1500, lr: 3e-3, dropout: 0.3,
};
