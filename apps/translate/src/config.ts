import { embeddingSizeSchema, layerSizeSchema, lrDecaySchema, trainingConfigSchema } from '@rnnkit/core';
import { z } from 'zod';
import { DEFAULT_DATA_CONFIG, type DataConfig } from './data/data-config.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './model.js';

/** translate's training config: core's common fields plus the data pipeline, the network and the loss. */
export const configSchema = trainingConfigSchema(
  {
    out: 'runs/translate', epochs: 30, batchSize: 32, lr: 3e-3, clipNorm: 5, patience: 3, seed: 1,
    dataHelp: "Tatoeba's cmn.txt(.gz) (default $RNNKIT_DATA_DIR/translation/cmn.txt.gz; nothing is downloaded)",
  },
  {
    embedDim: embeddingSizeSchema.default(DEFAULT_MODEL_CONFIG.embedDim).describe('embedding size (English and Chinese each)'),
    units: layerSizeSchema.default(DEFAULT_MODEL_CONFIG.units).describe('encoder units per direction (decoder: twice this)'),
    cell: z.enum(['gru', 'lstm']).default(DEFAULT_MODEL_CONFIG.cell).describe('recurrent cell of encoder and decoder'),
    attention: z.enum(['dot', 'general', 'bahdanau']).default(DEFAULT_MODEL_CONFIG.attention).describe('attention score'),
    dropout: z.number().min(0).max(0.9).default(DEFAULT_MODEL_CONFIG.dropout).describe('dropout on embeddings and the attentional vector'),
    lrDecay: lrDecaySchema(0.7),
    labelSmoothing: z.number().min(0).max(0.5).default(0.1).describe('label smoothing of the training loss (0 = plain cross-entropy)'),
    maxSrcLen: z.number().int().min(1).max(1000).default(DEFAULT_DATA_CONFIG.maxSrcLen).describe('longest English sentence (words) trained on'),
    maxTgtLen: z.number().int().min(1).max(1000).default(DEFAULT_DATA_CONFIG.maxTgtLen).describe('longest Chinese sentence (characters) trained on'),
    minCount: z.number().int().min(1).default(DEFAULT_DATA_CONFIG.srcMinCount).describe('tokens seen fewer times in training are <unk>'),
    maxTrainPairs: z.number().int().min(1).optional().describe('train on at most this many pairs (the split is unchanged)'),
    splitSeed: z.number().int().default(DEFAULT_DATA_CONFIG.splitSeed).describe('seed of the 90/5/5 split by English sentence'),
  },
);
export type AppConfig = z.output<typeof configSchema>;

/** The demo: a few minutes of training on part of the corpus, then the test figures and a few translations. */
export const DEMO_CONFIG: Partial<AppConfig> = { maxTrainPairs: 6000, epochs: 4, units: 96, embedDim: 64, maxSeconds: 240 };

export function dataConfigOf(cfg: AppConfig): DataConfig {
  return {
    ...DEFAULT_DATA_CONFIG, maxSrcLen: cfg.maxSrcLen, maxTgtLen: cfg.maxTgtLen, srcMinCount: cfg.minCount, tgtMinCount: cfg.minCount, splitSeed: cfg.splitSeed,
  };
}

export function modelConfigOf(cfg: AppConfig): ModelConfig {
  return { embedDim: cfg.embedDim, units: cfg.units, cell: cfg.cell, attention: cfg.attention, dropout: cfg.dropout };
}
