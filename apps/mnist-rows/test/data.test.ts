import { renameSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SPLIT, loadSplits, resolveFiles } from '../src/data.js';
import { tempDir, writeDatasetFolder } from './fixtures.js';

/** Each synthetic image is constant with value (i * 7) % 256, which identifies it (for i < 37). */
function ids(set: { pixels: Uint8Array; rows: number; cols: number; labels: Uint8Array }): number[] {
  const size = set.rows * set.cols;
  return Array.from(set.labels, (_, k) => set.pixels[k * size]);
}

describe('dataset folders and splits', () => {
  const env = { data: process.env.RNNKIT_DATA_DIR, cache: process.env.RNNKIT_CACHE_DIR };
  beforeEach(() => {
    process.env.RNNKIT_CACHE_DIR = tempDir('cache');
  });
  afterEach(() => {
    process.env.RNNKIT_DATA_DIR = env.data;
    process.env.RNNKIT_CACHE_DIR = env.cache;
    if (env.data === undefined) delete process.env.RNNKIT_DATA_DIR;
    if (env.cache === undefined) delete process.env.RNNKIT_CACHE_DIR;
  });

  it('with training images: train/val from the train files, test = the whole test file', async () => {
    const dir = writeDatasetFolder({ train: 30, test: 12, gz: true });
    const splits = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), { ...DEFAULT_SPLIT, valFraction: 0.2 });
    expect(splits.trainedOnTestSet).toBe(false);
    expect([splits.train.labels.length, splits.val.labels.length, splits.test.labels.length]).toEqual([24, 6, 12]);
    const trainAndVal = [...ids(splits.train), ...ids(splits.val)].sort((a, b) => a - b);
    expect(trainAndVal).toEqual(Array.from({ length: 30 }, (_, i) => (i * 7) % 256).sort((a, b) => a - b));
    expect(splits.description).toContain('full official test set (12 images)');
  });

  it('without training images: disjoint, seeded train/val/test parts of the test file, and says so', async () => {
    const dir = writeDatasetFolder({ train: 0, test: 36 });
    const cfg = { ...DEFAULT_SPLIT, testFraction: 0.25, valFraction: 0.1 };
    const splits = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), cfg);
    expect(splits.trainedOnTestSet).toBe(true);
    expect(splits.description).toContain('NO TRAINING IMAGES');
    expect(splits.description).toContain('27 images to train/validate on and a disjoint 9 to test on');
    const [tr, va, te] = [ids(splits.train), ids(splits.val), ids(splits.test)];
    expect(te).toHaveLength(9);
    expect(new Set([...tr, ...va, ...te]).size).toBe(36);
    // Same seed, same split; another seed, another split.
    const again = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), cfg);
    expect(ids(again.test)).toEqual(te);
    const other = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), { ...cfg, splitSeed: 5 });
    expect(ids(other.test)).not.toEqual(te);
  });

  it('holdOutFromTestSet reproduces the test-set split even when training images exist', async () => {
    const dir = writeDatasetFolder({ train: 0, test: 36 });
    const cfg = { ...DEFAULT_SPLIT, testFraction: 0.25 };
    const before = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), cfg);
    const withTrain = writeDatasetFolder({ train: 20, test: 36 });
    const after = loadSplits(await resolveFiles({ dataset: 'mnist', dir: withTrain }), { ...cfg, holdOutFromTestSet: true });
    expect(ids(after.test)).toEqual(ids(before.test));
    expect(after.trainedOnTestSet).toBe(true);
  });

  it('uses training images cached by an earlier --download when the local folder lacks them', async () => {
    const local = writeDatasetFolder({ train: 0, test: 8 });
    const downloaded = writeDatasetFolder({ train: 12, test: 8, gz: true });
    renameSync(downloaded, path.join(process.env.RNNKIT_CACHE_DIR!, 'mnist'));
    const found = await resolveFiles({ dataset: 'mnist', dir: local });
    expect(found.files.testImages).toBe(path.join(local, 't10k-images-idx3-ubyte'));
    expect(found.files.trainImages).toBe(path.join(process.env.RNNKIT_CACHE_DIR!, 'mnist', 'train-images-idx3-ubyte.gz'));
    expect(loadSplits(found, DEFAULT_SPLIT).trainedOnTestSet).toBe(false);
  });

  it('maxTrain caps the training part', async () => {
    const dir = writeDatasetFolder({ train: 30, test: 5 });
    const splits = loadSplits(await resolveFiles({ dataset: 'mnist', dir }), { ...DEFAULT_SPLIT, maxTrain: 7 });
    expect(splits.train.labels.length).toBe(7);
  });

  it('finds $RNNKIT_DATA_DIR/<dataset> and names the places it looked when test files are missing', async () => {
    const root = tempDir('root');
    const dir = writeDatasetFolder({ train: 0, test: 5 });
    renameSync(dir, path.join(root, 'fashion-mnist'));
    process.env.RNNKIT_DATA_DIR = root;
    const found = await resolveFiles({ dataset: 'fashion-mnist' });
    expect(found.files.testImages).toBe(path.join(root, 'fashion-mnist', 't10k-images-idx3-ubyte'));
    const empty = tempDir('empty');
    await expect(resolveFiles({ dataset: 'mnist', dir: empty })).rejects.toThrow(
      `no t10k-images-idx3-ubyte[.gz] for mnist: looked in ${empty} and ${path.join(process.env.RNNKIT_CACHE_DIR!, 'mnist')}`,
    );
    await expect(resolveFiles({ dataset: 'mnist', dir: path.join(empty, 'x') })).rejects.toThrow('no such folder');
  });

  it('rejects train and test images of different sizes', async () => {
    const dir = writeDatasetFolder({ train: 4, test: 4 });
    const small = writeDatasetFolder({ train: 0, test: 4, rows: 14, cols: 14 });
    renameSync(path.join(small, 't10k-images-idx3-ubyte'), path.join(dir, 't10k-images-idx3-ubyte'));
    await expect(async () => loadSplits(await resolveFiles({ dataset: 'mnist', dir }), DEFAULT_SPLIT)).rejects.toThrow('has 28×28 images but');
  });
});
