import { cellSchema, trainingConfigSchema, layerSizeSchema, embeddingSizeSchema, textEncodingSchema } from '@rnnkit/core';
import { z } from 'zod';
import { DATA_RELATIVE_PATH, DEFAULT_DATA_CONFIG, DEFAULT_MAX_SRC_LEN, TASKS } from './data/index.js';
import { DEFAULT_MODEL_CONFIG } from './model.js';

/** summarize's training config: core's common fields plus the data and model settings. */
export const summarizeConfigSchema = trainingConfigSchema(
  {
    // --batch-size counts pairs; --patience watches the validation loss.
    out: 'runs/summarize', epochs: 30, batchSize: 32, lr: 2e-3, clipNorm: 2, patience: 2,
    dataHelp: `Inshorts news_summary.csv(.gz), or your own CSV / JSONL of pairs (default $RNNKIT_DATA_DIR/${DATA_RELATIVE_PATH}, else downloaded once)`,
  },
  {
    task: z.enum(TASKS).default(DEFAULT_DATA_CONFIG.task).describe('headline (text → headlines) or summary (ctext → text)'),
    sourceColumn: z.string().min(1).optional().describe("CSV column / JSON field of the source (if not given: the task's Inshorts column)"),
    targetColumn: z.string().min(1).optional().describe("CSV column / JSON field of the summary (if not given: the task's Inshorts column)"),
    encoding: textEncodingSchema.describe('encoding of the pairs file (default: UTF-8 when valid, else Windows-1252)'),
    // No schema default: it depends on --task (and a "(default: ...)" here would be a second default in demo's help).
    maxSrcLen: z.number().int().min(1).optional()
      .describe(`source tokens kept (if not given: ${DEFAULT_MAX_SRC_LEN.headline} for the headline task, ${DEFAULT_MAX_SRC_LEN.summary} for summary)`),
    maxTgtLen: z.number().int().min(1).default(DEFAULT_DATA_CONFIG.maxTgtLen).describe('target tokens kept'),
    minCount: z.number().int().min(1).default(DEFAULT_DATA_CONFIG.minCount).describe('rarer training words are out of vocabulary'),
    maxVocab: z.number().int().min(10).default(DEFAULT_DATA_CONFIG.maxVocab).describe('vocabulary size cap'),
    embedDim: embeddingSizeSchema.default(DEFAULT_MODEL_CONFIG.embedDim).describe('word embedding size'),
    units: z.array(layerSizeSchema).min(1).max(1, 'the encoder has one (bidirectional) layer: give one number, e.g. 128')
      .default([DEFAULT_MODEL_CONFIG.units])
      .describe('units per encoder direction (the decoder has twice this); one layer, so one number'),
    cell: cellSchema.default(DEFAULT_MODEL_CONFIG.cell).describe('recurrent cell'),
    attention: z.enum(['bahdanau', 'dot', 'general']).default(DEFAULT_MODEL_CONFIG.attention).describe('attention kind'),
    dropout: z.number().min(0).max(0.9).default(DEFAULT_MODEL_CONFIG.dropout).describe('dropout on embeddings and the attentional vector'),
    maxValBatches: z.number().int().min(1).optional().describe('cap on validation batches per epoch (if not given: all)'),
  },
);

export type SummarizeConfig = z.output<typeof summarizeConfigSchema>;

/**
 * The demo: a small model on the headline task, four epochs of at most 150 steps (an epoch is 115 steps): ~90 s of
 * training on 2 cores when quiet. One epoch did not beat lead-N; four do on the 100 demo rows.
 */
export const DEMO_CONFIG: Partial<SummarizeConfig> = {
  epochs: 4, embedDim: 64, units: [64], maxSrcLen: 40, maxVocab: 5000, maxValBatches: 4, patience: 0, lr: 3e-3, maxStepsPerEpoch: 150,
};
