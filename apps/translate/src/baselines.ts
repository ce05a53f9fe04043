import type { TokenizedPair } from './data/dataset.js';
import { toSimplified } from './data/chinese.js';

/**
 * The two baselines the model is judged against, both built from the training pairs only:
 *   retrieval: the Chinese of the training pair whose English is most similar by TF-IDF cosine;
 *   word by word: each English word replaced by the Chinese character string most associated with it.
 */

/** Words that carry content for matching: punctuation tokens say little about which sentence is meant. */
const isWord = (t: string) => /[\p{L}\p{N}]/u.test(t);

/**
 * Nearest training sentence by TF-IDF cosine, with sparse vectors and an inverted index (a query only touches the
 * sentences that share a word with it). tf = raw count, idf = ln(N / df). A query with no known word returns the
 * most frequent translation of the training set, the best a retriever can do without evidence.
 */
export class TfIdfRetriever {
  private readonly idf = new Map<string, number>();
  private readonly postings = new Map<string, { doc: number; weight: number }[]>();
  private readonly norms: Float64Array;
  private readonly fallback: string;

  constructor(private readonly pairs: readonly TokenizedPair[]) {
    const df = new Map<string, number>();
    const counts = pairs.map((p) => termCounts(p.src));
    for (const c of counts) for (const w of c.keys()) df.set(w, (df.get(w) ?? 0) + 1);
    for (const [w, d] of df) this.idf.set(w, Math.log(pairs.length / d));
    this.norms = new Float64Array(pairs.length);
    counts.forEach((c, doc) => {
      let norm = 0;
      for (const [w, k] of c) {
        const weight = k * this.idf.get(w)!;
        norm += weight * weight;
        let list = this.postings.get(w);
        if (!list) this.postings.set(w, (list = []));
        list.push({ doc, weight });
      }
      this.norms[doc] = Math.sqrt(norm);
    });
    const freq = new Map<string, number>();
    for (const p of pairs) freq.set(p.zh, (freq.get(p.zh) ?? 0) + 1);
    this.fallback = [...freq].reduce((best, cur) => (cur[1] > best[1] ? cur : best), ['', 0])[0];
  }

  /** Index of the most similar training pair (lowest index on ties), or -1 when no query word is known. */
  nearest(src: readonly string[]): number {
    const scores = new Map<number, number>();
    let qNorm = 0;
    for (const [w, k] of termCounts(src)) {
      const idf = this.idf.get(w);
      if (idf === undefined) continue;
      const q = k * idf;
      qNorm += q * q;
      for (const { doc, weight } of this.postings.get(w)!) scores.set(doc, (scores.get(doc) ?? 0) + q * weight);
    }
    let best = -1;
    let bestScore = 0;
    for (const [doc, dot] of scores) {
      const cos = this.norms[doc] > 0 ? dot / (this.norms[doc] * Math.sqrt(qNorm)) : 0;
      if (cos > bestScore || (cos === bestScore && best >= 0 && doc < best)) {
        best = doc;
        bestScore = cos;
      }
    }
    return best;
  }

  /** The Chinese of the nearest training pair, in Simplified characters like the model's output. */
  translate(src: readonly string[]): string {
    const i = this.nearest(src);
    return toSimplified(i < 0 ? this.fallback : this.pairs[i].zh);
  }
}

function termCounts(tokens: readonly string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const t of tokens) if (isWord(t)) c.set(t, (c.get(t) ?? 0) + 1);
  return c;
}

/** English punctuation → its full-width Chinese form (what the references use). */
const PUNCTUATION: Record<string, string> = { '.': '。', ',': '，', '?': '？', '!': '！', ':': '：', ';': '；' };

/**
 * Word-by-word translation. Each English word w gets the Chinese character 1-, 2- or 3-gram g with the highest Dice
 * association over the training pairs, 2·n(w, g) / (n(w) + n(g)), n counting pairs that contain them; words whose
 * best association is below `minDice` (articles, most function words) are left out, punctuation is mapped to its
 * full-width form. Associations are computed on demand for the words asked about, from an index of the pairs.
 */
export class WordByWord {
  private readonly pairsOfWord = new Map<string, number[]>();
  private readonly gramPairs = new Map<string, number>();
  private readonly gramsOfPair: Set<string>[];
  private readonly cache = new Map<string, string>();

  constructor(pairs: readonly TokenizedPair[], private readonly minDice = 0.1) {
    this.gramsOfPair = pairs.map((p) => charGrams(p.tgt));
    pairs.forEach((p, i) => {
      for (const w of new Set(p.src)) {
        let list = this.pairsOfWord.get(w);
        if (!list) this.pairsOfWord.set(w, (list = []));
        list.push(i);
      }
      for (const g of this.gramsOfPair[i]) this.gramPairs.set(g, (this.gramPairs.get(g) ?? 0) + 1);
    });
  }

  /** The Chinese for one English word ('' when it has none). */
  word(w: string): string {
    if (PUNCTUATION[w] !== undefined) return PUNCTUATION[w];
    const cached = this.cache.get(w);
    if (cached !== undefined) return cached;
    const docs = this.pairsOfWord.get(w) ?? [];
    const joint = new Map<string, number>();
    for (const d of docs) for (const g of this.gramsOfPair[d]) joint.set(g, (joint.get(g) ?? 0) + 1);
    let best = '';
    let bestDice = this.minDice;
    for (const [g, n] of joint) {
      const dice = (2 * n) / (docs.length + this.gramPairs.get(g)!);
      // On a tie the longer string wins: 汤姆 over 汤 when both always come with "tom".
      if (dice > bestDice || (dice === bestDice && g.length > best.length)) {
        best = g;
        bestDice = dice;
      }
    }
    this.cache.set(w, best);
    return best;
  }

  translate(src: readonly string[]): string {
    return src.map((w) => this.word(w)).join('');
  }
}

function charGrams(chars: readonly string[]): Set<string> {
  const grams = new Set<string>();
  for (let n = 1; n <= 3; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      const gram = chars.slice(i, i + n);
      // Punctuation comes from the English punctuation itself (PUNCTUATION), never from a word.
      if (gram.every((c) => /[\p{L}\p{N}]/u.test(c))) grams.add(gram.join(''));
    }
  }
  return grams;
}
