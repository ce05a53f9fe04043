import { trainingConfigSchema, layerSizeSchema, embeddingSizeSchema, textEncodingSchema } from '@rnnkit/core';
import { z } from 'zod';
import { DEFAULT_DATA_CONFIG, type DataConfig } from './data/dataset.js';
import { DEFAULT_MODEL_CONFIG, type ChatModelConfig } from './model.js';

/** Chinese is character-level, so its utterances are several times longer in tokens than English ones. */
const LENGTH_DEFAULTS = { en: { context: DEFAULT_DATA_CONFIG.maxContextLen, response: DEFAULT_DATA_CONFIG.maxResponseLen }, zh: { context: 32, response: 32 } };

/** chatbot's training config: core's common fields plus the data pipeline and the network. */
export const chatbotConfigSchema = trainingConfigSchema(
  {
    out: 'runs/chatbot', epochs: 20, batchSize: 32, lr: 5e-3, clipNorm: 5, patience: 3,
    dataHelp:
      'ChatterBot folder or .yml file, or a folder with the Cornell movie_lines.txt + movie_conversations.txt ' +
      '(default $RNNKIT_DATA_DIR/dialogs/chatterbot/<english|chinese>, else downloaded once)',
  },
  {
    lang: z.enum(['en', 'zh']).default('en').describe('en (word tokens) or zh (character tokens)'),
    encoding: textEncodingSchema,
    history: z.number().int().min(1).max(10).default(DEFAULT_DATA_CONFIG.history).describe('previous turns the encoder sees, joined by <sep>'),
    maxContextLen: z.number().int().min(1).optional()
      .describe(`longest encoder input in tokens (default: en ${LENGTH_DEFAULTS.en.context}, zh ${LENGTH_DEFAULTS.zh.context})`),
    maxResponseLen: z.number().int().min(1).optional()
      .describe(`longest response in tokens (default: en ${LENGTH_DEFAULTS.en.response}, zh ${LENGTH_DEFAULTS.zh.response})`),
    minCount: z.number().int().min(1).default(DEFAULT_DATA_CONFIG.minCount).describe('words seen fewer times in training are unknown'),
    heldOut: z.number().min(0).max(0.9).default(DEFAULT_DATA_CONFIG.heldOut)
      .describe('fraction of conversations held out (--patience watches their loss; 0 = no early stopping)'),
    embedDim: embeddingSizeSchema.default(DEFAULT_MODEL_CONFIG.embedDim).describe('shared embedding size'),
    units: z.array(layerSizeSchema).min(1)
      .max(1, 'one value: the encoder is a single bidirectional GRU layer')
      .default([DEFAULT_MODEL_CONFIG.units])
      .describe('GRU units per encoder direction (decoder: twice this); a list of one value, the encoder having one layer'),
    attention: z.enum(['dot', 'general']).default(DEFAULT_MODEL_CONFIG.attention).describe('Luong attention score'),
    dropout: z.number().min(0).max(0.9).default(DEFAULT_MODEL_CONFIG.dropout).describe('dropout rate'),
  },
);

export type ChatbotConfig = z.output<typeof chatbotConfigSchema>;

/**
 * The demo trains with train's settings (up to 20 epochs, early stopping with patience 3, best weights kept): ~20-40 s
 * on 2 cores. Only its run directory differs (runs/chatbot-demo, chosen by core).
 */
export const DEMO_CONFIG: Partial<ChatbotConfig> = {};

/** How the run's conversations become pairs. */
export function dataConfigOf(cfg: ChatbotConfig): DataConfig {
  const lengths = LENGTH_DEFAULTS[cfg.lang];
  return {
    ...DEFAULT_DATA_CONFIG,
    lang: cfg.lang,
    history: cfg.history,
    maxContextLen: cfg.maxContextLen ?? lengths.context,
    maxResponseLen: cfg.maxResponseLen ?? lengths.response,
    minCount: cfg.minCount,
    heldOut: cfg.heldOut,
  };
}

/** The network of the run. */
export function modelConfigOf(cfg: ChatbotConfig): ChatModelConfig {
  return { embedDim: cfg.embedDim, units: cfg.units[0], attention: cfg.attention, dropout: cfg.dropout };
}
