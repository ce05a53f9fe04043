import * as tf from '@tensorflow/tfjs';
import {
  BOS, EOS, PAD, UNK, RnnkitError, beamSearchBatch, decode as runDecoding, disposeSeq2Seq, encodeForDecoding, greedyDecodeBatch, seq2seqStepFunction,
  type DecodeRequest, type DecodeResult, type DecodingRequest, type Seq2SeqModels, type StepFunction, type Vocab,
} from '@rnnkit/core/browser';
import type { DataConfig } from './data/data-config.js';
import { joinChinese, tokenizeEnglish } from './data/text.js';
import type { ModelConfig } from './model.js';

/**
 * A trained translator: both vocabularies, the Seq2Seq models and the settings they were trained with. Browser-safe
 * (the predictor runs it in a page too). `translate` decodes one sentence (beam search or greedy, n-best with
 * scores, attention rows); `greedyBatch` decodes many sentences at once, one decoder step per position for the
 * whole batch, which is what makes evaluating the test split fast.
 */

export const TRANSLATE_DECODE_DEFAULTS = {
  beamWidth: 5,
  /** GNMT length normalization: without it beam search prefers short outputs, which BLEU's brevity penalty punishes. */
  lengthPenalty: 0.6,
  /** The longest Tatoeba translation is 44 characters. */
  maxLen: 60,
  minLen: 1,
  /** Off: Chinese repeats characters legitimately (谢谢, 妈妈, 一个一个). */
  noRepeatNgram: 0,
} as const;

export type TranslateStrategy = 'greedy' | 'beam';

export interface ResolvedDecoding {
  strategy: TranslateStrategy;
  beamWidth: number;
  lengthPenalty: number;
  maxLen: number;
  minLen: number;
  noRepeatNgram: number;
}

/** Beam search unless the request says greedy (or a beam width of 1); sampling is refused. */
export function resolveDecoding(d: DecodingRequest = {}): ResolvedDecoding {
  if (d.strategy === 'sample' || d.temperature !== undefined || d.topK !== undefined || d.topP !== undefined) {
    throw new RnnkitError('translate decodes with beam search or greedily; sampling (strategy sample, temperature, top-k, top-p) is not offered');
  }
  const strategy: TranslateStrategy = d.strategy === 'greedy' || (d.strategy === undefined && d.beamWidth === 1) ? 'greedy' : 'beam';
  const r: ResolvedDecoding = {
    strategy,
    beamWidth: d.beamWidth ?? TRANSLATE_DECODE_DEFAULTS.beamWidth,
    lengthPenalty: d.lengthPenalty ?? TRANSLATE_DECODE_DEFAULTS.lengthPenalty,
    maxLen: d.maxLen ?? TRANSLATE_DECODE_DEFAULTS.maxLen,
    minLen: d.minLen ?? TRANSLATE_DECODE_DEFAULTS.minLen,
    noRepeatNgram: d.noRepeatNgram ?? TRANSLATE_DECODE_DEFAULTS.noRepeatNgram,
  };
  if (r.minLen > r.maxLen) throw new RnnkitError(`minLen ${r.minLen} is more than maxLen ${r.maxLen}`);
  return r;
}

export interface Translation {
  text: string;
  /** Chinese characters of the best hypothesis. */
  tokens: string[];
  /** Log-probability, length-normalized for beam search. */
  score: number;
  /** Beam search: the other finished hypotheses, best first. */
  alternatives: { text: string; score: number }[];
  /** English words not in the training vocabulary (read as <unk>). */
  unknown: string[];
  /** The encoder's input tokens and, per output character (and the closing <eos>), its attention over them. */
  sourceTokens: string[];
  attention: number[][];
}

/** An encoded English sentence (`Translator.encode`; evaluation may leave out the tokens and unknown words). */
export interface Source {
  ids: number[];
  tokens?: string[];
  unknown?: string[];
}

export class Translator {
  readonly stepFn: StepFunction;
  private readonly banned: number[] = [PAD, UNK, BOS];

  constructor(
    readonly models: Seq2SeqModels,
    readonly srcVocab: Vocab,
    readonly tgtVocab: Vocab,
    readonly data: DataConfig,
    readonly model: ModelConfig,
    /** The corpus file the model was trained on, as recorded (evaluate reads it again). */
    readonly corpus?: string,
  ) {
    this.stepFn = seq2seqStepFunction(models);
  }

  /** Encoder input ids of an English sentence (a sentence with no word at all reads as one <unk>). */
  encode(text: string): { ids: number[]; tokens: string[]; unknown: string[] } {
    const tokens = tokenizeEnglish(text);
    const used = tokens.length > 0 ? tokens : ['<unk>'];
    return { ids: this.srcVocab.encode(used), tokens: used, unknown: this.srcVocab.unknownTokens(tokens) };
  }

