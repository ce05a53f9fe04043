import * as tf from '@tensorflow/tfjs';
import { recurrent, type CellType } from '@rnnkit/core';

/** Everything that defines the model, as a plain object saved next to its weights. */
export interface ModelConfig {
  timesteps: number;
  cell: CellType;
  units: number;
}

export const defaultConfig: ModelConfig = { timesteps: 12, cell: 'gru', units: 16 };

/** sequence [timesteps, 1] → recurrent layer (last state) → class probabilities. */
export function buildModel(cfg: ModelConfig): tf.LayersModel {
  const input = tf.input({ shape: [cfg.timesteps, 1] });
  const state = recurrent({ cell: cfg.cell, units: cfg.units }).apply(input) as tf.SymbolicTensor;
  const probs = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(state) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs });
}
