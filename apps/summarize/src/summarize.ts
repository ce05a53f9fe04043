import * as tf from '@tensorflow/tfjs';
import {
  decode, decodingRequestSchema, encodeForDecoding, greedyDecodeBatch, impliedStrategy, isContentWord, RnnkitError, seededRng, Vocab,
  type DecodeOptions, type DecodeResult, type DecodeStrategy, type DecodingRequest, type Rng, type SampleOptions, type SharedRow,
  type StepFunction, type StepOutput,
} from '@rnnkit/core/browser';
import { z } from 'zod';
// dataset.ts, not data/index.js: decoding uses no Node APIs (predictors run in a browser too).
import { decodeTokens, encodeSource } from './data/dataset.js';
import type { Summarizer } from './model.js';
import { pointerStepFunction } from './pointer.js';

/** Turning source tokens into a summary with a trained pointer-generator. */

export interface DecodeSettings {
  /** 1 = greedy (batched, fastest); more = beam search. Ignored when `sampling` is set. */
  beamWidth: number;
  maxLen: number;
  minLen: number;
  /** GNMT length normalization exponent for beam search. */
  lengthPenalty: number;
  /** No n-gram of this size twice in one summary (0 = off). */
  noRepeatNgram: number;
  /**
   * No content word twice in one summary: a word once generated is blocked for the rest of the summary unless it is
   * a stop word or punctuation (core's noRepeatTokens, the vocabulary's non-content words repeatable). UNK is not
   * generated then: it would be replaced by an article word the decoder could not see as used.
   */
  noRepeatWords: boolean;
  /**
   * Sample each token (temperature / top-k / top-p) instead of greedy or beam search, one article at a time, from
   * `rng` (default: core's shared seeded generator).
   */
  sampling?: SampleOptions & { rng?: Rng };
  /**
   * Greedy and sampling: called with each piece of a summary as soon as it is decoded: a word with the space before
   * it (none before the first word or punctuation), so the pieces concatenate to `text`.
   */
  onPiece?: (piece: string, article: number) => void;
}

export const DEFAULT_DECODE_SETTINGS: DecodeSettings = { beamWidth: 4, maxLen: 20, minLen: 3, lengthPenalty: 1.0, noRepeatNgram: 3, noRepeatWords: true };

export interface SummaryOutput {
  tokens: string[];
  text: string;
  srcTokens: string[];
  /** One attention distribution over the source tokens per output token. */
  attention: number[][];
  /**
   * Per output token, the weight the pointer-generator gave to copying a source word at that step (1 − p_gen): near 1
   * the token was copied from the article (by `attention`), near 0 generated from the vocabulary.
   */
  copyProbability: number[];
  /** Output positions where the model still produced UNK and the most-attended source word was put instead. */
  replacedUnk: number;
  /** The decoder's score: log-probability of the summary (EOS included), length-normalized for beam search. */
  score: number;
}

/** Sampling's temperature when a request gives none. */
export const DEFAULT_TEMPERATURE = 1;

/** A summarize decoding request: core's fields plus `noRepeatWords` (default true). */
export type SummarizeDecodeRequest = DecodingRequest & { noRepeatWords?: boolean };

/** The strategy of a request: core's impliedStrategy with beam search as summarize's default. */
export function strategyOf(d: SummarizeDecodeRequest = {}): DecodeStrategy {
  return impliedStrategy(d, 'beam');
}

/** The decoding request fields only sampling uses (refused with greedy or beam search rather than ignored). */
const SAMPLING_FIELDS = ['temperature', 'topK', 'topP', 'seed'] as const;

/**
 * Decoding options of a summarize request (core's shared names). Without a strategy: beam search (beamWidth 4),
 * greedy with beamWidth 1, sampling when a temperature > 0, topK or topP is given (core's impliedStrategy).
 * beamWidth and lengthPenalty only matter to beam search; temperature, topK, topP and seed only to sampling.
 */
