import { loadAppModel } from '@rnnkit/core';
import { sentimentExtrasSchema } from './extras.js';
import { SENTIMENT_APP, sentimentModelFrom, sentimentPredictor, type LoadedSentiment } from './predictor.js';

/** Node: loads a sentiment model directory (or a run directory holding model/) through core's one loader. */
export async function loadSentimentModel(dir: string): Promise<LoadedSentiment> {
  return sentimentModelFrom(await loadAppModel(dir, SENTIMENT_APP, sentimentExtrasSchema));
}

export async function loadSentimentPredictor(dir: string) {
  return sentimentPredictor(await loadSentimentModel(dir));
}
