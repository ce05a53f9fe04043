import * as path from 'node:path';
import { RNNKIT_JSON, RnnkitError, checkModelApp, parseWithSchema, readJsonFile } from '@rnnkit/core';
import type { DatasetName } from './datasets.js';
import { mnistExtrasSchema, type MnistExtras } from './model.js';
import { prepareDigitPng, type InvertMode, type PreparedImage } from './png.js';
import { MNIST_APP, type MnistInput } from './predictor.js';

/**
 * The command-line side of `predict`: a user's PNG file → the predictor's `{ pixels }` input, prepared the way the
 * model's training images look (png.ts), plus a text rendering of what the model is shown.
 */

/**
 * How large the content of a training image is: MNIST digits were fitted into 20×20 of the 28×28 frame;
 * Fashion-MNIST products fill the frame.
 */
const CONTENT_FIT: Record<DatasetName, (size: number) => number> = {
  mnist: (size) => Math.round((size * 20) / 28),
  'fashion-mnist': (size) => size,
};

/** The extras of a mnist-rows model directory (or run directory), read without loading the weights. */
export async function readMnistExtras(modelArg: string): Promise<{ dir: string; extras: MnistExtras }> {
  const dir = await checkModelApp(modelArg, MNIST_APP);
  const file = path.join(dir, RNNKIT_JSON);
  const meta = (await readJsonFile(file, 'model metadata')) as { extras?: unknown } | null;
  return { dir, extras: parseWithSchema(mnistExtrasSchema, meta?.extras, `${file} (extras)`) };
}

export interface PngInput {
  input: MnistInput;
  image: PreparedImage;
}

/**
 * Reads `file` and prepares it for the model in `dir` (its image size, the dataset it was trained on): with
 * `center`, the content is cropped and centered like the training images (see centerLikeMnist); without it, only
 * padded and resized.
 */
export function pngInput(
  file: string,
  modelDir: { dir: string; extras: Pick<MnistExtras, 'model' | 'dataset'> },
  opts: { invert: InvertMode; center: boolean },
): PngInput {
  const { model, dataset } = modelDir.extras;
  if (model.rows !== model.cols) throw new RnnkitError(`${modelDir.dir}: predict needs a model of square images, not ${model.rows}×${model.cols}`);
  const fit = opts.center ? CONTENT_FIT[dataset](model.rows) : undefined;
  const image = prepareDigitPng(file, { size: model.rows, invert: opts.invert, fit });
  // 0..1 → gray levels 0..255, clamped: area averaging may land a hair outside [0, 1].
  const pixels = Array.from(image.values, (v) => Math.min(255, Math.max(0, v * 255)));
  return { input: { pixels }, image };
}

/** "digit.png: 104×84 resized to 28×28, inverted (light background)" and the prepared image as text. */
export function describePreparedImage(file: string, image: PreparedImage): string {
  const resized = image.originalWidth !== image.width || image.originalHeight !== image.height;
  return (
    `${file}: ${image.originalWidth}×${image.originalHeight}` +
    `${resized ? ` resized to ${image.width}×${image.height}` : ''}` +
    `${image.inverted ? ', inverted (light background)' : ''}\n${asciiImage(image)}\n`
  );
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
