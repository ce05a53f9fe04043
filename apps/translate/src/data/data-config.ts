import { z } from 'zod';

/**
 * How a corpus becomes a dataset: the split and the length and vocabulary cut-offs. Kept apart from dataset.ts so
 * that the predictor (which records and checks these settings) does not import the data pipeline's Chinese reader.
 */

export const dataConfigSchema = z.strictObject({
  /** Fractions of distinct English sentences for validation and test; the rest trains. */
  valFraction: z.number().min(0).max(0.5),
  testFraction: z.number().min(0).max(0.5),
  splitSeed: z.number().int(),
  /** Training pairs longer than these (in tokens) are left out of training (not of evaluation). */
  maxSrcLen: z.number().int().min(1).max(1000),
  maxTgtLen: z.number().int().min(1).max(1000),
  /** Tokens seen fewer times in training are <unk>. */
  srcMinCount: z.number().int().min(1),
  tgtMinCount: z.number().int().min(1),
});
export type DataConfig = z.output<typeof dataConfigSchema>;

export const DEFAULT_DATA_CONFIG: DataConfig = {
  valFraction: 0.05, testFraction: 0.05, splitSeed: 1, maxSrcLen: 32, maxTgtLen: 48, srcMinCount: 2, tgtMinCount: 2,
};
