import { cellSchema, layerSizeSchema, trainingConfigSchema } from '@rnnkit/core';
import { z } from 'zod';

/** spoken-digits' training config: core's common fields plus the split, the features and the model. */
export const configSchema = trainingConfigSchema(
  {
    out: 'runs/spoken-digits', epochs: 40, batchSize: 32, lr: 3e-3, clipNorm: 5, patience: 6, seed: 1,
    dataHelp: 'folder of {digit}_{speaker}_{index}.wav files, or the folder holding recordings/ (default $RNNKIT_DATA_DIR/spoken-digits; nothing is downloaded)',
  },
  {
    testSpeaker: z.string().regex(/^[a-z]+$/).optional()
      .describe("hold this speaker out as the test part (leave-one-speaker-out); default: the official split (index 0-4 test)"),
    valFraction: z.number().min(0.02).max(0.5).default(0.1).describe('part of the training recordings held out for validation (early stopping), stratified by digit'),
    splitSeed: z.number().int().default(2024).describe('seed of the validation hold-out, kept apart from --seed'),
    maxTrain: z.number().int().min(10).max(1_000_000).optional().describe('train on a stratified sample of at most this many recordings'),
    numCeps: z.number().int().min(2).max(64).default(13).describe('MFCCs per frame (their deltas are added: 2 × this features)'),
    numMel: z.number().int().min(4).max(128).default(40).describe('mel filters'),
    maxFrames: z.number().int().min(10).max(10_000).default(200).describe('frames read per utterance (10 ms each); longer ones are cut'),
    cell: cellSchema.default('gru').describe('recurrent cell'),
    units: z.array(layerSizeSchema).min(1).max(8).default([64]).describe('units per recurrent layer, e.g. 64 or 64,64'),
    bidirectional: z.boolean().default(true).describe('read each utterance forwards and backwards'),
    dropout: z.number().min(0).max(0.9).default(0.2).describe('dropout on the recurrent input and on the final state'),
    baselines: z.boolean().default(true).describe('also score the baselines (DTW 1-nearest-neighbour, majority class) on the test part'),
  },
);

export type AppConfig = z.output<typeof configSchema>;

/** The demo: a couple of minutes of training on the official split, then its test accuracy. */
export const DEMO_CONFIG: Partial<AppConfig> = { epochs: 4, baselines: false };
