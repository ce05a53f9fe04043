import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnkitError, StandardScaler, resolveDataPath } from '@rnnkit/core';
import { FeatureExtractor, type FeatureConfig, type FeatureMatrix, type Normalization } from './features.js';
import { resample } from './resample.js';
import { MAX_WAV_BYTES, decodeWav, type Audio } from './wav.js';

/**
 * The Free Spoken Digit Dataset on disk (Node): `{digit}_{speaker}_{index}.wav` files in a `recordings/` folder (or
 * the folder itself), their features, and the splits: the official one (index 0–4 test, 5–49 train) and
 * leave-one-speaker-out.
 */

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
const NAME = /^(\d)_([a-z]+)_(\d+)\.wav$/;
/** The dataset's own bound: it has 3,000 files; a folder of a million files is not it. */
const MAX_FILES = 100_000;

export interface Recording {
  file: string;
  digit: number;
  speaker: string;
  index: number;
}

/** Reads a WAV file (size bounded before reading), resampled to `rate` when given. */
export function readWavFile(file: string, rate?: number): Audio {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new RnnkitError(`${file}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    throw new RnnkitError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size > MAX_WAV_BYTES) throw new RnnkitError(`${file}: ${size} bytes is more than the ${MAX_WAV_BYTES}-byte limit for a WAV file`);
  const audio = decodeWav(fs.readFileSync(file), file);
  return rate === undefined || audio.sampleRate === rate ? audio : { samples: resample(audio.samples, audio.sampleRate, rate), sampleRate: rate };
}

/** The recordings folder: --data, else $RNNKIT_DATA_DIR/spoken-digits; a folder holding recordings/ means that one. */
export async function recordingsDir(data: string | undefined): Promise<string> {
  const dir = await resolveDataPath(data, 'spoken-digits');
  if (!fs.statSync(dir).isDirectory()) throw new RnnkitError(`${dir}: expected the folder of spoken-digit WAV files`);
  const inner = path.join(dir, 'recordings');
  return fs.existsSync(inner) && fs.statSync(inner).isDirectory() ? inner : dir;
}

/** Every `{digit}_{speaker}_{index}.wav` in the folder, sorted by name; any other .wav name is an error naming it. */
export function listRecordings(dir: string): Recording[] {
  const names = fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.wav'));
  if (names.length > MAX_FILES) throw new RnnkitError(`${dir}: ${names.length} WAV files, more than the ${MAX_FILES} this app reads`);
  const out = names.sort().map((name) => {
    const m = NAME.exec(name);
    if (!m) throw new RnnkitError(`${path.join(dir, name)}: file name is not {digit}_{speaker}_{index}.wav`);
    return { file: path.join(dir, name), digit: Number(m[1]), speaker: m[2], index: Number(m[3]) };
  });
  if (out.length === 0) throw new RnnkitError(`${dir}: no {digit}_{speaker}_{index}.wav files`);
  return out;
}

export interface Example {
  rec: Recording;
  features: FeatureMatrix;
}

/** Features of every recording (resampled to the feature rate when a file has another). */
export function extractAll(recs: readonly Recording[], cfg: FeatureConfig, onProgress?: (done: number) => void): Example[] {
  const fx = new FeatureExtractor(cfg);
  return recs.map((rec, i) => {
    const audio = readWavFile(rec.file, cfg.sampleRate);
    if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1);
    return { rec, features: fx.features(audio.samples) };
  });
}

export type SplitSpec = { kind: 'official' } | { kind: 'speaker'; speaker: string };

/** Official: index 0–4 test, the rest train. Speaker: that speaker's files test, everyone else's train. */
export function splitExamples<T extends { rec: Recording }>(all: readonly T[], spec: SplitSpec): { train: T[]; test: T[] } {
  const isTest = spec.kind === 'official' ? (r: Recording) => r.index <= 4 : (r: Recording) => r.speaker === spec.speaker;
  const train = all.filter((e) => !isTest(e.rec));
  const test = all.filter((e) => isTest(e.rec));
  const what = spec.kind === 'official' ? 'the official split' : `speaker ${spec.speaker}`;
  if (test.length === 0) throw new RnnkitError(`${what}: no test recordings in the data`);
  if (train.length === 0) throw new RnnkitError(`${what}: no training recordings in the data`);
  return { train, test };
}

export function speakersOf(all: readonly { rec: Recording }[]): string[] {
  return [...new Set(all.map((e) => e.rec.speaker))].sort();
}

/** Per-feature mean and std over every frame of the training examples (core's StandardScaler). */
export function fitNormalization(train: readonly { features: FeatureMatrix }[]): Normalization {
  const rows: number[][] = [];
  for (const { features: m } of train) {
    for (let t = 0; t < m.frames; t++) rows.push(Array.from(m.data.subarray(t * m.dim, (t + 1) * m.dim)));
  }
  const scaler = new StandardScaler().fit(rows);
  return { mean: scaler.mean, std: scaler.std };
}
