import * as tf from '@tensorflow/tfjs';
import { RnnkitBidirectional, RnnkitError, RnnkitRecurrent, nextSeed, recurrent, stackedRecurrent } from '@rnnkit/core/browser';
import { z } from 'zod';
import { DATASETS } from './datasets.js';
import { INPUT_MODES, sequenceShape } from './images.js';

/**
 * The classifier: an image read as a sequence (rows: 28 steps × 28 pixels; columns: the same, read left to right; pixels: 784 steps × 1) by a stack of
 * LSTM or GRU layers, optionally bidirectional; the last layer's final output goes (through dropout in training,
 * with `headDropout`) to a dense softmax over the 10 classes. Everything the model needs to be rebuilt is in this plain object, saved next to the weights.
 */
export const modelConfigSchema = z.strictObject({
  mode: z.enum(INPUT_MODES),
  /** Image size (28 × 28 for MNIST and Fashion-MNIST). */
  rows: z.number().int().min(1).max(1024),
  cols: z.number().int().min(1).max(1024),
  cell: z.enum(['lstm', 'gru']),
  /** Units of each recurrent layer, bottom first, e.g. [128] or [128, 128]. */
  units: z.array(z.number().int().min(1)).min(1),
  bidirectional: z.boolean(),
  /** Input dropout of each recurrent layer (training only). */
  dropout: z.number().min(0).max(0.9),
  /** Dropout on the last recurrent output, before the class head (training only; absent in older models: 0). */
  headDropout: z.number().min(0).max(0.9).default(0),
  numClasses: z.number().int().min(2).max(1000),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

export const DEFAULT_MODEL: ModelConfig = {
  mode: 'rows',
  rows: 28,
  cols: 28,
  cell: 'lstm',
  units: [128],
  bidirectional: false,
  dropout: 0,
  headDropout: 0,
  numClasses: 10,
};

export function buildModel(cfg: ModelConfig): tf.LayersModel {
  if (cfg.units.length === 0) throw new RnnkitError('model: --units must list at least one layer size');
  const [timesteps, features] = sequenceShape(cfg.mode, cfg.rows, cfg.cols);
  const images = tf.input({ shape: [timesteps, features], name: 'image_sequence' });
  let lastState = stackedRecurrent(images, {
    cell: cfg.cell,
    units: cfg.units,
    bidirectional: cfg.bidirectional,
    dropout: cfg.dropout,
    name: 'reader',
  });
  if (cfg.headDropout > 0) {
    // The seed only satisfies tfjs; core's training step draws a fresh mask per call (run-model.ts).
    lastState = tf.layers.dropout({ rate: cfg.headDropout, seed: nextSeed(), name: 'head_dropout' }).apply(lastState) as tf.SymbolicTensor;
  }
  const probs = tf.layers
    .dense({
      units: cfg.numClasses,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
      name: 'class_probs',
    })
    .apply(lastState) as tf.SymbolicTensor;
  return tf.model({ inputs: images, outputs: probs, name: `mnist_${cfg.mode}_${cfg.cell}` });
}

/**
 * The classifier's reading made visible: the same chain of layers as `trained` (buildModel's: input → recurrent
 * layers → class head), except that the last recurrent layer returns its output after every timestep, so the class
 * head gives the class probabilities after each step: [batch, timesteps, classes]. Only that layer is new (a copy
 * with returnSequences, holding a copy of its weights); the layers below it and the head are `trained`'s own, applied
 * once more, so disposing both models frees everything exactly once. A bidirectional reader is refused: its
 * backward half has read the whole image before any step, so it has no "state after step t".
 */
export function buildEveryStepModel(trained: tf.LayersModel): tf.LayersModel {
  const [input, ...layers] = trained.layers;
  // The head: the dense class layer, after a dropout layer when the model has one (an identity at inference).
  const reader = layers.at(-2)?.getClassName() === 'Dropout' ? layers.at(-3) : layers.at(-2);
  const isChain = layers.every((layer, i) => layer.inboundNodes.length === 1 && layer.inboundNodes[0].inboundLayers[0] === (i === 0 ? input : layers[i - 1]));
  if (!isChain || !(reader instanceof RnnkitRecurrent || reader instanceof RnnkitBidirectional)) {
    throw new RnnkitError(`model ${trained.name}: not a chain of recurrent layers under a class head (as mnist-rows builds it)`);
  }
  if (reader instanceof RnnkitBidirectional) {
    throw new RnnkitError('class probabilities after each row need a unidirectional model: this one is bidirectional (its backward half reads the whole image first)');
  }
  // A fixed seed: the initial weights are overwritten below, and drawing one from core's shared PRNG would shift it.
  const everyStep = recurrent({ cell: reader.cell, units: reader.units, returnSequences: true, name: `${reader.name}_every_step`, seed: 0 });
  let h = trained.inputs[0];
  for (const layer of layers) h = (layer === reader ? everyStep : layer).apply(h) as tf.SymbolicTensor;
  everyStep.setWeights(reader.getWeights());
  return tf.model({ inputs: trained.inputs, outputs: h, name: `${trained.name}_every_step` });
}

/** How the model was split from the data, saved so that `evaluate` rebuilds the identical test split. */
export const savedSplitSchema = z.strictObject({
  valFraction: z.number().min(0).max(1),
  testFraction: z.number().min(0).max(1),
  splitSeed: z.number().int(),
  maxTrain: z.number().int().min(1).optional(),
});

/** What mnist-rows' model directories record besides the weights (read back by loadMnistModel). */
export const mnistExtrasSchema = z
  .strictObject({
    model: modelConfigSchema,
    dataset: z.enum(DATASETS),
    classNames: z.array(z.string()).min(2),
    split: savedSplitSchema,
    /** True when train, validation and test were all cut from the official test set. */
    trainedOnTestSet: z.boolean(),
    /** Where each part of the data came from (printed by train and evaluate). */
    dataDescription: z.string(),
    /** The folder the test images were read from (shown by `info`). */
    data: z.string(),
  })
  .refine((e) => e.classNames.length === e.model.numClasses, { message: 'classNames must have one name per class (model.numClasses)', path: ['classNames'] });
export type MnistExtras = z.output<typeof mnistExtrasSchema>;
