import * as tf from '@tensorflow/tfjs';
import type { TextEncoding, Vocab } from '@rnnkit/core';
import { SPECIAL_TOKENS, bitsPerChar, runModel } from '@rnnkit/core';
import { encodeText, readCorpus, splitTrainVal } from './data.js';
import { CharNgramModel, type NgramScore } from './ngram.js';
import { zeroStates, type TextgenModelConfig } from './model.js';

/**
 * Validation loss of the model and of the n-gram baselines, scored on exactly the same predictions:
 * every validation character after the first, each given the validation text before it.
 */

export interface StreamEvalOptions {
  /** Parallel streams the text is cut into (the batch size of the forward passes). */
  streams?: number;
  /** Timesteps per forward pass; the state is carried from one chunk to the next. */
  chunk?: number;
  /** Characters of context each stream (but the first) reads before its first scored position. */
  warmup?: number;
}

/**
 * Mean negative log-likelihood (nats/char) of ids[1..] under the step model.
 * The text is cut into `streams` contiguous pieces run side by side as one batch, the recurrent state carried
 * across chunks; each piece starts `warmup` characters early so that its first scored characters have context too.
 */
export function streamLoss(stepModel: tf.LayersModel, cfg: TextgenModelConfig, ids: Int32Array, opts: StreamEvalOptions = {}): number {
  const targets = ids.length - 1;
  if (targets < 1) throw new Error('streamLoss needs at least two characters');
  const perStream = Math.ceil(targets / Math.min(opts.streams ?? 32, targets));
  const streams = Math.ceil(targets / perStream);
  const chunk = opts.chunk ?? 256;
  const warmup = opts.warmup ?? 100;
  // Stream s scores targets (s·perStream, (s+1)·perStream] and reads inputs from `warm` characters before them.
  const pieces = Array.from({ length: streams }, (_, s) => {
    const first = s * perStream + 1;
    const last = Math.min(first + perStream, ids.length);
    const warm = Math.min(warmup, first - 1);
    return { inputStart: first - 1 - warm, warm, scored: Math.max(0, last - first) };
  });
  const width = Math.max(...pieces.map((p) => p.warm + p.scored));
  const inputs = new Int32Array(streams * width);
  const targetIds = new Int32Array(streams * width);
  const weights = new Float32Array(streams * width);
  pieces.forEach((p, s) => {
    for (let t = 0; t < p.warm + p.scored; t++) {
      inputs[s * width + t] = ids[p.inputStart + t];
      targetIds[s * width + t] = ids[p.inputStart + t + 1];
      weights[s * width + t] = t >= p.warm ? 1 : 0;
    }
  });

  let states: tf.Tensor[] = zeroStates(cfg, streams);
  let nll = 0;
  try {
    for (let start = 0; start < width; start += chunk) {
      const len = Math.min(chunk, width - start);
      const slice = <A extends Int32Array | Float32Array>(a: A): A => {
        const out = new (a.constructor as new (n: number) => A)(streams * len);
        for (let s = 0; s < streams; s++) out.set(a.subarray(s * width + start, s * width + start + len), s * len);
        return out;
      };
      const step = nllOfBatch(stepModel, cfg, { inputs: slice(inputs), targets: slice(targetIds), weights: slice(weights), rows: streams, len }, states);
      nll += step.nll;
      states.forEach((t) => t.dispose());
      states = step.states;
    }
  } finally {
    states.forEach((t) => t.dispose());
  }
  return nll / targets;
}

/** One forward pass over `rows` × `len` timesteps from `states`: the weighted sum of -log p(target) and the next states. */
function nllOfBatch(
  stepModel: tf.LayersModel,
  cfg: TextgenModelConfig,
  batch: { inputs: Int32Array; targets: Int32Array; weights: Float32Array; rows: number; len: number },
  states: tf.Tensor[],
): { nll: number; states: tf.Tensor[] } {
  const [lossSum, ...next] = tf.tidy(() => {
    const x = tf.tensor2d(batch.inputs, [batch.rows, batch.len], 'int32');
    const [logits, ...newStates] = runModel(stepModel, [x, ...states]);
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d(batch.targets, 'int32'), cfg.vocabSize).reshape(logits.shape)), -1);
    return [tf.neg(tf.sum(tf.mul(picked, tf.tensor2d(batch.weights, [batch.rows, batch.len])))), ...newStates];
  });
  const nll = lossSum.dataSync()[0];
  lossSum.dispose();
  return { nll, states: next };
}

