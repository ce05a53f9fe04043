import { l as rougeL, n as rougeN } from 'js-rouge';
import { repeatedContentWord } from '../data/stopwords.js';
import { wordTokenize } from '../data/tokenize.js';
import { RnnkitError } from '../errors.js';
import { checkPair } from './validate.js';

export interface RougeScores {
  rouge1: number;
  rouge2: number;
  rougeL: number;
}

/** Lowercased words and numbers; punctuation is not a match worth rewarding (as in the common ROUGE setups). */
function rougeTokens(text: string): string[] {
  return wordTokenize(text, { lowercase: true }).filter((t) => /[\p{L}\p{N}]/u.test(t));
}

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F1 of one candidate against one reference, via js-rouge with our tokenizer.
 * ROUGE-L is the LCS over the whole text (not the sentence-split "Lsum" variant). An empty candidate scores 0.
 */
export function rouge(candidate: string, reference: string): RougeScores {
  if (reference.trim() === '') throw new RnnkitError('rouge: the reference is empty');
  if (candidate.trim() === '') return { rouge1: 0, rouge2: 0, rougeL: 0 };
  const opts = { tokenizer: rougeTokens };
  return {
    rouge1: rougeN(candidate, reference, { ...opts, n: 1 }),
    rouge2: rougeN(candidate, reference, { ...opts, n: 2 }),
    // js-rouge splits texts into sentences for ROUGE-L by default; one segment makes it a plain whole-text LCS.
    rougeL: rougeL(candidate, reference, { ...opts, segmenter: (text: string) => [text] }),
  };
}

