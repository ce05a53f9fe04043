import * as tf from '@tensorflow/tfjs';
import {
  BOS, RnnkitError, decode as runDecoding, disposeSeq2Seq, encodeForDecoding, EOS, impliedStrategy, PAD, rng as sharedRng, seededRng, seq2seqStepFunction,
  UNK, type DecodeRequest, type DecodeResult, type DecodeStrategy, type DecodingRequest, type Seq2SeqModels, type SharedRow, type StepFunction, type Vocab,
} from '@rnnkit/core/browser';
import type { DataConfig } from './data/dataset.js';
import { buildContext, detokenize, SEP, tokenizeUtterance, type Lang } from './data/pairs.js';
import type { ChatModelConfig } from './model.js';

/**
 * A trained chatbot: vocabulary + Seq2Seq models + the text settings it was trained with, and `reply`, which turns a
 * conversation into the next bot utterance with beam search, greedy decoding or sampling. No Node APIs here: this
 * is the inference code behind the predictor (predictor.ts's `chatbotFromAppModel` builds it from a loaded model).
 */

/** Decoding when a request leaves a setting out. */
export const CHATBOT_DECODE_DEFAULTS = {
  /** The strategy of a request that implies none (see resolveDecoding). */
  strategy: 'beam',
  beamWidth: 5,
  /** Sampling temperature when the request samples without giving one. */
  temperature: 1,
  /** Longest reply in tokens. */
  maxLen: 20,
  /** An empty reply is never an answer, however likely an immediate EOS is. */
  minLen: 1,
  /** GNMT length normalization for beam search; > 0 counters the pull towards short generic replies. */
  lengthPenalty: 0.6,
  /** Never repeat an n-gram of this size within a reply (0 = off); stops "i am a i am a ..." loops. */
  noRepeatNgram: 3,
} as const;

/** A decoding request with every setting decided. */
export interface ResolvedDecoding {
  strategy: DecodeStrategy;
  beamWidth: number;
  temperature: number;
  topK?: number;
  topP?: number;
  maxLen: number;
  minLen: number;
  lengthPenalty: number;
  noRepeatNgram: number;
  seed?: number;
}

/**
 * Fills in a request's decoding settings. The strategy is core's `impliedStrategy` with beam search as the default
 * (beam for a beamWidth > 1, sampling for a temperature > 0, topK or topP), except that beamWidth 1 without an
 * explicit strategy means greedy decoding: the same reply as a one-beam search, but streamed as it decodes.
 */
export function resolveDecoding(d: DecodingRequest = {}): ResolvedDecoding {
  const implied = impliedStrategy(d, CHATBOT_DECODE_DEFAULTS.strategy);
  const strategy = d.strategy === undefined && implied === 'beam' && d.beamWidth === 1 ? 'greedy' : implied;
  return {
    strategy,
    beamWidth: d.beamWidth ?? CHATBOT_DECODE_DEFAULTS.beamWidth,
    temperature: d.temperature ?? CHATBOT_DECODE_DEFAULTS.temperature,
    topK: d.topK,
    topP: d.topP,
    maxLen: d.maxLen ?? CHATBOT_DECODE_DEFAULTS.maxLen,
    minLen: d.minLen ?? CHATBOT_DECODE_DEFAULTS.minLen,
    lengthPenalty: d.lengthPenalty ?? CHATBOT_DECODE_DEFAULTS.lengthPenalty,
    noRepeatNgram: d.noRepeatNgram ?? CHATBOT_DECODE_DEFAULTS.noRepeatNgram,
    seed: d.seed,
  };
}

/** "beam search, 5 beams", "greedy decoding (beam 1)", "sampling at temperature 0.7". */
export function describeDecoding(d: DecodingRequest = {}): string {
  const r = resolveDecoding(d);
  if (r.strategy === 'sample') return `sampling at temperature ${r.temperature}`;
  return r.strategy === 'greedy' ? 'greedy decoding (beam 1)' : `beam search, ${r.beamWidth} beams`;
}

export interface Reply {
  text: string;
  tokens: string[];
  /** Ranking score of the reply (log-probability, length-normalized for beam search). */
  score: number;
  /** The other finished beams, best first (empty when sampling). */
  alternatives: { text: string; score: number }[];
  /** Words of the user's last turn that are not in the vocabulary (encoded as <unk>). */
  unknown: string[];
  /** The encoder input as tokens, and per reply token its attention over them (for heatmaps). */
  contextTokens: string[];
  attention: number[][];
}

/**
 * Optional callbacks of `reply`, for showing a reply while it decodes. `onStart` comes before decoding; `onText` only
 * with greedy decoding or sampling, whose tokens are final as soon as they are chosen — beam search knows
 * its best hypothesis only at the end. The `onText` pieces, concatenated, are always a prefix of the final `text`.
 */
export interface ReplyHooks {
  onStart?(unknown: readonly string[]): void;
  onText?(piece: string): void;
}

/**
 * Turns a stream of reply tokens into text pieces whose concatenation is always a prefix of `detokenize(tokens)`.
 * English detokenization glues punctuation to the previous word ("fine ." -> "fine.") and contracts " ' " ("i ' m"
 * -> "i'm"), so trailing apostrophes are held back until the next token shows how it attaches; `flush` returns the
 * rest of the final text.
 */
