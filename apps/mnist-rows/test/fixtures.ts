import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { IMAGES_MAGIC, LABELS_MAGIC, encodeIdx } from '../src/idx.js';

/** Tiny synthetic IDX datasets written to a fresh temp folder. */

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `rnnkit-mnist-${prefix}-`));
}

/** `count` images of rows × cols where image i has every pixel equal to (i * 7) % 256, labels i % 10. */
export function syntheticImages(count: number, rows = 28, cols = 28): { pixels: Uint8Array; labels: Uint8Array } {
  const pixels = new Uint8Array(count * rows * cols);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    pixels.fill((i * 7) % 256, i * rows * cols, (i + 1) * rows * cols);
    labels[i] = i % 10;
  }
  return { pixels, labels };
}

export function imagesIdx(pixels: Uint8Array, count: number, rows = 28, cols = 28): Uint8Array {
  return encodeIdx(IMAGES_MAGIC, [count, rows, cols], pixels);
}

export function labelsIdx(labels: Uint8Array): Uint8Array {
  return encodeIdx(LABELS_MAGIC, [labels.length], labels);
}

/**
 * Writes an MNIST-style folder: test files always, training files when `train` > 0; gzipped when `gz`.
 */
export function writeDatasetFolder(opts: { train: number; test: number; gz?: boolean; rows?: number; cols?: number }): string {
  const dir = tempDir('data');
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const write = (name: string, bytes: Uint8Array) =>
    writeFileSync(path.join(dir, opts.gz ? `${name}.gz` : name), opts.gz ? gzipSync(bytes) : bytes);
  const test = syntheticImages(opts.test, rows, cols);
  write('t10k-images-idx3-ubyte', imagesIdx(test.pixels, opts.test, rows, cols));
  write('t10k-labels-idx1-ubyte', labelsIdx(test.labels));
  if (opts.train > 0) {
    const train = syntheticImages(opts.train, rows, cols);
    write('train-images-idx3-ubyte', imagesIdx(train.pixels, opts.train, rows, cols));
    write('train-labels-idx1-ubyte', labelsIdx(train.labels));
  }
  return dir;
}
