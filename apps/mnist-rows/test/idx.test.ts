import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { RnnkitError } from '@rnnkit/core';
import { readIdxImages, readIdxLabels, readIdxPair } from '../src/idx.js';
import { imagesIdx, labelsIdx, syntheticImages, tempDir } from './fixtures.js';

const dir = tempDir('idx');
function fixture(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

const { pixels, labels } = syntheticImages(5, 3, 4);
const goodImages = imagesIdx(pixels, 5, 3, 4);
const goodLabels = labelsIdx(labels);

describe('IDX reader', () => {
  it('reads raw and gzipped image and label files identically', () => {
    for (const [imgFile, labFile] of [
      [fixture('img', goodImages), fixture('lab', goodLabels)],
      [fixture('img.gz', gzipSync(goodImages)), fixture('lab.gz', gzipSync(goodLabels))],
    ]) {
      const pair = readIdxPair(imgFile, labFile);
      expect(pair.images).toMatchObject({ count: 5, rows: 3, cols: 4 });
      expect(Array.from(pair.images.pixels)).toEqual(Array.from(pixels));
      expect(Array.from(pair.labels)).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('rejects a label file given as images (bad magic) and names the file', () => {
    const file = fixture('swapped', goodLabels);
    expect(() => readIdxImages(file)).toThrow(RnnkitError);
    expect(() => readIdxImages(file)).toThrow(`${file}: bad magic number 2049 (a label file), expected 2051`);
    const junk = fixture('junk', new Uint8Array([1, 2, 3, 4, 0, 0, 0, 1, 9]));
    expect(() => readIdxLabels(junk)).toThrow(`${junk}: bad magic number 16909060, expected 2049`);
  });

  it('reports truncated payloads, truncated headers and trailing bytes', () => {
    const cut = fixture('cut', goodImages.subarray(0, goodImages.length - 7));
    expect(() => readIdxImages(cut)).toThrow(`${cut}: truncated: header promises 5×3×4 = 60 bytes of data but only 53 follow`);
    const header = fixture('header', goodImages.subarray(0, 10));
    expect(() => readIdxImages(header)).toThrow(`${header}: too short for an IDX images header (10 bytes, need 16)`);
    const extra = fixture('extra', new Uint8Array([...goodLabels, 1, 2]));
    expect(() => readIdxLabels(extra)).toThrow(`${extra}: 2 unexpected bytes after`);
  });

  it('reports corrupt gzip data', () => {
    const gz = gzipSync(goodImages);
    const file = fixture('broken.gz', gz.subarray(0, gz.length - 20));
    expect(() => readIdxImages(file)).toThrow(`${file}: gzip data is corrupt or truncated`);
  });

  it('rejects labels outside 0..9 with their index', () => {
    const file = fixture('badlabel', labelsIdx(new Uint8Array([3, 1, 12])));
    expect(() => readIdxLabels(file)).toThrow(`${file}: label #2 is 12, expected a class id 0..9`);
  });

  it('rejects an image/label count mismatch naming both files', () => {
    const img = fixture('img5', goodImages);
    const lab = fixture('lab4', labelsIdx(labels.subarray(0, 4)));
    expect(() => readIdxPair(img, lab)).toThrow(`${img} holds 5 images but ${lab} holds 4 labels`);
  });

  it('names a missing file', () => {
    const file = path.join(dir, 'nope');
    expect(() => readIdxImages(file)).toThrow(`${file}: cannot read (ENOENT)`);
  });
});