/** Mean of the per-pair ROUGE F1 scores over a test set. */
export function corpusRouge(candidates: readonly string[], references: readonly string[]): RougeScores {
  checkPair('corpusRouge', candidates, references, ['candidates', 'references']);
  const sum = { rouge1: 0, rouge2: 0, rougeL: 0 };
  candidates.forEach((c, i) => {
    let s: RougeScores;
    try {
      s = rouge(c, references[i]);
    } catch (err) {
      throw new RnnkitError(`corpusRouge: pair ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
    sum.rouge1 += s.rouge1;
    sum.rouge2 += s.rouge2;
    sum.rougeL += s.rougeL;
  });
  const k = candidates.length;
  return { rouge1: sum.rouge1 / k, rouge2: sum.rouge2 / k, rougeL: sum.rougeL / k };
}

type Token = string | number;

function ngramCounts(tokens: readonly Token[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export interface BleuOptions {
  /**
   * 'none' (default): any order without a match gives BLEU 0. 'add1': add 1 to matches and totals of orders 2-4
   * (Lin & Och 2004). 'epsilon': orders without a match count `epsilon` matches (Chen & Cherry 2014, method 1).
   */
  smoothing?: 'none' | 'add1' | 'epsilon';
  epsilon?: number;
}

export interface BleuResult {
  bleu: number;
  /** Modified (clipped) n-gram precisions for n = 1..4, after smoothing. */
  precisions: number[];
  brevityPenalty: number;
  /** Candidate length / reference length over the corpus. */
  lengthRatio: number;
  candidateLength: number;
  referenceLength: number;
}

/**
 * Corpus-level BLEU-4 (Papineni et al. 2002): clipped n-gram matches and totals are summed over the corpus, the
 * geometric mean of the four precisions is multiplied by the brevity penalty exp(1 - r/c) when c < r, with r the
 * sum of each candidate's closest reference length (shorter on ties). Each candidate may have several references.
 */
export function bleu4(
  candidates: readonly (readonly Token[])[],
  references: readonly (readonly Token[])[] | readonly (readonly (readonly Token[])[])[],
  opts: BleuOptions = {},
): BleuResult {
  checkPair('bleu4', candidates, references, ['candidates', 'references']);
  const smoothing = opts.smoothing ?? 'none';
  const epsilon = opts.epsilon ?? 0.1;
  const refSets = references.map((r, i) => {
    const set = (r.length > 0 && Array.isArray(r[0]) ? r : [r]) as readonly (readonly Token[])[];
    if (set.length === 0 || set.every((ref) => ref.length === 0)) throw new RnnkitError(`bleu4: references[${i}] is empty`);
    return set;
  });
  const matches = [0, 0, 0, 0];
  const totals = [0, 0, 0, 0];
  let c = 0;
  let r = 0;
  candidates.forEach((cand, i) => {
    const refs = refSets[i];
    c += cand.length;
    r += refs.map((ref) => ref.length).reduce((best, len) => {
      const d = Math.abs(len - cand.length) - Math.abs(best - cand.length);
      return d < 0 || (d === 0 && len < best) ? len : best;
    });
    for (let n = 1; n <= 4; n++) {
      const maxRef = new Map<string, number>();
      for (const ref of refs) for (const [g, k] of ngramCounts(ref, n)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, k));
      for (const [g, k] of ngramCounts(cand, n)) {
        matches[n - 1] += Math.min(k, maxRef.get(g) ?? 0);
        totals[n - 1] += k;
      }
    }
  });
  const precisions = matches.map((m, i) => {
    if (smoothing === 'add1' && i > 0) return (m + 1) / (totals[i] + 1);
    if (totals[i] === 0) return 0;
    if (m === 0 && smoothing === 'epsilon') return epsilon / totals[i];
    return m / totals[i];
  });
  const brevityPenalty = c === 0 ? 0 : c >= r ? 1 : Math.exp(1 - r / c);
  const bleu = precisions.some((p) => p === 0)
    ? 0
    : brevityPenalty * Math.exp(precisions.reduce((s, p) => s + Math.log(p), 0) / 4);
  return { bleu, precisions, brevityPenalty, lengthRatio: r === 0 ? 0 : c / r, candidateLength: c, referenceLength: r };
}

export interface ChrfOptions {
  /** Highest character n-gram order (default 6). */
  order?: number;
  /** Recall weight of the F-score (default 2: recall counts twice as much as precision). */
  beta?: number;
}

export interface ChrfResult {
  /** In [0, 1] (sacreBLEU prints 100 times this). */
  chrf: number;
  /** Character n-gram precision and recall, each the mean over the orders both sides have n-grams of. */
  precision: number;
  recall: number;
}

/**
 * Corpus-level chrF (Popović 2015), the way sacreBLEU 2 computes it with its defaults (orders 1-6, beta 2,
 * whitespace ignored): for each order n, clipped character n-gram matches and the candidate and reference n-gram
 * totals are summed over the corpus; precision and recall of each order that both sides have n-grams of are averaged
 * over those orders, and chrF is their F-beta. Character-based, so it needs no word segmentation (Chinese) and gives
 * partial credit that word-level BLEU misses. One reference per candidate.
 */
export function corpusChrf(candidates: readonly string[], references: readonly string[], opts: ChrfOptions = {}): ChrfResult {
  checkPair('corpusChrf', candidates, references, ['candidates', 'references']);
  const order = opts.order ?? 6;
  const beta = opts.beta ?? 2;
  if (!Number.isInteger(order) || order < 1) throw new RnnkitError(`corpusChrf: order must be an integer >= 1, got ${order}`);
  if (!(beta > 0)) throw new RnnkitError(`corpusChrf: beta must be > 0, got ${beta}`);
  const matches = new Array<number>(order).fill(0);
  const candTotals = new Array<number>(order).fill(0);
  const refTotals = new Array<number>(order).fill(0);
  candidates.forEach((cand, i) => {
    // Code points, not UTF-16 units, so that a character outside the BMP is one character.
    const c = Array.from(cand.replace(/\s+/gu, ''));
    const r = Array.from(references[i].replace(/\s+/gu, ''));
    for (let n = 1; n <= order; n++) {
      const refCounts = ngramCounts(r, n);
      for (const [g, k] of ngramCounts(c, n)) matches[n - 1] += Math.min(k, refCounts.get(g) ?? 0);
      candTotals[n - 1] += Math.max(0, c.length - n + 1);
      refTotals[n - 1] += Math.max(0, r.length - n + 1);
    }
  });
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 0; n < order; n++) {
    if (candTotals[n] === 0 || refTotals[n] === 0) continue;
    precision += matches[n] / candTotals[n];
    recall += matches[n] / refTotals[n];
    orders++;
  }
  if (orders === 0) return { chrf: 0, precision: 0, recall: 0 };
  precision /= orders;
  recall /= orders;
  const b2 = beta * beta;
  const chrf = precision + recall === 0 ? 0 : ((1 + b2) * precision * recall) / (b2 * precision + recall);
  return { chrf, precision, recall };
}

/** Distinct-n (Li et al. 2016): distinct n-grams / total n-grams over all sequences; a diversity measure for generation. */
export function distinctN(sequences: readonly (readonly Token[])[], n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RnnkitError(`distinctN: n must be an integer >= 1, got ${n}`);
  if (sequences.length === 0) throw new RnnkitError('distinctN: no sequences given');
  const distinct = new Set<string>();
  let total = 0;
  for (const seq of sequences) {
    for (const [g, k] of ngramCounts(seq, n)) {
      distinct.add(g);
      total += k;
    }
  }
  return total === 0 ? 0 : distinct.size / total;
}

/**
 * Share of texts (0..1) that use some content word twice (stop words and punctuation not counted; words compared
 * lowercased, as core's tokenizer splits them): how often a generator repeats itself ("delhi delhi saved power").
 */
export function repeatedContentWordShare(texts: readonly string[]): number {
  if (texts.length === 0) throw new RnnkitError('repeatedContentWordShare: no texts given');
  const repeating = texts.filter((t) => repeatedContentWord(wordTokenize(t, { lowercase: true })) !== undefined).length;
  return repeating / texts.length;
}
