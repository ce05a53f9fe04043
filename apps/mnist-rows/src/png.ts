import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { RnnkitError } from '@rnnkit/core';

/**
 * Turns a user's PNG into what the model saw in training: a square grayscale image with light ink on a dark
 * background, values 0..1.
 *
 * - Color is reduced to luminance (ITU-R BT.601 weights); transparent pixels are composited over white, the way
 *   most viewers show them.
 * - MNIST digits are white on black. With `invert: 'auto'` an image whose border is mostly light (dark ink on
 *   white paper, the usual drawing) is inverted; 'yes'/'no' force the choice.
 * - Non-square images are padded to a square with their background, so the digit keeps its aspect ratio.
 * - Sizes are changed by area averaging: each output pixel is the mean of the source area it covers, which keeps
 *   thin strokes visible when shrinking (nearest-neighbour would drop them).
 */

export type InvertMode = 'auto' | 'yes' | 'no';
export const INVERT_MODES: readonly InvertMode[] = ['auto', 'yes', 'no'];

export interface GrayImage {
  width: number;
  height: number;
  /** width × height values in 0..1, row-major. */
  values: Float32Array;
}

export interface PreparedImage extends GrayImage {
  inverted: boolean;
  originalWidth: number;
  originalHeight: number;
}

/** Largest image `predict` decodes: a photo of a digit needs far less, a decompression bomb far more. */
const MAX_PIXELS = 4096 * 4096;

/**
 * Width and height from the PNG header (IHDR, bytes 16-23), read before decoding, so that a small file that claims
 * 20000×20000 pixels is refused at once instead of being inflated into gigabytes.
 */
function checkPngSize(file: string, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || signature.some((b, i) => bytes[i] !== b)) throw new RnnkitError(`${file}: not a readable PNG (no PNG signature)`);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width * height > MAX_PIXELS) {
    throw new RnnkitError(`${file}: ${width}×${height} pixels is more than the ${MAX_PIXELS} this command decodes; scale the image down first`);
  }
}

export function decodePngGray(file: string): GrayImage {
  let png: PNG;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EISDIR' ? 'a directory, not a PNG file' : code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
    throw new RnnkitError(`${file}: cannot read (${why})`, { cause: err });
  }
  checkPngSize(file, bytes);
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new RnnkitError(`${file}: not a readable PNG (${(err as Error).message})`, { cause: err });
  }
  const { width, height, data } = png;
  const values = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b, a] = [data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]];
    const luminance = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    const alpha = a / 255;
    values[i] = luminance * alpha + (1 - alpha);
  }
  return { width, height, values };
}

/** Mean of the outermost ring of pixels: the background level of a centered drawing. */
export function borderMean(img: GrayImage): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (y === 0 || y === img.height - 1 || x === 0 || x === img.width - 1) {
        sum += img.values[y * img.width + x];
        n++;
      }
    }
  }
  return sum / n;
}

/** Centers the image on a square canvas filled with `background`. */
export function padToSquare(img: GrayImage, background: number): GrayImage {
  const side = Math.max(img.width, img.height);
  if (img.width === img.height) return img;
  const values = new Float32Array(side * side).fill(background);
  const x0 = Math.floor((side - img.width) / 2);
  const y0 = Math.floor((side - img.height) / 2);
  for (let y = 0; y < img.height; y++) {
    values.set(img.values.subarray(y * img.width, (y + 1) * img.width), (y0 + y) * side + x0);
  }
  return { width: side, height: side, values };
}

/**
 * weights[o] lists, for output cell o of `outSize`, which source cells it covers and by how much (fractions
 * summing to 1). Shared by both axes, so a 2-D area resize is two 1-D passes.
 */
