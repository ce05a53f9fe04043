import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnkitError } from '../errors.js';

/**
 * What a run's training data was, by content: resuming restores weights (and an optimizer, an RNG position, a
 * shuffle order) that only make sense on the data they were trained on. The vocabulary or scaler recorded in the
 * checkpoint catches most changes but not all: the same characters in another order, rows edited after the scaler's
 * fit window, images swapped. The checkpoint therefore records a SHA-256 per data file (in train-state.json, see
 * TrainConfig.dataFingerprint), and `--resume` on different bytes is refused naming the file.
 */
export interface DataFileFingerprint {
  /** Absolute path when fingerprinted; informational only: the same bytes at another path are the same data. */
  file: string;
  bytes: number;
  sha256: string;
}

const CHUNK = 1 << 20;

/** The fingerprint of each file, in the given order (the order the app reads them in). Reads in 1 MB chunks. */
export function fingerprintFiles(files: readonly string[]): DataFileFingerprint[] {
  const buffer = Buffer.alloc(CHUNK);
  return files.map((file) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let fd: number | undefined;
    try {
      fd = fs.openSync(file, 'r');
      for (let n = fs.readSync(fd, buffer, 0, CHUNK, null); n > 0; n = fs.readSync(fd, buffer, 0, CHUNK, null)) {
        hash.update(buffer.subarray(0, n));
        bytes += n;
      }
    } catch (err) {
      throw new RnnkitError(`${file}: cannot read it to fingerprint the training data (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return { file: path.resolve(file), bytes, sha256: hash.digest('hex') };
  });
}

function isFingerprint(value: unknown): value is DataFileFingerprint[] {
  return Array.isArray(value) && value.every((f) => {
    const o = f as Partial<DataFileFingerprint> | null;
    return typeof o === 'object' && o !== null && typeof o.file === 'string' && typeof o.bytes === 'number' && typeof o.sha256 === 'string';
  });
}

const short = (f: DataFileFingerprint) => `SHA-256 ${f.sha256.slice(0, 12)}…, ${f.bytes} bytes`;

/**
 * Refuses to resume when this run's data differs from the data the checkpoint recorded. `recorded` is the
 * checkpoint's field (absent in checkpoints written before fingerprints: nothing to compare, so they still resume);
 * `source` names where it was read from, for the case where even the number of files differs.
 */
export function checkSameData(recorded: unknown, now: readonly DataFileFingerprint[], source: string): void {
  if (recorded === undefined) return;
  const fix = 'resume with the original data, or start a fresh run in another --out';
  if (!isFingerprint(recorded)) throw new RnnkitError(`${source}: field "dataFingerprint" must be a list of {file, bytes, sha256}`);
  if (recorded.length !== now.length) {
    const list = (files: readonly DataFileFingerprint[]) => files.map((f) => path.basename(f.file)).join(', ');
    throw new RnnkitError(
      `${source}: the checkpoint was trained on ${recorded.length} data file(s) (${list(recorded)}), this run reads ${now.length} (${list(now)}); ${fix}`,
    );
  }
  now.forEach((f, i) => {
    const then = recorded[i];
    if (then.sha256 !== f.sha256 || then.bytes !== f.bytes) {
      const where = path.resolve(then.file) === path.resolve(f.file) ? '' : ` in ${then.file}`;
      throw new RnnkitError(
        `${f.file}: content differs from the data the checkpoint was trained on (${short(then)}${where} then; ${short(f)} now); ${fix}`,
      );
    }
  });
}
