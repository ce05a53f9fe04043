import { trainingConfigSchema } from '@rnnkit/core';
import { z } from 'zod';

/** The app's training config: core's common fields (with this app's defaults) plus its own, each with its help. */
export const configSchema = trainingConfigSchema(
  {
    out: 'runs/__NAME__', epochs: 15, batchSize: 32, lr: 1e-2, clipNorm: 5, patience: 3, seed: 1,
    dataHelp: 'unused by the toy task, which generates its data (your app reads its dataset from here)',
  },
  {
    examples: z.number().int().min(10).default(2000).describe('training examples'),
    timesteps: z.number().int().min(1).default(12).describe('sequence length'),
    cell: z.enum(['gru', 'lstm', 'simple']).default('gru').describe('recurrent cell'),
    units: z.array(z.number().int().min(1)).min(1).default([16]).describe('units per recurrent layer, e.g. 16 or 16,16'),
  },
);

export type AppConfig = z.output<typeof configSchema>;

export const DEMO_CONFIG: Partial<AppConfig> = { examples: 1500 };
