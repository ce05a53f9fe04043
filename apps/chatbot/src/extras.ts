import { z } from 'zod';
import { dataConfigSchema } from './data/dataset.js';
import { chatModelConfigSchema } from './model.js';

/** No Node APIs here: the predictor validates the extras of a model a web page fetched with it too. */

const pairStatsSchema = z.strictObject({ kept: z.number().int(), dropped: z.record(z.string(), z.number().int()) });

/**
 * What chatbot's model directories (and checkpoints) record besides the weights: everything `chatbotFromAppModel`
 * needs, and what `evaluate` needs to rebuild the held-out split. Deterministic for a given config and corpus, so a
 * resumed run's checkpoint matches.
 */
export const chatbotExtrasSchema = z.strictObject({
  /** The resolved corpus path (shown by `info`; `evaluate` reads it again by default). */
  data: z.string(),
  /** How conversations became pairs: language, history, length limits, vocabulary and split settings. */
  text: dataConfigSchema,
  model: chatModelConfigSchema,
  vocab: z.unknown(),
  /** Pairs kept and dropped (by reason) in each split. */
  stats: z.strictObject({ train: pairStatsSchema, heldOut: pairStatsSchema }),
});
export type ChatbotExtras = z.output<typeof chatbotExtrasSchema>;
