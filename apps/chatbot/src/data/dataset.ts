import { z } from 'zod';
import { UNK, Vocab } from '@rnnkit/core/browser';
import type { Conversation } from './conversation.js';
import { makePairs, SEP, type Pair, type PairStats } from './pairs.js';

/**
 * The chatbot dataset: conversations split into training and held-out parts, a vocabulary built on the training
 * part only, and each pair encoded as ids. The split is by conversation (not by pair) so no held-out response's
 * own context ever appears as training data. A conversation's side is a hash of the split seed and its text, so
 * `evaluate` rebuilds exactly the split a model was trained on, and — important for ChatterBot, whose files repeat
 * many conversations verbatim — every copy of a conversation lands on the same side instead of leaking the
 * held-out answers into training.
 */

/** How conversations become pairs, as recorded in the model directory (extras.text): evaluate rebuilds the split with it. */
export const dataConfigSchema = z.strictObject({
  lang: z.enum(['en', 'zh']),
  history: z.number().int().min(1),
  maxContextLen: z.number().int().min(1),
  maxResponseLen: z.number().int().min(1),
  /** Words seen fewer times in the training split are out of the vocabulary (<unk>). */
  minCount: z.number().int().min(1),
  /** Pairs whose response has a larger share of <unk> tokens are dropped. */
  maxUnknownRatio: z.number().min(0).max(1),
  /** Fraction of conversations held out for evaluation. */
  heldOut: z.number().min(0).max(1),
  splitSeed: z.number().int(),
});
export type DataConfig = z.output<typeof dataConfigSchema>;

export const DEFAULT_DATA_CONFIG: DataConfig = {
  lang: 'en',
  history: 1,
  maxContextLen: 24,
  maxResponseLen: 20,
  minCount: 2,
  maxUnknownRatio: 0.34,
  heldOut: 0.2,
  splitSeed: 1,
};

export interface EncodedPair extends Pair {
  contextIds: number[];
  responseIds: number[];
}

export interface ChatDataset {
  vocab: Vocab;
  train: EncodedPair[];
  heldOut: EncodedPair[];
  /** Per split: pairs kept and pairs removed, by reason. */
  stats: { train: PairStats; heldOut: PairStats };
}

/** FNV-1a over the string, scaled to [0, 1). */
function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** Splits conversations into [train, heldOut]; about `fraction` of them land in heldOut. */
export function splitConversations(
  conversations: readonly Conversation[],
  fraction: number,
  seed: number,
): [Conversation[], Conversation[]] {
  const train: Conversation[] = [];
  const heldOut: Conversation[] = [];
  for (const c of conversations) {
    const text = c.turns.map((t) => t.trim().toLowerCase()).join('\n');
    (hashUnit(`${seed}\n${text}`) < fraction ? heldOut : train).push(c);
  }
  return [train, heldOut];
}

/**
 * Words outside the vocabulary become <unk> in contexts and responses alike, and every model (and baseline) is
 * scored on <unk> as one more token, as in the usual closed-vocabulary language-model evaluation; the decoder is
 * simply never allowed to say it. Pairs whose response is mostly unknown words teach nothing but "<unk> <unk>", so
 * responses with more than `maxUnknownRatio` unknown tokens are dropped and counted.
 */
export function encodePairs(pairs: readonly Pair[], vocab: Vocab, maxUnknownRatio: number, stats: PairStats): EncodedPair[] {
  const out: EncodedPair[] = [];
  let dropped = 0;
  for (const p of pairs) {
    const responseIds = vocab.encode(p.response);
    if (responseIds.filter((id) => id === UNK).length > maxUnknownRatio * responseIds.length) {
      dropped++;
      continue;
    }
    out.push({ ...p, contextIds: vocab.encode(p.context), responseIds });
  }
  stats.dropped.mostlyUnknownResponse = dropped;
  stats.kept = out.length;
  return out;
}

/** Builds the vocabulary from the training pairs (contexts and responses share it: the model shares embeddings). */
export function buildVocab(pairs: readonly Pair[], minCount: number): Vocab {
  // A context that repeats an earlier turn (history > 1) would count that turn's words twice; count each
  // response once plus each pair's last context turn, i.e. every utterance roughly once.
  const lastTurn = (ctx: string[]) => ctx.slice(ctx.lastIndexOf(SEP) + 1);
  const sentences = pairs.flatMap((p) => [lastTurn(p.context), p.response]);
  return Vocab.build(sentences, { minCount, specials: [SEP] });
}

/** Makes the dataset; pass `vocab` to reuse a trained model's vocabulary (evaluation) instead of building one. */
export function buildDataset(conversations: readonly Conversation[], cfg: DataConfig, vocab?: Vocab): ChatDataset {
  const [trainConvs, heldConvs] = splitConversations(conversations, cfg.heldOut, cfg.splitSeed);
  const opts = { lang: cfg.lang, history: cfg.history, maxContextLen: cfg.maxContextLen, maxResponseLen: cfg.maxResponseLen };
  const trainPairs = makePairs(trainConvs, opts);
  const heldPairs = makePairs(heldConvs, opts);
  const v = vocab ?? buildVocab(trainPairs.pairs, cfg.minCount);
  return {
    vocab: v,
    train: encodePairs(trainPairs.pairs, v, cfg.maxUnknownRatio, trainPairs.stats),
    heldOut: encodePairs(heldPairs.pairs, v, cfg.maxUnknownRatio, heldPairs.stats),
    stats: { train: trainPairs.stats, heldOut: heldPairs.stats },
  };
}
