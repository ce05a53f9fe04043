import { RnnkitError, shuffledIndices, Vocab, wordTokenize, type Rng } from '@rnnkit/core/browser';
import { z } from 'zod';
import type { RawPair, ReadReport } from './read.js';

/**
 * From raw pairs to model-ready examples: tokenize, truncate, split, build the vocabulary, and encode each pair for
 * the pointer-generator (source words missing from the vocabulary get per-article "extended" ids so they can be
 * copied into the summary).
 */

export const TASKS = ['headline', 'summary'] as const;
export type Task = (typeof TASKS)[number];

/** Which columns of the Inshorts CSV each task reads. */
export const TASK_COLUMNS: Record<Task, { source: string; target: string }> = {
  headline: { source: 'text', target: 'headlines' },
  summary: { source: 'ctext', target: 'text' },
};

/** The data settings a model was trained with (recorded in its model directory; evaluate and predict reuse them). */
export const dataConfigSchema = z.strictObject({
  task: z.enum(TASKS),
  /** Source tokens kept (articles are truncated to this). */
  maxSrcLen: z.number().int().min(1),
  /** Target tokens kept (EOS comes on top). */
  maxTgtLen: z.number().int().min(1),
  /** Words seen fewer times in the training split are out of vocabulary. */
  minCount: z.number().int().min(1),
  /** Vocabulary size cap, reserved tokens included. */
  maxVocab: z.number().int().min(10),
  /** Fraction of the non-test rows used for validation (model selection, early stopping). */
  valFraction: z.number().min(0).max(0.9),
});
export type DataConfig = z.output<typeof dataConfigSchema>;

/** The last TEST_FRACTION of the usable rows, in file order, is the test set: fixed, never trained or selected on. */
export const TEST_FRACTION = 0.1;

export const DEFAULT_DATA_CONFIG: DataConfig = { task: 'headline', maxSrcLen: 64, maxTgtLen: 16, minCount: 2, maxVocab: 8000, valFraction: 0.1 };

/** Source tokens kept when not given: articles (summary task) are much longer than Inshorts texts (headline task). */
export const DEFAULT_MAX_SRC_LEN: Record<Task, number> = { headline: DEFAULT_DATA_CONFIG.maxSrcLen, summary: 400 };

/** Lowercased words, numbers and punctuation, via core's tokenizer (natural's RegexpTokenizer). */
export function tokenize(text: string): string[] {
  return wordTokenize(text, { lowercase: true });
}

export interface Example {
  /** The untouched source and reference texts (baselines and ROUGE use these). */
  source: string;
  target: string;
  line: number;
  /** Source tokens after truncation. */
  srcTokens: string[];
  tgtTokens: string[];
}

export interface Splits {
  train: Example[];
  val: Example[];
  test: Example[];
}

export function toExample(pair: RawPair, cfg: Pick<DataConfig, 'maxSrcLen' | 'maxTgtLen'>): Example {
  return {
    source: pair.source,
    target: pair.target,
    line: pair.line,
    srcTokens: tokenize(pair.source).slice(0, cfg.maxSrcLen),
    tgtTokens: tokenize(pair.target).slice(0, cfg.maxTgtLen),
  };
}

/** Last 10% (in file order) → test; the rest is shuffled with `rng` and split into train / validation. */
export function splitExamples(examples: Example[], valFraction: number, rng: Rng): Splits {
  const usable = examples.filter((e) => e.srcTokens.length > 0 && e.tgtTokens.length > 0);
  const nTest = Math.round(usable.length * TEST_FRACTION);
  const rest = usable.slice(0, usable.length - nTest);
  const test = usable.slice(usable.length - nTest);
  const order = shuffledIndices(rest.length, rng);
  const nVal = Math.round(rest.length * valFraction);
  const val = Array.from(order.subarray(0, nVal), (i) => rest[i]);
  const train = Array.from(order.subarray(nVal), (i) => rest[i]);
  if (train.length === 0) throw new RnnkitError(`only ${usable.length} usable pairs: nothing left to train on after the splits`);
  return { train, val, test };
}

