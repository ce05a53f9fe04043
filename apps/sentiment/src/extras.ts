import { z } from 'zod';
import { DATASETS } from './datasets.js';
import { modelConfigSchema } from './model.js';
import { LANGUAGES } from './tokenize.js';

/** How the data was split, saved with the model so that `evaluate` rebuilds the same test part. */
export const splitSettingsSchema = z.strictObject({
  valFraction: z.number().min(0).max(1),
  splitSeed: z.number().int(),
  maxTrain: z.number().int().min(1).optional(),
});

/** What sentiment's model directories record besides the weights (browser-safe: the predictor validates with it). */
export const sentimentExtrasSchema = z
  .strictObject({
    model: modelConfigSchema,
    dataset: z.enum(DATASETS),
    /** How texts are tokenized: en = words, zh = characters. */
    language: z.enum(LANGUAGES),
    classNames: z.array(z.string().min(1).max(100)).min(2).max(1000),
    /** The training part's vocabulary (core's Vocab JSON), checked by Vocab.fromJSON when loaded. */
    vocab: z.unknown(),
    split: splitSettingsSchema,
    /** The training file (shown by `info`). */
    data: z.string(),
    /** Where every part of the data came from (printed by train and evaluate). */
    dataDescription: z.string(),
  })
  .refine((e) => e.classNames.length === e.model.numClasses, { message: 'classNames must have one name per class (model.numClasses)', path: ['classNames'] });

export type SentimentExtras = z.output<typeof sentimentExtrasSchema>;