export function textStreamer(lang: Lang, emit: (piece: string) => void): { push(token: string): void; flush(): string } {
  const tokens: string[] = [];
  let written = '';
  let ok = true;
  const advance = (stable: string) => {
    if (!ok) return;
    // Never the case with today's detokenize; if it ever were, stop streaming and let the caller print the rest.
    if (!stable.startsWith(written)) {
      ok = false;
      return;
    }
    if (stable.length > written.length) {
      emit(stable.slice(written.length));
      written = stable;
    }
  };
  return {
    push(token) {
      tokens.push(token);
      let end = tokens.length;
      if (lang === 'en') while (end > 0 && tokens[end - 1] === "'") end--;
      advance(detokenize(tokens.slice(0, end), lang));
    },
    flush() {
      const final = detokenize(tokens, lang);
      return ok && final.startsWith(written) ? final.slice(written.length) : '';
    },
  };
}

/**
 * The tokens a reply must never contain: <pad>, <unk>, <bos> and <sep> (EOS ends it). The one place that decides
 * them; every decoding strategy applies them through core's `bannedTokens` option.
 */
export function chatbotBannedTokens(vocab: Vocab): number[] {
  return [PAD, UNK, BOS, vocab.idOf(SEP)];
}

export class Chatbot {
  /** The decoder's one-token step (shared by every request of a server's batched decoding). */
  readonly stepFn: StepFunction;
  private readonly banned: number[];

  constructor(
    readonly models: Seq2SeqModels,
    readonly vocab: Vocab,
    readonly data: DataConfig,
    readonly model: ChatModelConfig,
  ) {
    this.stepFn = seq2seqStepFunction(models);
    this.banned = chatbotBannedTokens(vocab);
  }

  /** Encoder input ids for replying to `turns` (oldest first), plus the last turn's unknown words. */
  encodeContext(turns: readonly string[]): { ids: number[]; unknown: string[] } {
    const tokenized = turns.map((t) => tokenizeUtterance(t, this.data.lang));
    const last = tokenized[tokenized.length - 1] ?? [];
    // A last turn longer than the model ever saw keeps its end: the most recent words matter most for a reply.
    const context = buildContext(tokenized, this.data.history, this.data.maxContextLen) ?? last.slice(-this.data.maxContextLen);
    return { ids: this.vocab.encode(context.length > 0 ? context : ['<unk>']), unknown: this.vocab.unknownTokens(last) };
  }

  /** Words of `text` that are not in the vocabulary (what the bot will not understand). */
  unknownWords(text: string): string[] {
    return this.vocab.unknownTokens(tokenizeUtterance(text, this.data.lang));
  }

  /**
   * The next bot utterance after `turns` (oldest first, the user's last), decoded as `decode` asks (see
   * resolveDecoding). Greedy and sampled replies stream through `hooks.onText`; beam search delivers its reply whole.
   * Sampling draws from `seededRng(decode.seed)`, or from core's shared generator without a seed.
   */
  reply(turns: readonly string[], decode: DecodingRequest = {}, hooks: ReplyHooks = {}): Reply {
    const { request, finish, ids } = this.prepare(turns, decode, hooks);
    const init = encodeForDecoding(this.models, [ids]);
    try {
      // Core's decode() picks the strategy; beam search ignores onToken (its best hypothesis is known only at the end).
      return finish(runDecoding(this.stepFn, init, request));
    } finally {
      tf.dispose(init);
    }
  }

  /**
   * `reply` as a row of core's SharedDecoder (greedy and sampled replies of many requests stepping together): the
   * row (the encoder already run) and the Reply for its result, the same as `reply` gives.
   */
  startReply(turns: readonly string[], decode: DecodingRequest = {}, hooks: ReplyHooks = {}): { row: SharedRow; finish(result: DecodeResult): Reply } {
    const { request, finish, ids } = this.prepare(turns, decode, hooks);
    const { strategy } = request;
    if (strategy === 'beam') throw new RnnkitError('beam search does not share decoding steps; use reply');
    return { row: { states: encodeForDecoding(this.models, [ids]), opts: { ...request, strategy } }, finish: (result) => finish([result]) };
  }

  /** The decoding request of a reply to `turns`, and the Reply of its results (best first). */
  private prepare(turns: readonly string[], decode: DecodingRequest, hooks: ReplyHooks) {
    const d = resolveDecoding(decode);
    const { ids, unknown } = this.encodeContext(turns);
    hooks.onStart?.(unknown);
    const streamer = hooks.onText ? textStreamer(this.data.lang, hooks.onText) : undefined;
    const request: DecodeRequest = {
      strategy: d.strategy,
      bos: BOS,
      eos: EOS,
      maxLen: d.maxLen,
      minLen: d.minLen,
      noRepeatNgram: d.noRepeatNgram,
      bannedTokens: this.banned,
      onToken: streamer && ((token: number) => streamer.push(this.vocab.decode([token])[0])),
      temperature: d.temperature,
      topK: d.topK,
      topP: d.topP,
      rng: d.seed !== undefined ? seededRng(d.seed) : sharedRng(),
      beamWidth: d.beamWidth,
      lengthPenalty: d.lengthPenalty,
    };
    const finish = (results: DecodeResult[]): Reply => {
      const flushed = streamer?.flush();
      if (flushed) hooks.onText?.(flushed);
      const render = (tokens: number[]) => detokenize(this.vocab.decode(tokens), this.data.lang);
      const [best, ...rest] = results;
      return {
        text: render(best.tokens),
        tokens: this.vocab.decode(best.tokens),
        score: best.score,
        alternatives: rest.map((r) => ({ text: render(r.tokens), score: r.score })),
        unknown,
        contextTokens: this.vocab.decode(ids),
        // A row of a shared batch attends over the batch's widest context: keep its own positions.
        attention: (best.extras ?? []).map((row) => row.slice(0, ids.length)),
      };
    };
    return { request, finish, ids };
  }

  dispose(): void {
    disposeSeq2Seq(this.models);
  }
}