/** One vocabulary for source and target (same language, and it lets the decoder copy by id). Train split only. */
export function buildVocab(train: Example[], cfg: Pick<DataConfig, 'minCount' | 'maxVocab'>): Vocab {
  function* tokens() {
    for (const e of train) {
      yield e.srcTokens;
      yield e.tgtTokens;
    }
  }
  return Vocab.build(tokens(), { minCount: cfg.minCount, maxSize: cfg.maxVocab });
}

/** A pair in ids, with the per-article extended vocabulary the pointer-generator copies from. */
export interface EncodedExample {
  /** Encoder input: vocabulary ids, UNK for out-of-vocabulary words. */
  src: number[];
  /** Same positions in extended ids: an out-of-vocabulary word w gets vocab.size + oovs.indexOf(w). */
  srcExt: number[];
  /** This article's out-of-vocabulary words, in order of first appearance. */
  oovs: string[];
  /** Decoder input: BOS then the target ids (UNK for out-of-vocabulary words: the embedding knows only the vocab). */
  tgtIn: number[];
  /** Decoder target: extended ids then EOS; an out-of-vocabulary word absent from the source stays UNK. */
  tgtOut: number[];
}

export function encodeSource(srcTokens: string[], vocab: Vocab): Pick<EncodedExample, 'src' | 'srcExt' | 'oovs'> {
  const oovs: string[] = [];
  const src: number[] = [];
  const srcExt: number[] = [];
  for (const t of srcTokens) {
    const id = vocab.idOf(t);
    src.push(id);
    if (id !== Vocab.UNK || t === '<unk>') {
      srcExt.push(id);
      continue;
    }
    let k = oovs.indexOf(t);
    if (k < 0) k = oovs.push(t) - 1;
    srcExt.push(vocab.size + k);
  }
  return { src, srcExt, oovs };
}

export function encodeExample(e: Example, vocab: Vocab): EncodedExample {
  const source = encodeSource(e.srcTokens, vocab);
  const tgtOut = e.tgtTokens.map((t) => {
    const id = vocab.idOf(t);
    if (id !== Vocab.UNK) return id;
    const k = source.oovs.indexOf(t);
    return k < 0 ? Vocab.UNK : vocab.size + k;
  });
  return {
    ...source,
    tgtIn: [Vocab.BOS, ...e.tgtTokens.map((t) => vocab.idOf(t))],
    tgtOut: [...tgtOut, Vocab.EOS],
  };
}

/** Turns generated (extended) ids back into words, using the article's OOV list for copied words. */
export function decodeTokens(ids: readonly number[], vocab: Vocab, oovs: readonly string[]): string[] {
  return ids.map((id) => (id < vocab.size ? vocab.tokenOf(id) : (oovs[id - vocab.size] ?? '<unk>')));
}

export interface PreparedData {
  splits: Splits;
  vocab: Vocab;
  report: ReadReport;
}

/** Median of `values` (the lower middle for an even count, so it is always one of the values). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RnnkitError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function describeData(d: PreparedData, cfg: DataConfig): string {
  const skipped = Object.entries(d.report.skippedEmpty).map(([c, n]) => `${n} with empty "${c}"`).join(', ');
  const { train, val, test } = d.splits;
  return [
    `data: ${d.report.file} (${d.report.format}, ${d.report.encoding}), ${d.report.records} records` +
      (skipped ? `, skipped ${skipped}` : ', none skipped'),
    `task ${cfg.task}: train ${train.length}, val ${val.length}, test ${test.length} (last ${TEST_FRACTION * 100}% of rows); ` +
      `vocab ${d.vocab.size} (min count ${cfg.minCount}, cap ${cfg.maxVocab}); src ≤ ${cfg.maxSrcLen}, target ≤ ${cfg.maxTgtLen} tokens`,
  ].join('\n');
}
