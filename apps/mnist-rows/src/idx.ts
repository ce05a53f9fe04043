import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { RnnkitError } from '@rnnkit/core';

/**
 * Reader for the IDX files MNIST and Fashion-MNIST ship in (http://yann.lecun.com/exdb/mnist/ describes the format):
 * a big-endian header — two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then one
 * uint32 per dimension — followed by the raw values. Files may be gzipped (detected by the gzip magic bytes, not by
 * the file name, so a renamed file still reads). Every check names the file, because a wrong or half-downloaded
 * file is the most common way this app fails.
 */

/** 0x00000803: unsigned bytes, 3 dimensions (count, rows, cols). */
export const IMAGES_MAGIC = 2051;
/** 0x00000801: unsigned bytes, 1 dimension (count). */
export const LABELS_MAGIC = 2049;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols bytes, row-major, 0 = background, 255 = ink. */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Returns the uncompressed bytes of `file`, gunzipping when it starts with the gzip magic. */
export function readMaybeGzipped(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RnnkitError(`${file}: cannot read (${code ?? (err as Error).message})`, { cause: err });
  }
  if (raw.length >= 2 && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1]) {
    try {
      return gunzipSync(raw);
    } catch (err) {
      throw new RnnkitError(
        `${file}: gzip data is corrupt or truncated (${(err as Error).message}); download the file again`,
        { cause: err },
      );
    }
  }
  return raw;
}

function describeMagic(magic: number): string {
  if (magic === IMAGES_MAGIC) return `${IMAGES_MAGIC} (an image file)`;
  if (magic === LABELS_MAGIC) return `${LABELS_MAGIC} (a label file)`;
  return String(magic);
}

/** Parses the header and checks magic and payload length; returns the dimensions and the payload. */
function parseIdx(file: string, bytes: Uint8Array, magic: number, what: string): { dims: number[]; payload: Uint8Array } {
  // The magic is checked before the header length so a wrong kind of file is reported as such, not as truncated.
  if (bytes.length < 4) {
    throw new RnnkitError(`${file}: only ${bytes.length} bytes, too short to be an IDX file; the file is truncated`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) {
    throw new RnnkitError(
      `${file}: bad magic number ${describeMagic(found)}, expected ${magic} for an IDX ${what} file`,
    );
  }
  const ndims = magic & 0xff;
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new RnnkitError(
      `${file}: too short for an IDX ${what} header (${bytes.length} bytes, need ${headerBytes}); the file is truncated`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const payload = bytes.subarray(headerBytes);
  if (payload.length < expected) {
    throw new RnnkitError(
      `${file}: truncated: header promises ${dims.join('×')} = ${expected} bytes of data but only ${payload.length} follow`,
    );
  }
  if (payload.length > expected) {
    throw new RnnkitError(
      `${file}: ${payload.length - expected} unexpected bytes after the ${dims.join('×')} ${what} the header declares`,
    );
  }
  return { dims, payload };
}

/** Reads an `*-idx3-ubyte[.gz]` image file. */
export function readIdxImages(file: string): IdxImages {
  const { dims, payload } = parseIdx(file, readMaybeGzipped(file), IMAGES_MAGIC, 'images');
  const [count, rows, cols] = dims;
  if (rows === 0 || cols === 0) throw new RnnkitError(`${file}: image size is ${rows}×${cols}`);
  return { count, rows, cols, pixels: payload };
}

/** Reads an `*-idx1-ubyte[.gz]` label file; labels must be class ids below `numClasses`. */
export function readIdxLabels(file: string, numClasses = 10): IdxLabels {
  const { dims, payload } = parseIdx(file, readMaybeGzipped(file), LABELS_MAGIC, 'labels');
  const bad = payload.findIndex((label) => label >= numClasses);
  if (bad >= 0) {
    throw new RnnkitError(`${file}: label #${bad} is ${payload[bad]}, expected a class id 0..${numClasses - 1}`);
  }
  return { count: dims[0], labels: payload };
}

/** An image file and its label file, checked to describe the same number of items. */
export interface LabeledImages {
  images: IdxImages;
  labels: Uint8Array;
}

export function readIdxPair(imagesFile: string, labelsFile: string): LabeledImages {
  const images = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile);
  if (images.count !== labels.count) {
    throw new RnnkitError(
      `${imagesFile} holds ${images.count} images but ${labelsFile} holds ${labels.count} labels; they must match`,
    );
  }
  return { images, labels: labels.labels };
}

/** Encodes images or labels as IDX bytes (the inverse of the readers; tests build their fixture files with it). */
export function encodeIdx(magic: number, dims: number[], payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}