  private request(d: ResolvedDecoding): DecodeRequest {
    return {
      strategy: d.strategy, bos: BOS, eos: EOS, maxLen: d.maxLen, minLen: d.minLen, noRepeatNgram: d.noRepeatNgram,
      bannedTokens: this.banned, beamWidth: d.beamWidth, lengthPenalty: d.lengthPenalty,
    };
  }

  translate(text: string, decode: DecodingRequest = {}): Translation {
    return this.translateIds(this.encode(text), decode);
  }

  /** `translate` for an already encoded sentence (evaluation encodes the test split once). */
  translateIds(src: Source, decode: DecodingRequest = {}): Translation {
    const d = resolveDecoding(decode);
    const init = encodeForDecoding(this.models, [src.ids]);
    try {
      return this.translation(src, runDecoding(this.stepFn, init, this.request(d)));
    } finally {
      tf.dispose(init);
    }
  }

  /**
   * `translate` for many sentences at once (a server's micro-batch): the sentences that share their decoding settings
   * are decoded together (core's greedyDecodeBatch or beamSearchBatch, `batchSize` sentences per batch), each getting
   * the translation it gets alone (up to the float rounding of a batched matrix product). Results in input order.
   */
  translateMany(requests: readonly { text: string; decode?: DecodingRequest }[], batchSize = 32): Translation[] {
    const out: Translation[] = new Array(requests.length);
    const groups = new Map<string, { d: ResolvedDecoding; items: number[] }>();
    requests.forEach((r, i) => {
      const d = resolveDecoding(r.decode);
      const key = JSON.stringify(d);
      const group = groups.get(key) ?? { d, items: [] };
      group.items.push(i);
      groups.set(key, group);
    });
    for (const { d, items } of groups.values()) {
      for (let start = 0; start < items.length; start += batchSize) {
        const chunk = items.slice(start, start + batchSize);
        const sources = chunk.map((i) => this.encode(requests[i].text));
        const init = encodeForDecoding(this.models, sources.map((src) => src.ids));
        try {
          const results = d.strategy === 'beam'
            ? beamSearchBatch(this.stepFn, init, { ...this.request(d), beamWidth: d.beamWidth })
            : greedyDecodeBatch(this.stepFn, init, this.request(d)).map((r) => [r]);
          results.forEach((hypotheses, k) => (out[chunk[k]] = this.translation(sources[k], hypotheses)));
        } finally {
          tf.dispose(init);
        }
      }
    }
    return out;
  }

  /** The Translation of a sentence's decoded hypotheses (best first). */
  private translation(src: Source, [best, ...rest]: readonly DecodeResult[]): Translation {
    const chars = (ids: number[]) => this.tgtVocab.decode(ids);
    const width = src.ids.length;
    return {
      text: joinChinese(chars(best.tokens)),
      tokens: chars(best.tokens),
      score: best.score,
      alternatives: rest.map((r) => ({ text: joinChinese(chars(r.tokens)), score: r.score })),
      unknown: src.unknown ?? [],
      sourceTokens: src.tokens ?? this.srcVocab.decode(src.ids),
      // Rows of a batch attend over its widest source: keep this sentence's own positions.
      attention: (best.extras ?? []).map((row) => row.slice(0, width)),
    };
  }

  /** Greedy translations of many encoded sentences, `batchSize` at a time (Chinese characters per sentence). */
  greedyBatch(srcIds: readonly number[][], opts: { maxLen?: number; batchSize?: number } = {}): string[][] {
    const out: string[][] = [];
    const batchSize = opts.batchSize ?? 64;
    const req = this.request(resolveDecoding({ strategy: 'greedy', maxLen: opts.maxLen }));
    for (let start = 0; start < srcIds.length; start += batchSize) {
      const chunk = srcIds.slice(start, start + batchSize);
      const init = encodeForDecoding(this.models, chunk);
      try {
        for (const r of greedyDecodeBatch(this.stepFn, init, req)) out.push(this.tgtVocab.decode(r.tokens));
      } finally {
        tf.dispose(init);
      }
    }
    return out;
  }

  /**
   * Beam-search translations of many encoded sentences, `batchSize` sentences per batch: core's beamSearchBatch steps
   * the live beams of all of them together (each sentence gets the hypotheses it gets alone).
   */
  beamBatch(sources: readonly Source[], decode: DecodingRequest = {}, batchSize = 32): Translation[] {
    const d = resolveDecoding({ ...decode, strategy: 'beam' });
    const out: Translation[] = [];
    for (let start = 0; start < sources.length; start += batchSize) {
      const chunk = sources.slice(start, start + batchSize);
      const init = encodeForDecoding(this.models, chunk.map((c) => c.ids));
      try {
        beamSearchBatch(this.stepFn, init, { ...this.request(d), beamWidth: d.beamWidth }).forEach((hypotheses, i) => out.push(this.translation(chunk[i], hypotheses)));
      } finally {
        tf.dispose(init);
      }
    }
    return out;
  }

  dispose(): void {
    disposeSeq2Seq(this.models);
  }
}