export const summarizeDecodeSchema = decodingRequestSchema.extend({
  /** Block repeated content words (stop words and punctuation may repeat); default true. */
  noRepeatWords: z.boolean().optional(),
}).superRefine((d, ctx) => {
  const strategy = strategyOf(d);
  if (strategy !== 'sample') {
    for (const key of SAMPLING_FIELDS) {
      if (d[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only sampling uses it (strategy "sample")' });
    }
  }
  if (strategy !== 'beam' && d.beamWidth !== undefined && d.beamWidth > 1) {
    ctx.addIssue({ code: 'custom', path: ['beamWidth'], message: `only beam search uses it (strategy is "${strategy}")` });
  }
  const maxLen = d.maxLen ?? DEFAULT_DECODE_SETTINGS.maxLen;
  const minLen = d.minLen ?? DEFAULT_DECODE_SETTINGS.minLen;
  if (minLen > maxLen) {
    ctx.addIssue({ code: 'custom', path: [d.minLen !== undefined ? 'minLen' : 'maxLen'], message: `minLen ${minLen} is larger than maxLen ${maxLen}` });
  }
});

/** DecodeSettings for a (validated) decoding request; absent fields take DEFAULT_DECODE_SETTINGS. */
export function decodeSettings(d: SummarizeDecodeRequest = {}): DecodeSettings {
  const strategy = strategyOf(d);
  const D = DEFAULT_DECODE_SETTINGS;
  return {
    beamWidth: strategy === 'beam' ? (d.beamWidth ?? D.beamWidth) : 1,
    maxLen: d.maxLen ?? D.maxLen,
    minLen: d.minLen ?? D.minLen,
    lengthPenalty: d.lengthPenalty ?? D.lengthPenalty,
    noRepeatNgram: d.noRepeatNgram ?? D.noRepeatNgram,
    noRepeatWords: d.noRepeatWords ?? D.noRepeatWords,
    ...(strategy === 'sample'
      ? {
        sampling: { temperature: d.temperature ?? DEFAULT_TEMPERATURE, topK: d.topK, topP: d.topP, ...(d.seed !== undefined ? { rng: seededRng(d.seed) } : {}) },
      }
      : {}),
  };
}

/** "greedy", "beam 4" or "sampled": how a setting decodes, for reports. */
export function describeDecoding(s: DecodeSettings): string {
  if (s.sampling) return 'sampled';
  return s.beamWidth === 1 ? 'greedy' : `beam ${s.beamWidth}`;
}

/** Decoding states for a batch of articles: [...decoderStates, ...context (encodeForDecoding), srcExt]. */
function initialStates(model: Summarizer, sources: { src: number[]; srcExt: number[] }[]): tf.Tensor[] {
  const encoded = encodeForDecoding(model.seq2seq, sources.map((s) => s.src));
  const width = Math.max(...sources.map((s) => s.src.length));
  const ext = new Int32Array(sources.length * width);
  sources.forEach((s, r) => ext.set(s.srcExt, r * width));
  return [...encoded, tf.tensor2d(ext, [sources.length, width], 'int32')];
}

/** Joins a token to the text so far: punctuation attaches to the word before it ("india , says" → "india, says"). */
function piece(textSoFar: string, token: string): string {
  return textSoFar === '' || /^[.,;:!?%')\]]$/.test(token) ? token : ` ${token}`;
}

/**
 * A generated id as a word; UNK becomes the article word attended to most at that step (when the step's attention is
 * known), since a word neither in the vocabulary nor in the article cannot be copied.
 */
function generatedWord(id: number, attention: ArrayLike<number> | undefined, article: string[], oovs: string[], vocab: Vocab): string {
  return id === Vocab.UNK && attention && attention.length > 0 ? article[argmax(attention, article.length)] : decodeTokens([id], vocab, oovs)[0];
}

const repeatableCache = new WeakMap<Vocab, ReadonlySet<number>>();

/**
 * The vocabulary ids that may repeat in a summary: stop words, punctuation and the reserved tokens. A source word
 * outside the vocabulary (an extended id) is a content word (a name, a place, a number), so it is not here.
 */
export function repeatableIds(vocab: Vocab): ReadonlySet<number> {
  let ids = repeatableCache.get(vocab);
  if (!ids) {
    const found = new Set<number>([Vocab.PAD, Vocab.UNK, Vocab.BOS, Vocab.EOS]);
    for (let id = 0; id < vocab.size; id++) if (!isContentWord(vocab.tokenOf(id))) found.add(id);
    ids = found;
    repeatableCache.set(vocab, ids);
  }
  return ids;
}

/** The decoding bounds every summary uses, whether it is decoded alone or sharing steps with other requests. */
function summaryDecodeLimits(settings: DecodeSettings, vocab: Vocab) {
  return {
    bos: Vocab.BOS,
    eos: Vocab.EOS,
    maxLen: settings.maxLen,
    minLen: settings.minLen,
    noRepeatNgram: settings.noRepeatNgram,
    // With word blocking UNK is banned too: its replacement (the most attended article word) is chosen after the
    // step, so the decoder could generate that word again (measured: 3.1% of beam-4 headlines repeated a word so).
    bannedTokens: settings.noRepeatWords ? [Vocab.PAD, Vocab.BOS, Vocab.UNK] : [Vocab.PAD, Vocab.BOS],
    ...(settings.noRepeatWords ? { noRepeatTokens: true, repeatableTokens: repeatableIds(vocab) } : {}),
  };
}

/**
 * Summaries for several tokenized articles (greedy: one batched pass; beam search and sampling: one article at a
 * time). Any UNK that is still generated (a word neither in the vocabulary nor in the article, so not copyable) is
 * replaced with the source word the decoder attended to most at that step.
 */
export function summarizeTokens(model: Summarizer, vocab: Vocab, articles: string[][], settings: DecodeSettings): SummaryOutput[] {
  articles.forEach((a, i) => {
    if (a.length === 0) throw new RnnkitError(`article ${i + 1} has no tokens to summarize`);
  });
  const sources = articles.map((a) => encodeSource(a, vocab));
  const extSize = vocab.size + Math.max(0, ...sources.map((s) => s.oovs.length));
  const word = (id: number, attention: ArrayLike<number> | undefined, r: number) => generatedWord(id, attention, articles[r], sources[r].oovs, vocab);
  let stepFn: StepFunction = pointerStepFunction(model, extSize);
  let onToken: DecodeOptions['onToken'];
  let first = 0; // the article of row 0 (sampling decodes one article per call)
  if (settings.onPiece) {
    // Streaming needs the step's attention for UNK replacement: keep a copy of each step's extras (per row: the
    // attention over the padded source, then the copy probability; `word` reads only the article's positions).
    const inner = stepFn;
    let stepExtras = new Float32Array(0);
    stepFn = {
      step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
        const out = inner.step(tokens, states);
        if (out.extras) stepExtras = (out.extras.dataSync() as Float32Array).slice();
        return out;
      },
    };
    const texts = articles.map(() => '');
    const onPiece = settings.onPiece;
    onToken = (id, row) => {
      const r = first + row;
      const width = stepExtras.length / (settings.sampling ? 1 : articles.length);
      const p = piece(texts[r], word(id, stepExtras.subarray(row * width, (row + 1) * width), r));
      texts[r] += p;
      onPiece(p, r);
    };
  }
  const opts: DecodeOptions = { ...summaryDecodeLimits(settings, vocab), onToken };
  const strategy: DecodeStrategy = settings.sampling ? 'sample' : settings.beamWidth === 1 ? 'greedy' : 'beam';
  let results: DecodeResult[];
  if (strategy === 'greedy') {
    // All articles in one batched pass.
    const states = initialStates(model, sources);
    try {
      results = greedyDecodeBatch(stepFn, states, { ...opts, batchSize: sources.length });
    } finally {
      tf.dispose(states);
    }
  } else {
    results = sources.map((s, r) => {
      first = r;
      const states = initialStates(model, [s]);
      try {
        return decode(stepFn, states, { ...opts, ...settings.sampling, strategy, beamWidth: settings.beamWidth, lengthPenalty: settings.lengthPenalty, numReturn: 1 })[0];
      } finally {
        tf.dispose(states);
      }
    });
  }
  return results.map((res, r) => {
    const srcTokens = articles[r];
    // Per token, the step's extras (pointerStepFunction): attention over the padded source, then the copy probability.
    const steps = (res.extras ?? []).slice(0, res.tokens.length);
    const attention = steps.map((row) => row.slice(0, srcTokens.length));
    const copyProbability = steps.map((row) => row[row.length - 1]);
    let replacedUnk = 0;
    const tokens = res.tokens.map((id, i) => {
      if (id === Vocab.UNK && attention[i]) replacedUnk += 1;
      return word(id, attention[i], r);
    });
    return { tokens, text: detokenize(tokens), srcTokens, attention, copyProbability, replacedUnk, score: res.score };
  });
}

/** Most unknown words of one article that shared decoding has room for (summaryRow refuses an article with more). */
const MAX_SHARED_OOVS = 4096;

/**
 * The step function of shared decoding (core's SharedDecoder: the greedy and sampled summaries of many requests
 * stepping together): its extended vocabulary has room for the unknown words of any article of at most `maxSrcLen`
 * tokens, so articles can join one batch; each row reads only its own columns (`summaryRow`).
 */
export function sharedStepFunction(model: Summarizer, vocab: Vocab, maxSrcLen: number): StepFunction & { extSize: number } {
  // Bounded, so that a crafted maxSrcLen cannot make every step allocate a huge distribution (the trained tasks use 64 and 400).
  const extSize = vocab.size + Math.min(maxSrcLen, MAX_SHARED_OOVS);
  return Object.assign(pointerStepFunction(model, extSize), { extSize });
}

/**
 * One article's greedy or sampled summary as a row of a SharedDecoder over `sharedStepFunction`: the row (the encoder
 * run on the article) and the summary of its result, the same as summarizeTokens gives the article alone (the row's
 * log-probabilities are its own extended vocabulary's; its attention, over the batch's widest source, is cut to the
 * article's tokens).
 */
export function summaryRow(
  model: Summarizer, vocab: Vocab, extSize: number, article: string[], settings: DecodeSettings,
): { row: SharedRow; finish(result: DecodeResult): SummaryOutput } {
  if (article.length === 0) throw new RnnkitError('the article has no tokens to summarize');
  if (!settings.sampling && settings.beamWidth !== 1) throw new RnnkitError('beam search does not share decoding steps; use summarizeTokens');
  const source = encodeSource(article, vocab);
  const vocabSize = vocab.size + source.oovs.length;
  if (vocabSize > extSize) throw new RnnkitError(`the article has ${source.oovs.length} unknown words; the shared step has room for ${extSize - vocab.size}`);
  const word = (id: number, attention: ArrayLike<number> | undefined) => generatedWord(id, attention, article, source.oovs, vocab);
  let text = '';
  const onPiece = settings.onPiece;
  const row: SharedRow = {
    states: initialStates(model, [source]),
    opts: {
      strategy: settings.sampling ? 'sample' : 'greedy',
      ...settings.sampling,
      ...summaryDecodeLimits(settings, vocab),
      vocabSize,
      onToken: onPiece
        ? (id, _row, extras) => {
          const p = piece(text, word(id, extras));
          text += p;
          onPiece(p, 0);
        }
        : undefined,
    },
  };
  const finish = (res: DecodeResult): SummaryOutput => {
    // Per token, the step's extras (pointerStepFunction): attention over the batch's widest source, then the copy probability.
    const steps = (res.extras ?? []).slice(0, res.tokens.length);
    const attention = steps.map((r) => r.slice(0, article.length));
    const copyProbability = steps.map((r) => r[r.length - 1]);
    let replacedUnk = 0;
    const tokens = res.tokens.map((id, i) => {
      if (id === Vocab.UNK && attention[i]) replacedUnk += 1;
      return word(id, attention[i]);
    });
    return { tokens, text: detokenize(tokens), srcTokens: article, attention, copyProbability, replacedUnk, score: res.score };
  };
  return { row, finish };
}

/** Index of the largest of the first `length` entries of `row`. */
function argmax(row: ArrayLike<number>, length = row.length): number {
  let best = 0;
  for (let i = 1; i < Math.min(length, row.length); i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Joins tokens with spaces, attaching punctuation to the word before it ("india , says" → "india, says"). */
export function detokenize(tokens: readonly string[]): string {
  return tokens.reduce((text, tok) => text + piece(text, tok), '');
}
