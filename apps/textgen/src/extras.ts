import { z } from 'zod';
import { textgenModelConfigSchema } from './model.js';

/**
 * What textgen's model directories record besides the weights, as a strict schema: read back by the predictor
 * (`textgenFromAppModel`) from a directory or from files a page fetched. No Node APIs here.
 */
export const textgenExtrasSchema = z.strictObject({
  model: textgenModelConfigSchema,
  vocab: z.unknown(),
  /** The resolved dataset path (shown by `info`). */
  data: z.string(),
});
export type TextgenExtras = z.output<typeof textgenExtrasSchema>;
