import { z } from 'zod';
import { dataConfigSchema } from './data/data-config.js';
import { modelConfigSchema } from './model.js';

/** No Node APIs here: the predictor validates a fetched model's extras with it too. */

/**
 * What a translate model directory records besides the weights: the data settings (so `evaluate` rebuilds the same
 * split), the network, both vocabularies and the corpus path.
 */
export const extrasSchema = z.strictObject({
  data: z.string(),
  text: dataConfigSchema,
  model: modelConfigSchema,
  srcVocab: z.unknown(),
  tgtVocab: z.unknown(),
});
export type TranslateExtras = z.output<typeof extrasSchema>;
