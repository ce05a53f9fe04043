import * as tf from '@tensorflow/tfjs';
import { RnnkitError, nextSeed, stackedRecurrent } from '@rnnkit/core';
import { sequenceShape, type InputMode } from './images.js';

/**
 * The classifier: an image read as a sequence (rows: 28 steps × 28 pixels; pixels: 784 steps × 1) by a stack of
 * LSTM or GRU layers, optionally bidirectional; the last layer's final output goes through a dense softmax over
 * the 10 classes. Everything the model needs to be rebuilt is in this plain object, saved next to the weights.
 */
export interface ModelConfig {
  mode: InputMode;
  /** Image size (28 × 28 for MNIST and Fashion-MNIST). */
  rows: number;
  cols: number;
  cell: 'lstm' | 'gru';
  /** Units of each recurrent layer, bottom first, e.g. [128] or [128, 128]. */
  units: number[];
  bidirectional: boolean;
  /** Input dropout of each recurrent layer (training only). */
  dropout: number;
  numClasses: number;
}

export const DEFAULT_MODEL: ModelConfig = {
  mode: 'rows',
  rows: 28,
  cols: 28,
  cell: 'lstm',
  units: [128],
  bidirectional: false,
  dropout: 0,
  numClasses: 10,
};

export function buildModel(cfg: ModelConfig): tf.LayersModel {
  if (cfg.units.length === 0) throw new RnnkitError('model: --units must list at least one layer size');
  const [timesteps, features] = sequenceShape(cfg.mode, cfg.rows, cfg.cols);
  const images = tf.input({ shape: [timesteps, features], name: 'image_sequence' });
  const lastState = stackedRecurrent(images, {
    cell: cfg.cell,
    units: cfg.units,
    bidirectional: cfg.bidirectional,
    dropout: cfg.dropout,
    name: 'reader',
  });
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

/** Reads a ModelConfig back from a saved model's extras, checking the fields the app relies on. */
export function modelConfigFrom(extras: Record<string, unknown>, dir: string): ModelConfig {
  const cfg = extras.model as Partial<ModelConfig> | undefined;
  if (!cfg || (cfg.mode !== 'rows' && cfg.mode !== 'pixels') || !cfg.rows || !cfg.cols || !cfg.numClasses) {
    throw new RnnkitError(`${dir}/rnnkit.json: extras.model is missing or incomplete; not an rnnkit-mnist model?`);
  }
  return { ...DEFAULT_MODEL, ...cfg };
}
