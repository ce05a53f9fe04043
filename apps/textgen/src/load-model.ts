import { loadAppModel } from '@rnnkit/core';
import { textgenExtrasSchema } from './extras.js';
import { TEXTGEN_APP, textgenFromAppModel, type LoadedTextgen } from './predictor.js';

/** Loads a textgen model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadTextgenModel(dir: string): Promise<LoadedTextgen> {
  return textgenFromAppModel(await loadAppModel(dir, TEXTGEN_APP, textgenExtrasSchema));
}
