import { loadAppModel } from '@rnnkit/core';
import { extrasSchema } from './extras.js';
import { APP_NAME, translatePredictor, translatorFromAppModel, type TranslatePredictor } from './predictor.js';
import type { Translator } from './translator.js';

/** Loads a model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadTranslator(dir: string): Promise<Translator> {
  return translatorFromAppModel(await loadAppModel(dir, APP_NAME, extrasSchema));
}

export async function loadPredictor(dir: string): Promise<TranslatePredictor> {
  return translatePredictor(await loadTranslator(dir));
}
