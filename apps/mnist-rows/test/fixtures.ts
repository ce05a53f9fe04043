import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { saveModelDir, setSeed } from '@rnnkit/core';
import { DEFAULT_SPLIT, type SplitConfig } from '../src/data.js';
import { CLASS_NAMES, type DatasetName } from '../src/datasets.js';
import { IMAGES_MAGIC, LABELS_MAGIC, encodeIdx } from '../src/idx.js';
import { DEFAULT_MODEL, buildModel, type MnistExtras, type ModelConfig } from '../src/model.js';
import { MNIST_APP } from '../src/predictor.js';
import { APP_VERSION } from '../src/version.js';

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

/** Saves an untrained model as train would (app identity, extras; seeded weights) and returns its run directory. */
export async function savedModel(
  dataset: DatasetName,
  cfg: ModelConfig = { ...DEFAULT_MODEL, cell: 'gru', units: [6] },
  opts: { seed?: number; split?: SplitConfig } = {},
): Promise<string> {
  setSeed(opts.seed ?? 5);
  const model = buildModel(cfg);
  const run = tempDir('predictor');
  const extras: MnistExtras = {
    model: cfg, dataset, classNames: [...CLASS_NAMES[dataset]], split: opts.split ?? DEFAULT_SPLIT, trainedOnTestSet: false,
    dataDescription: 'fixture', data: run,
  };
  await saveModelDir(path.join(run, 'model'), model, { app: { name: MNIST_APP, version: APP_VERSION }, extras });
  model.dispose();
  return run;
}
