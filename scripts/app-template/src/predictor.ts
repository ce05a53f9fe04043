import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createPredictor, loadAppModel, type Predictor } from '@rnnkit/core';
import { extrasSchema } from './train.js';

export const APP_NAME = '__NAME__';

/** The predictor's input: one sequence of numbers in [-1, 1]. */
export const inputSchema = z.strictObject({ sequence: z.array(z.number().min(-1).max(1)).min(1).max(10_000) });
export type AppInput = z.input<typeof inputSchema>;
export interface AppOutput {
  positive: boolean;
  /** Probability that the sequence sums to more than 0. */
  probability: number;
}

/** Loads a model directory (or a run directory holding model/) through core's one loader. No Node APIs below. */
export async function loadPredictor(dir: string): Promise<Predictor<z.output<typeof inputSchema>, AppOutput>> {
  const { model, extras } = await loadAppModel(dir, APP_NAME, extrasSchema);
  const { timesteps } = extras.model;
  return createPredictor(
    APP_NAME,
    inputSchema.refine((i) => i.sequence.length === timesteps, { message: `the model reads sequences of ${timesteps} numbers`, path: ['sequence'] }),
    (input) => {
      const probs = tf.tidy(() => (model.predict(tf.tensor3d(input.sequence, [1, timesteps, 1])) as tf.Tensor).dataSync());
      return { positive: probs[1] > probs[0], probability: probs[1] };
    },
    () => model.dispose(),
  );
}
