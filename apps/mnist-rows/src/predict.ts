import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RNNKIT_JSON, RnnkitError, loadModelDir, runModel } from '@rnnkit/core';
import type { SplitConfig } from './data.js';
import { sequenceShape } from './images.js';
import { modelConfigFrom, type ModelConfig } from './model.js';
import { prepareDigitPng, type InvertMode, type PreparedImage } from './png.js';
import type { SavedRunInfo } from './train.js';

/** A trained classifier with the run information saved next to it. */
export interface LoadedClassifier {
  model: tf.LayersModel;
  dir: string;
  info: SavedRunInfo;
}

/** Loads `dir`, or `dir/model` when given the run directory that `train --out` wrote. */
export async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  const modelDir = !existsSync(path.join(dir, RNNKIT_JSON)) && existsSync(path.join(dir, 'model', RNNKIT_JSON)) ? path.join(dir, 'model') : dir;
  const { model, extras } = await loadModelDir(modelDir);
  const modelCfg: ModelConfig = modelConfigFrom(extras, modelDir);
  const classNames = extras.classNames as string[] | undefined;
  if (!Array.isArray(classNames) || classNames.length !== modelCfg.numClasses) {
    throw new RnnkitError(`${path.join(modelDir, RNNKIT_JSON)}: extras.classNames is missing or has the wrong length`);
  }
  const info: SavedRunInfo = {
    model: modelCfg,
    classNames,
    dataset: extras.dataset as SavedRunInfo['dataset'],
    split: extras.split as SplitConfig,
    trainedOnTestSet: Boolean(extras.trainedOnTestSet),
    dataDescription: String(extras.dataDescription ?? ''),
  };
  return { model, dir: modelDir, info };
}

export interface PngPrediction {
  image: PreparedImage;
  /** Classes sorted by probability, most likely first. */
  ranked: { classId: number; name: string; probability: number }[];
}

/**
 * How large the content of a training image is: MNIST digits were fitted into 20×20 of the 28×28 frame;
 * Fashion-MNIST products fill the frame.
 */
const CONTENT_FIT: Record<string, (size: number) => number> = {
  mnist: (size) => Math.round((size * 20) / 28),
  'fashion-mnist': (size) => size,
};

export function predictPng(clf: LoadedClassifier, file: string, opts: { invert: InvertMode; center: boolean }): PngPrediction {
  const { model: cfg, classNames, dataset } = clf.info;
  if (cfg.rows !== cfg.cols) throw new RnnkitError(`${clf.dir}: predict needs a model of square images, not ${cfg.rows}×${cfg.cols}`);
  const fit = opts.center ? (CONTENT_FIT[dataset] ?? CONTENT_FIT.mnist)(cfg.rows) : undefined;
  const image = prepareDigitPng(file, { size: cfg.rows, invert: opts.invert, fit });
  const probs = tf.tidy(() => {
    const x = tf.tensor3d(image.values, [1, ...sequenceShape(cfg.mode, cfg.rows, cfg.cols)]);
    return runModel(clf.model, x)[0].dataSync() as Float32Array;
  });
  const ranked = Array.from(probs, (probability, classId) => ({ classId, name: classNames[classId], probability }));
  ranked.sort((a, b) => b.probability - a.probability);
  return { image, ranked };
}

/** A coarse text rendering of the prepared image, so a user can see what the model was shown. */
export function asciiImage(img: { width: number; height: number; values: Float32Array }): string {
  const shades = ' .:-=+*#%@';
  const lines: string[] = [];
  for (let y = 0; y < img.height; y++) {
    let line = '';
    for (let x = 0; x < img.width; x++) {
      const v = Math.min(1, Math.max(0, img.values[y * img.width + x]));
      line += shades[Math.min(shades.length - 1, Math.floor(v * shades.length))].repeat(2);
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}
