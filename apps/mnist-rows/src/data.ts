import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import seedrandom from 'seedrandom';
import { RnnkitError, cacheDir, fetchCached, shuffledIndices } from '@rnnkit/core';
import type { DatasetName } from './datasets.js';
import { readIdxPair, type LabeledImages } from './idx.js';
import { imageCount, subset, type ImageSet } from './images.js';

/**
 * Where the images come from and how they are split into train / validation / test.
 *
 * Lookup order for each IDX file: the --data folder, else $RNNKIT_DATA_DIR/<dataset>/, then the download cache
 * ($RNNKIT_CACHE_DIR/<dataset>/ or ~/.cache/rnnkit/<dataset>/), then a download from the public mirrors — done
 * automatically when no local folder exists at all, or for missing files when --download is given.
 *
 * A folder with test files but no training images (this project's $RNNKIT_DATA_DIR/mnist/, whose 60k training
 * images could not be obtained) is still usable: the 10k test set is split, with a fixed split seed, into a part to
 * train on and a disjoint part to test on. Every report says when that happened, because such figures are not
 * comparable with results on the official test set.
 */

type FileRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

const FILE_NAMES: Record<FileRole, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Public mirrors serving the four `<name>.gz` files, tried in order. */
export const MIRRORS: Record<DatasetName, readonly string[]> = {
  // yann.lecun.com now often refuses scripted downloads; these two mirrors serve the identical files.
  mnist: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
  'fashion-mnist': [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
  ],
};

/** Published MD5 sums of the gzipped files, so a damaged or substituted download is rejected before use. */
const MD5: Record<DatasetName, Record<FileRole, string>> = {
  mnist: {
    trainImages: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    trainLabels: 'd53e105ee54ea40749a09fcbcd1e9432',
    testImages: '9fb629c4189551a2d022fa330f9573f3',
    testLabels: 'ec29112dd5afa0611ce80d1b7f02629c',
  },
  'fashion-mnist': {
    trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
    testImages: 'bef4ecab320f06d8554ea6380940ec79',
    testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
  },
};

const DOWNLOAD_TIMEOUT_MS = 30_000;

export interface DataLocation {
  dataset: DatasetName;
  /** --data: a folder holding the IDX files (gzipped or raw). */
  dir?: string;
  /** Download files missing from the local folder into the cache. */
  download?: boolean;
}

export function datasetCacheDir(dataset: DatasetName): string {
  return path.join(cacheDir(), dataset);
}

/** The folder named by --data, else $RNNKIT_DATA_DIR/<dataset>, else undefined. */
export function localDir(loc: DataLocation): string | undefined {
  if (loc.dir) {
    if (!existsSync(loc.dir)) throw new RnnkitError(`--data ${loc.dir}: no such folder`);
    return loc.dir;
  }
  const root = process.env.RNNKIT_DATA_DIR;
  if (root && existsSync(path.join(root, loc.dataset))) return path.join(root, loc.dataset);
  return undefined;
}

/** `<dir>/<name>.gz` or `<dir>/<name>`, whichever exists. */
function findIdx(dir: string, role: FileRole): string | undefined {
  for (const candidate of [`${FILE_NAMES[role]}.gz`, FILE_NAMES[role]]) {
    const file = path.join(dir, candidate);
    if (existsSync(file)) return file;
  }
  return undefined;
}