function areaWeights(inSize: number, outSize: number): { index: number; weight: number }[][] {
  const scale = inSize / outSize;
  const weights: { index: number; weight: number }[][] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * scale;
    const end = (o + 1) * scale;
    const cells: { index: number; weight: number }[] = [];
    for (let i = Math.floor(start); i < Math.min(inSize, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) cells.push({ index: i, weight: overlap / scale });
    }
    weights.push(cells);
  }
  return weights;
}

export function resizeArea(img: GrayImage, width: number, height: number): GrayImage {
  if (img.width === width && img.height === height) return img;
  const wx = areaWeights(img.width, width);
  const wy = areaWeights(img.height, height);
  const horizontal = new Float32Array(width * img.height);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (const { index, weight } of wx[x]) v += img.values[y * img.width + index] * weight;
      horizontal[y * width + x] = v;
    }
  }
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (const { index, weight } of wy[y]) v += horizontal[index * width + x] * weight;
      values[y * width + x] = v;
    }
  }
  return { width, height, values };
}

/** Bounding box [x0, x1) × [y0, y1) of the pixels above `threshold`, or undefined when none is. */
export function inkBox(img: GrayImage, threshold: number): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let [x0, y0, x1, y1] = [img.width, img.height, 0, 0];
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if (img.values[y * img.width + x] <= threshold) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
    }
  }
  return x1 > x0 ? { x0, y0, x1, y1 } : undefined;
}

function crop(img: GrayImage, box: { x0: number; y0: number; x1: number; y1: number }): GrayImage {
  const width = box.x1 - box.x0;
  const height = box.y1 - box.y0;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    values.set(img.values.subarray((box.y0 + y) * img.width + box.x0, (box.y0 + y) * img.width + box.x1), y * width);
  }
  return { width, height, values };
}

/**
 * The normalization the MNIST authors applied, for a light-on-dark image: crop to the ink, scale it (aspect kept)
 * to fit a `fit` × `fit` box, and place it on a `size` × `size` black canvas so that its center of mass is the
 * canvas center. A user's digit drawn large and off-center then looks like the training digits.
 */
export function centerLikeMnist(img: GrayImage, size: number, fit: number): GrayImage {
  const peak = img.values.reduce((m, v) => Math.max(m, v), 0);
  const box = inkBox(img, 0.2 * peak);
  if (!box) return resizeArea(padToSquare(img, 0), size, size);
  const digit = resizeArea(padToSquare(crop(img, box), 0), fit, fit);
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < fit; y++) {
    for (let x = 0; x < fit; x++) {
      const v = digit.values[y * fit + x];
      [mass, mx, my] = [mass + v, mx + v * x, my + v * y];
    }
  }
  // Offset that moves the center of mass (pixel centers at +0.5) to the canvas center, kept on the canvas.
  const place = (center: number) => Math.min(size - fit, Math.max(0, Math.round(size / 2 - (center / mass + 0.5))));
  const [ox, oy] = [place(mx), place(my)];
  const values = new Float32Array(size * size);
  for (let y = 0; y < fit; y++) values.set(digit.values.subarray(y * fit, (y + 1) * fit), (oy + y) * size + ox);
  return { width: size, height: size, values };
}

/**
 * Reads `file` and returns a size × size light-on-dark image ready for the model. With `fit` the content is
 * centered like MNIST (see centerLikeMnist); without it the whole picture is padded and resized as it is.
 */
export function prepareDigitPng(file: string, opts: { size: number; invert: InvertMode; fit?: number }): PreparedImage {
  const gray = decodePngGray(file);
  const inverted = opts.invert === 'yes' || (opts.invert === 'auto' && borderMean(gray) > 0.5);
  const oriented = inverted ? { ...gray, values: gray.values.map((v) => 1 - v) } : gray;
  const prepared =
    opts.fit !== undefined
      ? centerLikeMnist(oriented, opts.size, opts.fit)
      : resizeArea(padToSquare(oriented, borderMean(oriented)), opts.size, opts.size);
  return { ...prepared, inverted, originalWidth: gray.width, originalHeight: gray.height };
}
