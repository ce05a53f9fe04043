import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  BOS, beamSearch, disposeSeq2Seq, encodeForDecoding, EOS, greedyDecode, loadModelDir, PAD, RnnkitError, rng, sampleDecode, seq2seqStepFunction,
  UNK, Vocab, type Seq2SeqModels, type StepFunction,
} from '@rnnkit/core';
import type { DataConfig } from './data/dataset.js';
import { buildContext, detokenize, SEP, tokenizeUtterance, type Lang } from './data/pairs.js';
import { buildChatModel, type ChatModelConfig } from './model.js';

/**
 * A trained chatbot: vocabulary + Seq2Seq models + the text settings it was trained with, and `reply`, which turns a
 * conversation into the next bot utterance with beam search or sampling.
 */

export interface DecodeSettings {
  /** Beam width for deterministic decoding (1 = greedy, which can stream its words). */
  beam: number;
  /** > 0: sample at this temperature instead of beam search. */
  temperature: number;
  /** Longest reply in tokens. */
  maxLen: number;
  /** GNMT length normalization for beam search; > 0 counters the pull towards short generic replies. */
  lengthPenalty: number;
  /** Never repeat an n-gram of this size within a reply (0 = off); stops "i am a i am a ..." loops. */
  noRepeatNgram: number;
}

export const DEFAULT_DECODE_SETTINGS: DecodeSettings = { beam: 5, temperature: 0, maxLen: 20, lengthPenalty: 0.6, noRepeatNgram: 3 };

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
 * with greedy decoding (beam 1) or sampling, whose tokens are final as soon as they are chosen — beam search knows
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

/** What `train` stores in the model directory's extras; everything `Chatbot.load` needs besides the weights. */
export interface ChatbotExtras {
  app: 'chatbot';
  data: DataConfig;
  model: ChatModelConfig;
  vocab: unknown;
}

/** A saved model directory: `DIR` itself, or `DIR/model` as written by `train --out DIR`. */
export function resolveModelDir(dir: string): string {
  return existsSync(join(dir, 'rnnkit.json')) || !existsSync(join(dir, 'model', 'rnnkit.json')) ? dir : join(dir, 'model');
}

/**
 * Wraps the model's step so tokens that must never be said (<pad>, <unk>, <bos>, <sep>) get probability 0; every
 * decoding strategy then respects it without knowing about this vocabulary.
 */
function forbidTokens(inner: StepFunction, vocabSize: number, forbidden: number[]): StepFunction & { dispose(): void } {
  const bias = tf.tidy(() => {
    const values = new Float32Array(vocabSize);
    for (const id of forbidden) values[id] = -Infinity;
    return tf.tensor2d(values, [1, vocabSize]);
  });
  return {
    step(tokens, states) {
      const out = inner.step(tokens, states);
      const logProbs = tf.add(out.logProbs, bias) as tf.Tensor2D;
      out.logProbs.dispose();
      return { ...out, logProbs };
    },
    dispose: () => bias.dispose(),
  };
}

export class Chatbot {
  private readonly stepFn: StepFunction & { dispose(): void };

  constructor(
    readonly models: Seq2SeqModels,
    readonly vocab: Vocab,
    readonly data: DataConfig,
    readonly model: ChatModelConfig,
  ) {
    this.stepFn = forbidTokens(seq2seqStepFunction(models), vocab.size, [PAD, UNK, BOS, vocab.idOf(SEP)]);
  }

  static async load(dir: string): Promise<Chatbot> {
    const resolved = resolveModelDir(dir);
    const { model: saved, extras } = await loadModelDir(resolved);
    try {
      const where = join(resolved, 'rnnkit.json');
      const ex = extras as Partial<ChatbotExtras>;
      if (ex.app !== 'chatbot' || typeof ex.data !== 'object' || typeof ex.model !== 'object') {
        throw new RnnkitError(`${where}: not a chatbot model (field "extras.app" must be "chatbot" with "data" and "model")`);
      }
      const vocab = Vocab.fromJSON(ex.vocab, `${where} field "extras.vocab"`);
      const models = buildChatModel(ex.model as ChatModelConfig, vocab.size);
      // The step models share layers with the training model, so copying its weights sets up all three.
      models.train.setWeights(saved.getWeights());
      return new Chatbot(models, vocab, ex.data as DataConfig, ex.model as ChatModelConfig);
    } finally {
      saved.dispose();
    }
  }

  /** Encoder input ids for replying to `turns` (oldest first), plus the last turn's unknown words. */
  encodeContext(turns: readonly string[]): { ids: number[]; unknown: string[] } {
    const tokenized = turns.map((t) => tokenizeUtterance(t, this.data.lang));
    const last = tokenized[tokenized.length - 1] ?? [];
    // A last turn longer than the model ever saw keeps its end: the most recent words matter most for a reply.
    const context = buildContext(tokenized, this.data.history, this.data.maxContextLen) ?? last.slice(-this.data.maxContextLen);
    return { ids: this.vocab.encode(context.length > 0 ? context : ['<unk>']), unknown: this.vocab.unknownTokens(last) };
  }

  /**
   * The next bot utterance. Sampling when `temperature` > 0, greedy decoding with `beam` 1 (both stream through
   * `hooks.onText`), beam search otherwise.
   */
  reply(turns: readonly string[], settings: DecodeSettings = DEFAULT_DECODE_SETTINGS, hooks: ReplyHooks = {}): Reply {
    const { ids, unknown } = this.encodeContext(turns);
    hooks.onStart?.(unknown);
    const streamer = hooks.onText ? textStreamer(this.data.lang, hooks.onText) : undefined;
    const init = encodeForDecoding(this.models, [ids]);
    // minLen 1: an empty reply is never an answer, however likely an immediate EOS is.
    const common = {
      bos: BOS, eos: EOS, maxLen: settings.maxLen, minLen: 1, noRepeatNgram: settings.noRepeatNgram,
      onToken: streamer && ((token: number) => streamer.push(this.vocab.decode([token])[0])),
    };
    try {
      const results =
        settings.temperature > 0
          ? [sampleDecode(this.stepFn, init, { ...common, temperature: settings.temperature }, rng())]
          : settings.beam === 1
            ? [greedyDecode(this.stepFn, init, common)]
            : beamSearch(this.stepFn, init, { ...common, onToken: undefined, beamWidth: settings.beam, lengthPenalty: settings.lengthPenalty });
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
        attention: best.extras ?? [],
      };
    } finally {
      tf.dispose(init);
    }
  }

  dispose(): void {
    this.stepFn.dispose();
    disposeSeq2Seq(this.models);
  }
}
