import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { MODEL_JSON, RNNKIT_JSON, RnnkitError, Vocab, loadModelDir } from '@rnnkit/core';
import { buildStepModel, parseModelConfig, type TextgenModelConfig } from './model.js';
import { MODEL_SUBDIR } from './train.js';

export interface LoadedTextgen {
  dir: string;
  model: tf.LayersModel;
  stepModel: tf.LayersModel;
  config: TextgenModelConfig;
  vocab: Vocab;
}

/** Loads a saved textgen model; `dir` may be the model directory itself or the training run's --out directory. */
export async function loadTextgenModel(dir: string): Promise<LoadedTextgen> {
  const resolved = !existsSync(join(dir, MODEL_JSON)) && existsSync(join(dir, MODEL_SUBDIR, MODEL_JSON)) ? join(dir, MODEL_SUBDIR) : dir;
  const { model, extras } = await loadModelDir(resolved);
  const source = join(resolved, RNNKIT_JSON);
  const config = parseModelConfig(extras.model, source);
  const vocab = Vocab.fromJSON(extras.vocab, `${source} (field "vocab")`);
  if (vocab.size !== config.vocabSize) {
    throw new RnnkitError(`${source}: vocab has ${vocab.size} entries but model.vocabSize is ${config.vocabSize}`);
  }
  return { dir: resolved, model, stepModel: buildStepModel(config, model), config, vocab };
}
