// The Seq2Seq reply the bench times (and pytorch_bench.py --replies mirrors): one source of the workload's length,
// encoded once, then a beam-4 search of 12 tokens with EOS forbidden, so an untrained model still replies in full.
import * as tf from '@tensorflow/tfjs';
import { beamSearch, encodeForDecoding, median, type DecodeResult, type Seq2SeqModels, type StepFunction } from '@rnnkit/core';
import type { Seq2SeqWorkload } from './workloads.js';

/** The reply's source ids: ids >= 4 skip PAD/UNK/BOS/EOS. */
export function replySource(w: Seq2SeqWorkload): number[] {
  return Array.from({ length: w.srcTimesteps }, (_, i) => 4 + ((i * 37) % (w.vocab - 4)));
}

/** One reply through `step`; its hypotheses, best first. */
export function reply(models: Seq2SeqModels, step: StepFunction, source: number[]): DecodeResult[] {
  const states = encodeForDecoding(models, [source]);
  try {
    // minLen = maxLen forces full-length replies from the untrained model (no early EOS).
    return beamSearch(step, states, { beamWidth: 4, bos: 2, eos: 3, maxLen: 12, minLen: 12 });
  } finally {
    tf.dispose(states);
  }
}

/** Median wall ms of `replies` replies. */
export function medianReplyMs(models: Seq2SeqModels, step: StepFunction, source: number[], replies: number): number {
  return median(Array.from({ length: replies }, () => {
    const start = performance.now();
    reply(models, step, source);
    return performance.now() - start;
  }));
}
