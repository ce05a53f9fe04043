import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  RnnkitError, appModelFromArtifacts, argmax, createPredictor, runModel, tidyValues, type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { CLASS_NAMES } from './datasets.js';
import { sequenceShape, sequenceTensor, type InputMode } from './images.js';
import { buildEveryStepModel, mnistExtrasSchema, type MnistExtras } from './model.js';

/**
 * mnist-rows' predictor, for the CLI, a server and a web page alike: no Node APIs here or in what it imports (the
 * PNG path is the command line's, see predict.ts). A page builds it with
 * `predictorFromArtifacts(await loadModelFromUrl(url))`; Node reads a directory with `loadMnistModel`
 * (load-model.ts). Both go through `mnistFromAppModel`.
 */

/** The app's name: model directories are tagged with it (the binary is rnnkit-mnist). */
export const MNIST_APP = 'mnist-rows';

/** A trained classifier with the run information saved next to it. */
export interface LoadedMnist {
  dir: string;
  model: tf.LayersModel;
  extras: MnistExtras;
}

/**
 * A loaded mnist-rows model (from a directory or from fetched files, its extras validated), once the image size and
 * class count the predictor reads from rnnkit.json are checked to be those of the saved network. Disposes the model
 * when they are not.
 */
export function mnistFromAppModel(loaded: LoadedAppModel<MnistExtras>): LoadedMnist {
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
export function mnistInputSchemaFor(rows: number, cols: number, model: { bidirectional: boolean; mode?: InputMode } = { bidirectional: false }) {
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
    /** Also return the class probabilities after each row (`rows` in the output); needs a unidirectional model. */
    rows: z
      .boolean()
      .refine((wanted) => !(wanted && model.bidirectional), {
        message: 'needs a unidirectional model: this one is bidirectional (its backward half reads the whole image before any row)',
      })
      // A column reader has seen part of every row at each step, so no step is "after row r".
      .refine((wanted) => !(wanted && model.mode === 'columns'), { message: 'needs a model that reads rows or pixels: this one reads columns (--mode columns)' })
      .optional(),
  });
}

/**
 * The common input, `{ pixels }` alone (flat or rows × cols) with every value a number in [0, 255], checked by one
 * loop: true only for what `mnistInputSchemaFor(rows, cols)` accepts unchanged (anything else, every invalid input
 * among it, goes through the schema and its error messages). The schema checks each of the 784 numbers by itself,
 * which costs more than a server's batched model call per image.
 */
export function plainPixelsFor(rows: number, cols: number): (input: unknown) => boolean {
  const gray = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 255; // false for NaN
  const all = (values: unknown, length: number) => {
    if (!Array.isArray(values) || values.length !== length) return false;
    for (let i = 0; i < length; i++) if (!gray(values[i])) return false; // a loop: every() skips holes
    return true;
  };
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input) || Object.getPrototypeOf(input) !== Object.prototype) return false;
    const keys = Object.keys(input);
    if (keys.length !== 1 || keys[0] !== 'pixels') return false;
    const pixels = (input as { pixels: unknown }).pixels;
    if (all(pixels, rows * cols)) return true;
    if (!Array.isArray(pixels) || pixels.length !== rows) return false;
    for (let r = 0; r < rows; r++) if (!all(pixels[r], cols)) return false;
    return true;
  };
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
  /**
   * With `rows: true`: the RNN's reading, row by row. `rows[r]` is the probability of every class that the class
   * head gives on the recurrent state after reading rows 0..r (in pixel mode, after the row's last pixel); the last
   * one is `probabilities`.
   */
  rows?: number[][];
}

/** A small valid input: a 28×28 vertical stroke, roughly a "1". */
export const exampleInput: MnistInput = {
  pixels: Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => (r >= 4 && r < 24 && c >= 13 && c < 15 ? 255 : 0))),
};

/**
 * The predictor: pixels in, class probabilities out (and, on request, the probabilities after each row);
 * `predictBatch` classifies several images in one model call.
 */
export function mnistPredictor(loaded: LoadedMnist): Predictor<MnistInput, MnistOutput> {
  const { model: cfg, classNames } = loaded.extras;
  const size = cfg.rows * cfg.cols;
  // The timestep at which each row has been read: every step in row mode, each row's last pixel in pixel mode
  // (the input schema refuses `rows` for a column reader).
  const rowEnds = Array.from({ length: cfg.rows }, (_, r) => (cfg.mode === 'rows' ? r : (r + 1) * cfg.cols - 1));
  const images = (inputs: MnistInput[]) => {
    // A plain loop: Float32Array.from with a map function cost more than the model call (a server's batches).
    const values = new Float32Array(inputs.length * size);
    let o = 0;
    for (const input of inputs) {
      for (const p of input.pixels) {
        if (typeof p === 'number') values[o++] = p / 255;
        else for (const v of p) values[o++] = v / 255;
      }
    }
    return sequenceTensor(values, inputs.length, cfg.rows, cfg.cols, cfg.mode);
  };
  // Built on the first request for rows: most requests do not ask for them.
  let everyStep: tf.LayersModel | undefined;
  const classify = (inputs: MnistInput[]): MnistOutput[] => {
    const k = cfg.numClasses;
    const probs = tidyValues(() => runModel(loaded.model, images(inputs))[0]);
    const withRows = inputs.flatMap((input, i) => (input.rows ? [i] : []));
    const rowProbs = new Map<number, number[][]>();
    if (withRows.length > 0) {
      everyStep ??= buildEveryStepModel(loaded.model);
      const model = everyStep;
      const values = tidyValues(() => tf.gather(runModel(model, images(withRows.map((i) => inputs[i])))[0], rowEnds, 1));
      withRows.forEach((i, n) => rowProbs.set(i, rowEnds.map((_, r) => Array.from(values.subarray((n * cfg.rows + r) * k, (n * cfg.rows + r + 1) * k)))));
    }
    return inputs.map((_, i) => {
      const row = Array.from(probs.subarray(i * k, (i + 1) * k));
      const label = argmax(row);
      const rows = rowProbs.get(i);
      return { label, className: classNames[label], probabilities: row, ...(rows ? { rows } : {}) };
    });
  };
  return createPredictor(
    MNIST_APP,
    mnistInputSchemaFor(cfg.rows, cfg.cols, cfg),
    (input) => classify([input])[0],
    () => {
      everyStep?.dispose();
      loaded.model.dispose();
    },
    { runBatch: (inputs) => (inputs.length === 0 ? [] : classify(inputs)), fastPath: plainPixelsFor(cfg.rows, cfg.cols) },
  );
}

/**
 * The predictor of a model a page fetched (`loadModelFromUrl`) or read into memory (`loadModelFromArtifacts`):
 * refuses another app's model and invalid extras, disposing the model.
 */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<MnistInput, MnistOutput> {
  return mnistPredictor(mnistFromAppModel(appModelFromArtifacts(loaded, MNIST_APP, mnistExtrasSchema)));
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
