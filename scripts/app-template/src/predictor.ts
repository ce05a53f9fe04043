// The predictor: what the CLI's `predict`, rnnkit-serve and a web page run. Browser-safe: it imports only
// `@rnnkit/core/browser` (a page builds it with `predictorFromArtifacts(await loadModelFromUrl(url))`); reading a
// model directory from disk is load-model.ts.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { appModelFromArtifacts, createPredictor, type LoadedAppModel, type LoadedModelArtifacts, type Predictor } from '@rnnkit/core/browser';
import { extrasSchema } from './model.js';

export const APP_NAME = '__NAME__';

/** The predictor's input: one sequence of numbers in [-1, 1]. */
export const inputSchema = z.strictObject({ sequence: z.array(z.number().min(-1).max(1)).min(1).max(10_000) });
export type AppInput = z.input<typeof inputSchema>;
export interface AppOutput {
  positive: boolean;
  /** Probability that the sequence sums to more than 0. */
  probability: number;
}

/** A small valid input (the CLI's help, the server's example, tests). */
export const exampleInput: AppInput = { sequence: Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0.5 : -0.1)) };

/** The predictor of a loaded model, however it was loaded (from a directory or from fetched files). */
export function predictorFromModel(loaded: LoadedAppModel<z.output<typeof extrasSchema>>): Predictor<z.output<typeof inputSchema>, AppOutput> {
  const { model, extras } = loaded;
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

/** The predictor of a model whose files a page fetched (`loadModelFromUrl` / `loadModelFromArtifacts`). */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof inputSchema>, AppOutput> {
  return predictorFromModel(appModelFromArtifacts(loaded, APP_NAME, extrasSchema));
}