async function download(dataset: DatasetName, role: FileRole): Promise<string> {
  const target = path.join(datasetCacheDir(dataset), `${FILE_NAMES[role]}.gz`);
  const failures: string[] = [];
  for (const mirror of MIRRORS[dataset]) {
    const url = `${mirror}${FILE_NAMES[role]}.gz`;
    try {
      process.stderr.write(`downloading ${url} → ${target}\n`);
      await fetchCached(url, target, { timeoutMs: DOWNLOAD_TIMEOUT_MS });
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    const md5 = createHash('md5').update(readFileSync(target)).digest('hex');
    if (md5 !== MD5[dataset][role]) {
      throw new RnnkitError(`${target}: MD5 ${md5} differs from the published ${MD5[dataset][role]}; delete it and retry`);
    }
    return target;
  }
  throw new RnnkitError(`could not download ${FILE_NAMES[role]}.gz for ${dataset}:\n  ${failures.join('\n  ')}`);
}

export interface ResolvedFiles {
  dataset: DatasetName;
  files: Partial<Record<FileRole, string>>;
}

/** Finds (or downloads) the IDX files; the test files are required, the training files optional. */
export async function resolveFiles(loc: DataLocation): Promise<ResolvedFiles> {
  const dir = localDir(loc);
  const cache = datasetCacheDir(loc.dataset);
  const files: Partial<Record<FileRole, string>> = {};
  for (const role of Object.keys(FILE_NAMES) as FileRole[]) {
    const found = (dir && findIdx(dir, role)) || findIdx(cache, role);
    if (found) files[role] = found;
    else if (dir === undefined || loc.download) files[role] = await download(loc.dataset, role);
  }
  for (const role of ['testImages', 'testLabels'] as const) {
    if (!files[role]) {
      throw new RnnkitError(
        `no ${FILE_NAMES[role]}[.gz] for ${loc.dataset}: looked in ${dir ?? '(no --data, $RNNKIT_DATA_DIR unset)'} ` +
          `and ${cache}; pass --download (needs network) or --data DIR`,
      );
    }
  }
  return { dataset: loc.dataset, files };
}

export interface SplitConfig {
  /** Fraction of the training images held out for validation (early stopping, model selection). */
  valFraction: number;
  /** Only without training images: fraction of the test set held out as the test part. */
  testFraction: number;
  /** Seed of the split permutations (kept apart from the training seed so every run sees the same split). */
  splitSeed: number;
  /** Cap on the number of training images (after the validation split), for quick runs. */
  maxTrain?: number;
  /**
   * Cut train and test from the test set even when training images exist: `evaluate` sets this for a model that
   * was trained that way, so it is never tested on images it trained on.
   */
  holdOutFromTestSet?: boolean;
}

export const DEFAULT_SPLIT: SplitConfig = { valFraction: 0.1, testFraction: 0.2, splitSeed: 20_240_101 };

export interface Splits {
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
  /** True when train/val/test were all cut from the official test set (no training images available). */
  trainedOnTestSet: boolean;
  /** One paragraph saying where each part comes from; printed by train and evaluate and saved with the model. */
  description: string;
}

function splitRng(seed: number, purpose: string): () => number {
  return seedrandom.alea(`${seed}:${purpose}`);
}

/** Splits `n` indices into a random tail of `round(n * fraction)` and the rest, both in a seeded order. */
function cut(n: number, fraction: number, rng: () => number): { rest: number[]; held: number[] } {
  const order = shuffledIndices(n, rng);
  const held = Math.round(n * fraction);
  return { rest: Array.from(order.slice(0, n - held)), held: Array.from(order.slice(n - held)) };
}

function toImageSet(pair: LabeledImages): ImageSet {
  return { rows: pair.images.rows, cols: pair.images.cols, pixels: pair.images.pixels, labels: pair.labels };
}

export function loadSplits(resolved: ResolvedFiles, cfg: SplitConfig): Splits {
  const { files, dataset } = resolved;
  const testAll = toImageSet(readIdxPair(files.testImages!, files.testLabels!));
  let trainPool: ImageSet;
  let test: ImageSet;
  let origin: string;
  const trainedOnTestSet = Boolean(cfg.holdOutFromTestSet) || !(files.trainImages && files.trainLabels);
  if (!trainedOnTestSet) {
    trainPool = toImageSet(readIdxPair(files.trainImages!, files.trainLabels!));
    if (trainPool.rows !== testAll.rows || trainPool.cols !== testAll.cols) {
      throw new RnnkitError(
        `${files.trainImages} has ${trainPool.rows}×${trainPool.cols} images but ${files.testImages} ` +
          `has ${testAll.rows}×${testAll.cols}`,
      );
    }
    test = testAll;
    origin = `${dataset}: training images from ${files.trainImages}, test = the full official test set (${imageCount(test)} images).`;
  } else {
    const { rest, held } = cut(imageCount(testAll), cfg.testFraction, splitRng(cfg.splitSeed, 'test'));
    trainPool = subset(testAll, rest);
    test = subset(testAll, held);
    origin =
      `${dataset}: ${cfg.holdOutFromTestSet ? 'the model was trained on part of the test set' : 'NO TRAINING IMAGES found'}, ` +
      `so train and test both come from the official test set ${files.testImages}: ${rest.length} images to ` +
      `train/validate on and a disjoint ${held.length} to test on (split seed ${cfg.splitSeed}). Accuracy is on ` +
      `held-out images but not comparable with official test-set figures` +
      (cfg.holdOutFromTestSet ? '.' : `; pass --download to fetch the ${dataset} training images.`);
  }
  const { rest, held } = cut(imageCount(trainPool), cfg.valFraction, splitRng(cfg.splitSeed, 'val'));
  const trainIdx = cfg.maxTrain !== undefined ? rest.slice(0, cfg.maxTrain) : rest;
  const train = subset(trainPool, trainIdx);
  const val = subset(trainPool, held);
  const description = `${origin} Train ${imageCount(train)}, validation ${imageCount(val)}, test ${imageCount(test)}.`;
  return { train, val, test, trainedOnTestSet, description };
}
