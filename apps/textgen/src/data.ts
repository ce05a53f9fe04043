import * as tf from '@tensorflow/tfjs';
import { RnnkitError, Vocab, arrayBatchSource, charTokenize, nextSeed, readTextFile, seededRng, type TextEncoding } from '@rnnkit/core';
import type { BatchSource } from '@rnnkit/core';

/**
 * The textgen data pipeline: one UTF-8 text file → character ids → a contiguous train/validation split →
 * (batch, seqLen) windows whose targets are the inputs shifted by one character.
 */

/** Where the default corpus lives under $RNNKIT_DATA_DIR, and where it can be downloaded from. */
export const TINY_SHAKESPEARE = {
  relativePath: 'tinyshakespeare/input.txt',
  url: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
  cacheName: 'tinyshakespeare-input.txt',
} as const;

/** Share of the text used for training; the validation split is the last (1 - TRAIN_FRACTION) of it, unshuffled. */
export const TRAIN_FRACTION = 0.9;

/**
 * Reads a text corpus with core's strict text reader, which refuses a missing file, a directory, a binary file and
 * bytes that are not valid in `encoding` (naming the line), rather than training on U+FFFD; an empty file is refused
 * here.
 */
export function readCorpus(path: string, encoding: TextEncoding = 'utf-8'): string {
  const text = readTextFile(path, { encoding });
  if (text.length === 0) throw new RnnkitError(`${path}: file is empty`);
  return text;
}

/** The character vocabulary of a corpus (core Vocab over code points; ids 0..3 stay reserved, unused by textgen). */
export function buildCharVocab(text: string): Vocab {
  return Vocab.build(charTokenize(text));
}

// In chars.ts: generation in a web page encodes its priming text with it too.
export { encodeText } from './chars.js';

export interface CorpusSplit {
  train: Int32Array;
  val: Int32Array;
}

/**
 * Contiguous split: the first 90% of characters train, the last 10% validate (as char-rnn and nanoGPT do), so
 * validation text is never seen in training, not even as overlapping windows.
 * `source` names the corpus in the error raised when a split cannot hold one window of `seqLen + 1` characters.
 */
export function splitTrainVal(ids: Int32Array, seqLen: number, source = 'corpus'): CorpusSplit {
  const cutAt = (n: number) => Math.floor(n * TRAIN_FRACTION);
  const window = seqLen + 1;
  const fits = (n: number) => cutAt(n) >= window && n - cutAt(n) >= window;
  if (!fits(ids.length)) {
    let needed = window;
    while (!fits(needed)) needed++;
    throw new RnnkitError(
      `${source}: ${ids.length} characters is shorter than one training window: with --seq-len ${seqLen} the ` +
        `validation split (last 10%) must hold ${window} characters, so the file needs about ${needed}`,
    );
  }
  const cut = cutAt(ids.length);
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

export interface WindowOptions {
  seqLen: number;
  batchSize: number;
  /** Visit windows in a new random order every epoch (training); validation reads them in text order. */
  shuffle: boolean;
  /** Seed of the per-epoch order; default drawn from core's seeded generator (see setSeed). */
  seed?: number;
  /**
   * Start every epoch's windows at a new offset in [0, seqLen) (seeded by epoch), so a character is not always at
   * the same position of its window and the windows' boundaries move. One window fewer fits; default false.
   */
  randomOffset?: boolean;
}

/** Number of non-overlapping `seqLen`-character input windows (each with its shifted target) in `length` chars. */
export function countWindows(length: number, seqLen: number): number {
  return Math.max(0, Math.floor((length - 1) / seqLen));
}

/**
 * Windows of `seqLen + 1` characters at positions 0, seqLen, 2·seqLen, ...: inputs are chars [0, seqLen) of a
 * window, targets chars [1, seqLen], i.e. the next character at every timestep. Neighbouring windows share one
 * character, so every character of the split is a target exactly once per epoch (except the very first).
 * Batches are int32 tensors xs, ys of shape [batch, seqLen].
 */
export function charWindowSource(ids: Int32Array, opts: WindowOptions): BatchSource {
  const { seqLen } = opts;
  const randomOffset = opts.randomOffset ?? false;
  // With a moving offset (up to seqLen - 1) the last window must still end inside the text.
  const size = countWindows(randomOffset ? ids.length - (seqLen - 1) : ids.length, seqLen);
  if (size < 1) {
    throw new RnnkitError(`${ids.length} characters cannot hold one window of ${seqLen + 1}` + (randomOffset ? ` at every offset (needs ${2 * seqLen})` : ''));
  }
  const seed = opts.seed ?? nextSeed();
  const offsetOf = (epoch: number): number => (randomOffset ? Math.floor(seededRng(`${seed}:offset:${epoch}`)() * seqLen) : 0);
  return arrayBatchSource({
    size,
    batchSize: opts.batchSize,
    shuffle: opts.shuffle,
    seed,
    makeBatch: (windows, at) => {
      const offset = offsetOf(at.epoch);
      const xs = new Int32Array(windows.length * seqLen);
      const ys = new Int32Array(windows.length * seqLen);
      windows.forEach((w, row) => {
        const start = offset + w * seqLen;
        xs.set(ids.subarray(start, start + seqLen), row * seqLen);
        ys.set(ids.subarray(start + 1, start + seqLen + 1), row * seqLen);
      });
      return {
        xs: tf.tensor2d(xs, [windows.length, seqLen], 'int32'),
        ys: tf.tensor2d(ys, [windows.length, seqLen], 'int32'),
        size: windows.length,
      };
    },
  });
}
