import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { stackedRecurrent } from '@rnnkit/core/browser';

/** Everything that defines the model, saved next to its weights (and validated strictly when loaded). */
export const modelConfigSchema = z.strictObject({
  timesteps: z.number().int().min(1),
  cell: z.enum(['gru', 'lstm', 'simple']),
  units: z.array(z.number().int().min(1)).min(1),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** sequence [timesteps, 1] → stacked recurrent layers (last state) → class probabilities. */
export function buildModel(cfg: ModelConfig): tf.LayersModel {
  const input = tf.input({ shape: [cfg.timesteps, 1] });
  const state = stackedRecurrent(input, { cell: cfg.cell, units: cfg.units, returnSequences: false });
  const probs = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(state) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs });
}

/** What the model directory records besides the weights (read back by the predictor, on Node and in a page). */
export const extrasSchema = z.strictObject({ model: modelConfigSchema });
