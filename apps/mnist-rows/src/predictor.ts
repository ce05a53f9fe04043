import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError, createPredictor, loadAppModel, runModel, type Predictor } from '@rnnkit/core';
import { CLASS_NAMES } from './datasets.js';
import { sequenceShape } from './images.js';
import { mnistExtrasSchema, type MnistExtras } from './model.js';

/** The app's name: model directories are tagged with it (the binary is rnnkit-mnist). */
export const MNIST_APP = 'mnist-rows';

/** A trained classifier with the run information saved next to it. */
export interface LoadedMnist {
  dir: string;
  model: tf.LayersModel;
  extras: MnistExtras;
}

/** Loads a mnist-rows model directory (or a run directory holding model/) through core's one loader. */
export async function loadMnistModel(dir: string): Promise<LoadedMnist> {
  const loaded = await loadAppModel(dir, MNIST_APP, mnistExtrasSchema);
  // The image size and class count the predictor reads from rnnkit.json must be those of the saved network.
  const cfg = loaded.extras.model;
  const [, timesteps, features] = loaded.model.inputs[0].shape;
  const [, classes] = loaded.model.outputs[0].shape;
  const [wantSteps, wantFeatures] = sequenceShape(cfg.mode, cfg.rows, cfg.cols);
  const mismatch =
    timesteps !== wantSteps || features !== wantFeatures ? `model.mode/rows/cols (${cfg.mode}, ${cfg.rows}×${cfg.cols}) do not match the network's input [${timesteps}, ${features}]`
    : classes !== cfg.numClasses ? `model.numClasses (${cfg.numClasses}) does not match the network's ${classes} outputs`
    : undefined;
  if (mismatch) {
    loaded.model.dispose();
    throw new RnnkitError(`${loaded.dir}/rnnkit.json: extras.${mismatch} (crafted or mismatched rnnkit.json)`);
  }
  return { dir: loaded.dir, model: loaded.model, extras: loaded.extras };
}

/**
 * The predictor input for a model of rows × cols images: `pixels`, either rows × cols values row by row or rows
 * arrays of cols values, each a gray level in [0, 255] (0 = background, 255 = ink, as in the IDX files).
 */
export function mnistInputSchemaFor(rows: number, cols: number) {
  const size = rows * cols;
  const both = `${size} values (a ${rows}×${cols} image row by row) or ${rows} rows of ${cols} values`;
  const pixel = z.number({ error: 'must be a number in [0, 255]' })
    .min(0, { error: 'must be a gray level in [0, 255]' })
    .max(255, { error: 'must be a gray level in [0, 255]' });
  const flat = z.array(pixel).length(size, { error: `must hold ${both}` });
  const grid = z
    .array(z.array(pixel).length(cols, { error: `each row must hold ${cols} values` }))
    .length(rows, { error: `must hold ${both}` });
  return z.strictObject({
    pixels: z.union([flat, grid], { error: `must be an array of ${both}, each in [0, 255]` }),
  });
}

/** The input schema of the app's 28×28 models (MNIST and Fashion-MNIST). */
export const mnistInputSchema = mnistInputSchemaFor(28, 28);
export type MnistInput = z.input<typeof mnistInputSchema>;

export interface MnistOutput {
  /** The most likely class id (0-9). */
  label: number;
  /** Its name in the dataset the model was trained on ("7" for MNIST, "Sneaker" for Fashion-MNIST). */
  className: string;
  /** Probability of every class, by class id; they sum to 1. */
  probabilities: number[];
}

/** A small valid input: a 28×28 vertical stroke, roughly a "1". */
export const exampleInput: MnistInput = {
  pixels: Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => (r >= 4 && r < 24 && c >= 13 && c < 15 ? 255 : 0))),
};

/**
 * The predictor: pixels in, class probabilities out; `predictBatch` classifies several images in one model call.
 * No Node APIs (the PNG path is the command line's, see predict.ts).
 */
export function mnistPredictor(loaded: LoadedMnist): Predictor<MnistInput, MnistOutput> {
  const { model: cfg, classNames } = loaded.extras;
  const size = cfg.rows * cfg.cols;
  const classify = (inputs: MnistInput[]): MnistOutput[] => {
    const values = new Float32Array(inputs.length * size);
    inputs.forEach((input, i) => values.set(Float32Array.from(input.pixels.flat(), (v) => v / 255), i * size));
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(values, [inputs.length, ...sequenceShape(cfg.mode, cfg.rows, cfg.cols)]);
      return runModel(loaded.model, x)[0].dataSync() as Float32Array;
    });
    const k = cfg.numClasses;
    return inputs.map((_, i) => {
      const row = Array.from(probs.subarray(i * k, (i + 1) * k));
      let label = 0;
      for (let c = 1; c < k; c++) if (row[c] > row[label]) label = c;
      return { label, className: classNames[label], probabilities: row };
    });
  };
  return createPredictor(MNIST_APP, mnistInputSchemaFor(cfg.rows, cfg.cols), (input) => classify([input])[0], () => loaded.model.dispose(), {
    runBatch: (inputs) => (inputs.length === 0 ? [] : classify(inputs)),
  });
}

/** Class names of an output: those of the dataset whose name for `label` is `className`, else the class ids. */
function classNamesOf(output: MnistOutput): readonly string[] {
  const names = Object.values(CLASS_NAMES).find((n) => n.length === output.probabilities.length && n[output.label] === output.className);
  return names ?? output.probabilities.map((_, c) => String(c));
}

/** Classes sorted by probability, most likely first. */
export function rankClasses(output: MnistOutput): { classId: number; name: string; probability: number }[] {
  const names = classNamesOf(output);
  const ranked = output.probabilities.map((probability, classId) => ({ classId, name: names[classId], probability }));
  return ranked.sort((a, b) => b.probability - a.probability);
}

/** All class probabilities, most likely first, then the prediction. */
export function formatPrediction(output: MnistOutput): string {
  const lines = rankClasses(output).map((r) => `  ${r.name.padEnd(12)} ${(100 * r.probability).toFixed(2).padStart(6)}%`);
  return [...lines, `prediction: ${output.className}`].join('\n');
}
