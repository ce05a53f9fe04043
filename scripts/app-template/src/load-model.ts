import { loadAppModel } from '@rnnkit/core';
import { extrasSchema } from './model.js';
import { APP_NAME, predictorFromModel } from './predictor.js';

/** Loads a model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadPredictor(dir: string) {
  return predictorFromModel(await loadAppModel(dir, APP_NAME, extrasSchema));
}
