import { PNG } from 'pngjs';
import { RnnkitError } from '../errors.js';
import { GLYPH_H, GLYPH_W, rasterizeText } from './pixel-font.js';

export interface GrayImage {
  /** Row-major intensities in [0, 1] (0 = black); values outside are clamped. */
  pixels: ArrayLike<number>;
  w: number;
  h: number;
  /** Short text under the image (e.g. "7 OK" or "P3 T5"); cut to the cell width. */
  caption?: string;
}

export interface ImageGridOptions {
  /** Images per row (default: about square). */
  cols?: number;
  /** Pixel magnification (default 3). */
  scale?: number;
}

/** Lays grayscale images out in a grid with a caption under each, returns PNG bytes. */
export function imageGridPng(images: GrayImage[], opts: ImageGridOptions = {}): Uint8Array {
  if (images.length === 0) throw new RnnkitError('imageGridPng: no images given');
  const scale = opts.scale ?? 3;
  const cols = opts.cols ?? Math.ceil(Math.sqrt(images.length));
  if (!Number.isInteger(scale) || scale < 1) throw new RnnkitError(`imageGridPng: scale must be an integer >= 1, got ${scale}`);
  if (!Number.isInteger(cols) || cols < 1) throw new RnnkitError(`imageGridPng: cols must be an integer >= 1, got ${cols}`);
  images.forEach((im, i) => {
    if (!(Number.isInteger(im.w) && Number.isInteger(im.h) && im.w > 0 && im.h > 0)) {
      throw new RnnkitError(`imageGridPng: image ${i} has invalid size ${im.w}x${im.h}`);
    }
    if (im.pixels.length !== im.w * im.h) {
      throw new RnnkitError(`imageGridPng: image ${i} has ${im.pixels.length} pixels, expected ${im.w}x${im.h} = ${im.w * im.h}`);
    }
  });
  const pad = 4;
  const cellW = Math.max(...images.map((im) => im.w)) * scale;
  const imgH = Math.max(...images.map((im) => im.h)) * scale;
  const hasCaptions = images.some((im) => im.caption);
  // Captions at 2 screen pixels per font cell when they fit the cell width, else 1.
  const fontScale = images.every((im) => !im.caption || im.caption.length * (GLYPH_W + 1) * 2 <= cellW) ? 2 : 1;
  const captionH = hasCaptions ? GLYPH_H * fontScale + 6 : 0;
  const cellH = imgH + captionH;
  const rows = Math.ceil(images.length / cols);
  const png = new PNG({ width: pad + cols * (cellW + pad), height: pad + rows * (cellH + pad) });
  const setGray = (x: number, y: number, v: number) => {
    const o = (y * png.width + x) * 4;
    png.data[o] = png.data[o + 1] = png.data[o + 2] = v;
    png.data[o + 3] = 255;
  };
  // Light gray background separates the black image tiles.
  for (let y = 0; y < png.height; y++) for (let x = 0; x < png.width; x++) setGray(x, y, 225);

  images.forEach((im, i) => {
    const ox = pad + (i % cols) * (cellW + pad);
    const oy = pad + Math.floor(i / cols) * (cellH + pad);
    for (let y = 0; y < im.h * scale; y++) {
      for (let x = 0; x < im.w * scale; x++) {
        const v = im.pixels[Math.floor(y / scale) * im.w + Math.floor(x / scale)];
        setGray(ox + x, oy + y, Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0))));
      }
    }
    if (im.caption) {
      const maxChars = Math.floor((cellW + fontScale) / ((GLYPH_W + 1) * fontScale));
      const text = im.caption.slice(0, maxChars);
      rasterizeText(text, (gx, gy) => {
        for (let dy = 0; dy < fontScale; dy++) {
          for (let dx = 0; dx < fontScale; dx++) setGray(ox + gx * fontScale + dx, oy + imgH + 3 + gy * fontScale + dy, 0);
        }
      });
    }
  });
  return new Uint8Array(PNG.sync.write(png));
}
