import { readFileSync, statSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError, Vocab, arrayBatchSource, charTokenize } from '@rnnkit/core';
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

/** Reads a text corpus, rejecting what would otherwise fail later with an obscure error. */
export function readCorpus(path: string): string {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new RnnkitError(`${path}: is a directory, expected a UTF-8 text file`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RnnkitError(`${path}: file not found`);
    throw new RnnkitError(`${path}: cannot read (${code ?? String(err)})`);
  }
  if (bytes.length === 0) throw new RnnkitError(`${path}: file is empty`);
  // A NUL byte never occurs in text and is the cheapest reliable sign of a binary file (images, archives, models).
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new RnnkitError(`${path}: looks like a binary file (NUL byte at offset ${nul}), expected UTF-8 text`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RnnkitError(`${path}: is not valid UTF-8 text`);
  }
}

/** The character vocabulary of a corpus (core Vocab over code points; ids 0..3 stay reserved, unused by textgen). */
export function buildCharVocab(text: string): Vocab {
  return Vocab.build(charTokenize(text));
}

/** Encodes text to character ids, naming the characters the vocabulary lacks instead of mapping them to UNK. */
export function encodeText(vocab: Vocab, text: string, what = 'text'): Int32Array {
  const chars = charTokenize(text);
  const unknown = vocab.unknownTokens(chars);
  if (unknown.length > 0) {
    const shown = unknown.map((c) => JSON.stringify(c)).join(', ');
    throw new RnnkitError(`${what} contains characters the model's vocabulary lacks: ${shown}`);
  }
  return Int32Array.from(vocab.encode(chars));
}

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
  const size = countWindows(ids.length, seqLen);
  if (size < 1) throw new RnnkitError(`${ids.length} characters cannot hold one window of ${seqLen + 1}`);
  return arrayBatchSource({
    size,
    batchSize: opts.batchSize,
    shuffle: opts.shuffle,
    seed: opts.seed,
    makeBatch: (windows) => {
      const xs = new Int32Array(windows.length * seqLen);
      const ys = new Int32Array(windows.length * seqLen);
      windows.forEach((w, row) => {
        const start = w * seqLen;
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
