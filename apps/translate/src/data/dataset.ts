import { RnnkitError, Vocab, seededRng, shuffledIndices } from '@rnnkit/core/browser';
import type { ParsedCorpus, TatoebaPair } from './corpus.js';
import { tokenizeChinese } from './chinese.js';
import { tokenizeEnglish } from './text.js';
import type { DataConfig } from './data-config.js';

/**
 * Pairs → token ids, split by English sentence: every translation of one English sentence lands in the same split
 * (1,334 English sentences have several), so the test split never holds an English sentence the model was trained
 * on. The shuffle of distinct English sentences is seeded; the vocabularies come from the training split only.
 */

export interface TokenizedPair {
  src: string[];
  tgt: string[];
  en: string;
  zh: string;
  attribution: string;
  line: number;
}

export interface EncodedPair extends TokenizedPair {
  srcIds: number[];
  tgtIds: number[];
}

export interface TranslationDataset {
  srcVocab: Vocab;
  tgtVocab: Vocab;
  /** Training pairs within the length limits. */
  train: EncodedPair[];
  /** Every validation and test pair, whatever its length. */
  val: EncodedPair[];
  test: EncodedPair[];
  stats: { pairs: number; distinctEnglish: number; trainDroppedLong: number; skipped: number };
}

export function tokenizePair(p: TatoebaPair): TokenizedPair {
  return { src: tokenizeEnglish(p.en), tgt: tokenizeChinese(p.zh), en: p.en, zh: p.zh, attribution: p.attribution, line: p.line };
}

/** The split of each pair (0 train, 1 validation, 2 test), decided per distinct English sentence. */
export function splitByEnglish(pairs: readonly { en: string }[], cfg: Pick<DataConfig, 'valFraction' | 'testFraction' | 'splitSeed'>): Uint8Array {
  if (cfg.valFraction + cfg.testFraction >= 1) throw new RnnkitError('valFraction + testFraction must be below 1');
  const sentences = [...new Set(pairs.map((p) => p.en))];
  const order = shuffledIndices(sentences.length, seededRng(cfg.splitSeed));
  const nTest = Math.round(sentences.length * cfg.testFraction);
  const nVal = Math.round(sentences.length * cfg.valFraction);
  const splitOf = new Map<string, number>();
  order.forEach((sentence, rank) => splitOf.set(sentences[sentence], rank < nTest ? 2 : rank < nTest + nVal ? 1 : 0));
  return Uint8Array.from(pairs, (p) => splitOf.get(p.en)!);
}

/**
 * The dataset of a parsed corpus. With `vocabs` (a trained model's), they are used as they are instead of being
 * built, so `evaluate` encodes the splits exactly as training did.
 */
export function buildDataset(corpus: ParsedCorpus, cfg: DataConfig, vocabs?: { src: Vocab; tgt: Vocab }): TranslationDataset {
  const tokenized = corpus.pairs.map(tokenizePair);
  const split = splitByEnglish(tokenized, cfg);
  const part = (k: number) => tokenized.filter((_, i) => split[i] === k);
  const trainPairs = part(0);
  const srcVocab = vocabs?.src ?? Vocab.build(trainPairs.map((p) => p.src), { minCount: cfg.srcMinCount });
  const tgtVocab = vocabs?.tgt ?? Vocab.build(trainPairs.map((p) => p.tgt), { minCount: cfg.tgtMinCount });
  const encode = (p: TokenizedPair): EncodedPair => ({
    ...p,
    srcIds: srcVocab.encode(p.src.length > 0 ? p.src : ['<unk>']),
    tgtIds: tgtVocab.encode(p.tgt),
  });
  const fits = (p: TokenizedPair) => p.src.length > 0 && p.tgt.length > 0 && p.src.length <= cfg.maxSrcLen && p.tgt.length <= cfg.maxTgtLen;
  const train = trainPairs.filter(fits).map(encode);
  return {
    srcVocab,
    tgtVocab,
    train,
    val: part(1).map(encode),
    test: part(2).map(encode),
    stats: {
      pairs: corpus.pairs.length,
      distinctEnglish: new Set(tokenized.map((p) => p.en)).size,
      trainDroppedLong: trainPairs.length - train.length,
      skipped: corpus.skipped,
    },
  };
}

export function describeDataset(d: TranslationDataset): string {
  return `${d.stats.pairs} pairs (${d.stats.distinctEnglish} distinct English sentences): train ${d.train.length}` +
    `${d.stats.trainDroppedLong > 0 ? ` (+${d.stats.trainDroppedLong} over the length limits left out)` : ''}, ` +
    `validation ${d.val.length}, test ${d.test.length}; vocabularies (train only): English ${d.srcVocab.size} words, ` +
    `Chinese ${d.tgtVocab.size} characters`;
}
