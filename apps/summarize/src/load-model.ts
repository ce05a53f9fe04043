import { loadAppModel } from '@rnnkit/core';
import { SUMMARIZE_APP, summarizeExtrasSchema, summarizerFromAppModel, type LoadedSummarizer } from './predictor.js';

/** Loads a summarize model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadSummarizeModel(dir: string): Promise<LoadedSummarizer> {
  return summarizerFromAppModel(await loadAppModel(dir, SUMMARIZE_APP, summarizeExtrasSchema));
}
