import { trainingConfigSchema, layerSizeSchema, lrDecaySchema } from '@rnnkit/core';
import { z } from 'zod';
import { DEFAULT_SPLIT } from './data.js';
import { DATASETS } from './datasets.js';
import { AUGMENTATIONS, TTA_MODES, type Augmentation } from './augment.js';
import { INPUT_MODES } from './images.js';
import { DEFAULT_MODEL } from './model.js';

/**
 * mnist-rows' training config: core's common fields plus the dataset, the split and the model. `--patience` counts
 * epochs without a better validation accuracy (val_acc), not val_loss: see train.ts.
 */
export const mnistConfigSchema = trainingConfigSchema(
  {
    out: 'runs/mnist', epochs: 60, batchSize: 64, lr: 2e-3, clipNorm: 1, patience: 10, seed: 1,
    dataHelp: 'folder with the IDX files (default $RNNKIT_DATA_DIR/<dataset>, then the download cache, else downloaded)',
  },
  {
    dataset: z.enum(DATASETS).default('mnist').describe('dataset (its folder under $RNNKIT_DATA_DIR)'),
    download: z.boolean().default(false).describe('download files missing from the local folder (e.g. the MNIST training images) into the cache'),
    mode: z.enum(INPUT_MODES).default(DEFAULT_MODEL.mode).describe('how an image is read: rows = 28 steps × 28 pixels (top to bottom), columns = 28 steps × 28 pixels (left to right), pixels = 784 steps × 1'),
    cell: z.enum(['lstm', 'gru']).default(DEFAULT_MODEL.cell).describe('recurrent cell'),
    units: z.array(layerSizeSchema).min(1).default(DEFAULT_MODEL.units).describe('units per recurrent layer, e.g. 128 or 128,128'),
    bidirectional: z.boolean().default(false).describe('read each image forwards and backwards'),
    dropout: z.number().min(0).max(0.9).default(DEFAULT_MODEL.dropout).describe('input dropout of the recurrent layers'),
    headDropout: z.number().min(0).max(0.9).default(DEFAULT_MODEL.headDropout).describe('dropout on the last recurrent output, before the class layer'),
    augment: z.enum(AUGMENTATIONS).optional()
      .describe('redraw each training image through a random transform every epoch: off, flip (mirror left-right half of the time; not for digits), flip-shift (flip plus a shift of up to 2 whole pixels), affine (rotate, scale, shear, shift) or elastic (affine plus a smooth wobble); default elastic for mnist, off for fashion-mnist'),
    tta: z.enum(TTA_MODES).default('off')
      .describe('test-time augmentation of the final test (and validation) scores: flip = average the class probabilities of each image and its mirror image; the figures without it are printed too'),
    labelSmoothing: z.number().min(0).max(0.5).default(0)
      .describe('label smoothing of the training loss: the target puts 1 - this on the true class and spreads this over all classes'),
    lrDecay: lrDecaySchema(0.95),
    valFraction: z.number().min(0.001).max(0.5).default(DEFAULT_SPLIT.valFraction)
      .describe('part of the training images held out for validation (--patience watches its accuracy)'),
    testFraction: z.number().min(0.01).max(0.9).default(DEFAULT_SPLIT.testFraction)
      .describe('without training images only: part of the test set held out for testing'),
    splitSeed: z.number().int().default(DEFAULT_SPLIT.splitSeed).describe('seed of the train/validation/test split'),
    maxTrain: z.number().int().min(1).optional().describe('use at most this many training images'),
  },
);

export type MnistConfig = z.output<typeof mnistConfigSchema>;

/** The demo: small and fast on purpose; a 64-unit GRU with a high learning rate gets past 90% in about a minute. */
export const DEMO_CONFIG: Partial<MnistConfig> = { out: 'runs/mnist-demo', epochs: 3, cell: 'gru', units: [64], lr: 5e-3, augment: 'off', lrDecay: 1 };

/**
 * Augmentation when --augment is not given. Elastic distortion is what lifts MNIST from 96.4% to 98.7% on 9,000
 * training images (README); on Fashion-MNIST, whose classes are told apart by shape details a wobble can erase, it
 * has not been shown to help, so it stays off there.
 */
export const DEFAULT_AUGMENT: Record<MnistConfig['dataset'], Augmentation> = { mnist: 'elastic', 'fashion-mnist': 'off' };
