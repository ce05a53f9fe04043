import { cellSchema, trainingConfigSchema, layerSizeSchema, embeddingSizeSchema, lrDecaySchema, textEncodingSchema } from '@rnnkit/core';
import { z } from 'zod';
import { TINY_SHAKESPEARE } from './data.js';

/** textgen's training config: core's common fields plus the model and window settings. */
export const textgenConfigSchema = trainingConfigSchema(
  {
    out: 'runs/textgen', epochs: 30, batchSize: 64, lr: 2e-3, clipNorm: 5, patience: 3,
    dataHelp: `text file (default $RNNKIT_DATA_DIR/${TINY_SHAKESPEARE.relativePath}, else downloaded once)`,
  },
  {
    cell: cellSchema.default('lstm').describe('recurrent cell'),
    units: z.array(layerSizeSchema).min(1).max(16).default([256, 256]).describe('units per recurrent layer, e.g. 256,256'),
    embedDim: embeddingSizeSchema.default(64).describe('character embedding size'),
    dropout: z.number().min(0).max(0.95).default(0.2).describe('dropout on recurrent inputs and outputs'),
    seqLen: z.number().int().min(1).max(10_000).default(100).describe('characters per training window (truncated BPTT length)'),
    lrDecay: lrDecaySchema(1),
    lrPlateau: z.number().gt(0).max(1).default(1)
      .describe('multiply the learning rate by this after an epoch whose validation loss did not improve (1 = never)'),
    randomOffset: z.boolean().default(false)
      .describe('shift the training windows by a new random offset every epoch, so their boundaries move'),
    encoding: textEncodingSchema,
    sampleLength: z.number().int().min(0).max(100_000).default(200).describe('characters sampled after each epoch (0: none)'),
  },
);

export type TextgenConfig = z.output<typeof textgenConfigSchema>;

/** The demo: ~80 s of training on 2 cores with the native kernels, enough to beat the 5-gram baseline. */
export const DEMO_CONFIG: Partial<TextgenConfig> = {
  units: [256], embedDim: 32, seqLen: 64, batchSize: 32, epochs: 3, lr: 5e-3, dropout: 0, sampleLength: 0, maxStepsPerEpoch: 400,
};
