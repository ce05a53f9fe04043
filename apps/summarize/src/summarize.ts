import * as tf from '@tensorflow/tfjs';
import { beamSearch, encodeForDecoding, greedyDecodeBatch, RnnkitError, Vocab, type DecodeResult } from '@rnnkit/core';
import { decodeTokens, encodeSource } from './data/index.js';
import type { Summarizer } from './model.js';
import { pointerStepFunction } from './pointer.js';

/** Turning source tokens into a summary with a trained pointer-generator. */

export interface DecodeSettings {
  /** 1 = greedy (batched, fastest); more = beam search. */
  beamWidth: number;
  maxLen: number;
  minLen: number;
  /** GNMT length normalization exponent for beam search. */
  lengthPenalty: number;
  /** No n-gram of this size twice in one summary (0 = off). */
  noRepeatNgram: number;
}

export const DEFAULT_DECODE_SETTINGS: DecodeSettings = { beamWidth: 4, maxLen: 20, minLen: 3, lengthPenalty: 1.0, noRepeatNgram: 3 };

export interface SummaryOutput {
  tokens: string[];
  text: string;
  srcTokens: string[];
  /** One attention distribution over the source tokens per output token. */
  attention: number[][];
  /** Output positions where the model still produced UNK and the most-attended source word was put instead. */
  replacedUnk: number;
}

/** Decoding states for a batch of articles: [...decoderStates, ...context (encodeForDecoding), srcExt]. */
function initialStates(model: Summarizer, sources: { src: number[]; srcExt: number[] }[]): tf.Tensor[] {
  const encoded = encodeForDecoding(model.seq2seq, sources.map((s) => s.src));
  const width = Math.max(...sources.map((s) => s.src.length));
  const ext = new Int32Array(sources.length * width);
  sources.forEach((s, r) => ext.set(s.srcExt, r * width));
  return [...encoded, tf.tensor2d(ext, [sources.length, width], 'int32')];
}

/**
 * Summaries for several tokenized articles (greedy: one batched pass; beam: one article at a time). Any UNK that is
 * still generated (a word neither in the vocabulary nor in the article, so not copyable) is replaced with the source
 * word the decoder attended to most at that step.
 */
export function summarizeTokens(model: Summarizer, vocab: Vocab, articles: string[][], settings: DecodeSettings): SummaryOutput[] {
  articles.forEach((a, i) => {
    if (a.length === 0) throw new RnnkitError(`article ${i + 1} has no tokens to summarize`);
  });
  const sources = articles.map((a) => encodeSource(a, vocab));
  const extSize = vocab.size + Math.max(0, ...sources.map((s) => s.oovs.length));
  const stepFn = pointerStepFunction(model, extSize);
  const opts = {
    bos: Vocab.BOS,
    eos: Vocab.EOS,
    maxLen: settings.maxLen,
    minLen: settings.minLen,
    noRepeatNgram: settings.noRepeatNgram,
    bannedTokens: [Vocab.PAD, Vocab.BOS],
  };
  let results: DecodeResult[];
  if (settings.beamWidth === 1) {
    const states = initialStates(model, sources);
    try {
      results = greedyDecodeBatch(stepFn, states, { ...opts, batchSize: sources.length });
    } finally {
      tf.dispose(states);
    }
  } else {
    results = sources.map((s) => {
      const states = initialStates(model, [s]);
      try {
        return beamSearch(stepFn, states, { ...opts, beamWidth: settings.beamWidth, lengthPenalty: settings.lengthPenalty, numReturn: 1 })[0];
      } finally {
        tf.dispose(states);
      }
    });
  }
  return results.map((res, r) => {
    const srcTokens = articles[r];
    const attention = (res.extras ?? []).slice(0, res.tokens.length).map((row) => row.slice(0, srcTokens.length));
    let replacedUnk = 0;
    const tokens = decodeTokens(res.tokens, vocab, sources[r].oovs).map((tok, i) => {
      if (res.tokens[i] !== Vocab.UNK || !attention[i]) return tok;
      replacedUnk += 1;
      return srcTokens[argmax(attention[i])];
    });
    return { tokens, text: detokenize(tokens), srcTokens, attention, replacedUnk };
  });
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Joins tokens with spaces, attaching punctuation to the word before it ("india , says" → "india, says"). */
export function detokenize(tokens: readonly string[]): string {
  return tokens.reduce((text, tok) => (text === '' ? tok : /^[.,;:!?%')\]]$/.test(tok) ? text + tok : `${text} ${tok}`), '');
}