/**
 * nanoGPT's way of measuring validation loss, made deterministic: the text is tiled with non-overlapping windows of
 * `window` input characters (each with its `window` shifted targets), every window starts from the zero state
 * ("cold start"), and the loss is the mean over every position of every whole window. Early positions see little
 * context, so this is higher than streamLoss's carried-state figure; it is the figure a Transformer with a
 * `window`-character context reports (nanoGPT's block_size 256 on tiny Shakespeare).
 */
export function coldWindowLoss(stepModel: tf.LayersModel, cfg: TextgenModelConfig, ids: Int32Array, window = 256, batchSize = 64): number {
  const windows = Math.floor((ids.length - 1) / window);
  if (windows < 1) throw new Error(`coldWindowLoss needs at least ${window + 1} characters, got ${ids.length}`);
  let nll = 0;
  for (let first = 0; first < windows; first += batchSize) {
    const rows = Math.min(batchSize, windows - first);
    const inputs = new Int32Array(rows * window);
    const targets = new Int32Array(rows * window);
    for (let r = 0; r < rows; r++) {
      const start = (first + r) * window;
      inputs.set(ids.subarray(start, start + window), r * window);
      targets.set(ids.subarray(start + 1, start + window + 1), r * window);
    }
    const states = zeroStates(cfg, rows);
    const step = nllOfBatch(stepModel, cfg, { inputs, targets, weights: new Float32Array(rows * window).fill(1), rows, len: window }, states);
    nll += step.nll;
    [...states, ...step.states].forEach((t) => t.dispose());
  }
  return nll / (windows * window);
}

export interface EvalRow {
  name: string;
  natsPerChar: number;
  bitsPerChar: number;
}

/** n-gram baselines of orders 1..maxOrder fitted on the training split, scored on the validation split. */
export function ngramBaselines(train: Int32Array, val: Int32Array, vocab: Vocab, maxOrder = 5): NgramScore[] {
  // The alphabet a baseline spreads probability over is the corpus characters, not core's reserved ids.
  return new CharNgramModel(train, vocab.size - SPECIAL_TOKENS.length, maxOrder).score(val);
}

export function formatEvalTable(rows: EvalRow[]): string {
  const nameWidth = Math.max(5, ...rows.map((r) => r.name.length));
  const lines = [`${'model'.padEnd(nameWidth)}  nats/char  bits/char`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(nameWidth)}  ${r.natsPerChar.toFixed(4).padStart(9)}  ${r.bitsPerChar.toFixed(4).padStart(9)}`);
  }
  return lines.join('\n');
}

export function toRow(name: string, nats: number): EvalRow {
  return { name, natsPerChar: nats, bitsPerChar: bitsPerChar(nats) };
}

/** NanoGPT's context length on tiny Shakespeare: the window of `coldWindowLoss` in the evaluate report. */
export const COLD_WINDOW = 256;

/**
 * The evaluate command's figures on the validation split (last 10%) of `dataPath`: the model and the n-gram
 * baselines on the carried-state protocol (rows), and the model on COLD_WINDOW-char cold-start windows.
 * The text is encoded with the model's vocabulary, so a file with characters the model never saw is rejected.
 */
export function evaluateCorpus(
  loaded: { stepModel: tf.LayersModel; config: TextgenModelConfig; vocab: Vocab }, dataPath: string, seqLen = 1, encoding: TextEncoding = 'utf-8',
) {
  const ids = encodeText(loaded.vocab, readCorpus(dataPath, encoding), dataPath);
  const { train, val } = splitTrainVal(ids, seqLen, dataPath);
  const name = `${loaded.config.cell} ${loaded.config.units.join(',')}`;
  const rows = [toRow(name, streamLoss(loaded.stepModel, loaded.config, val))];
  for (const b of ngramBaselines(train, val, loaded.vocab)) rows.push(toRow(`${b.order}-gram (Witten-Bell)`, b.natsPerChar));
  const coldWindow = val.length > COLD_WINDOW ? { window: COLD_WINDOW, ...toRow(name, coldWindowLoss(loaded.stepModel, loaded.config, val, COLD_WINDOW)) } : undefined;
  return { rows, coldWindow };
}
