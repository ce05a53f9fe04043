import { loadAppModel } from '@rnnkit/core';
import { extrasSchema } from './model.js';
import { APP_NAME, digitsModelFrom, digitsPredictor, type LoadedDigits } from './predictor.js';

/** Loads a model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadDigitsModel(dir: string): Promise<LoadedDigits> {
  return digitsModelFrom(await loadAppModel(dir, APP_NAME, extrasSchema));
}

export async function loadPredictor(dir: string) {
  return digitsPredictor(await loadDigitsModel(dir));
}
