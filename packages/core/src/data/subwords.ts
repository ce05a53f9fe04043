import { z } from 'zod';
import { RnnkitError } from '../errors.js';

/**
 * Hashed character n-grams of words (fastText's sub-word units), so a model can build a vector for a word it never
 * saw from the pieces it shares with words it did see ("unfunny" → "<un", "unf", "fun", "funn", "unny>", ...).
 * Each word is wrapped in boundary markers ("<" + word + ">", so a prefix and a suffix differ from the same letters
 * inside a word), every n-gram with minN ≤ n ≤ maxN is hashed (FNV-1a, 32 bits, over the UTF-16 code units) into
 * one of `buckets` ids 1..buckets; id 0 is left for padding. Browser-safe (no Node API): a predictor hashes the words
 * it is given with the same function the training run used.
 */

export interface SubwordSettings {
  /** Number of hash buckets (the n-gram embedding table has buckets + 1 rows; row 0 is padding). */
  buckets: number;
  /** Shortest n-gram (characters, counting the boundary markers). */
  minN: number;
  /** Longest n-gram. */
  maxN: number;
  /** At most this many n-grams per word (the first ones, shortest n first); bounds a batch's [B, T, K] tensor. */
  maxPerWord: number;
}

export const DEFAULT_SUBWORDS: Omit<SubwordSettings, 'buckets'> = { minN: 3, maxN: 5, maxPerWord: 32 };

/** The largest allowed value of each setting (the smallest is 1; maxN is at least minN). */
const LIMITS = { buckets: 1 << 24, n: 20, maxPerWord: 1000 } as const;

export function checkSubwordSettings(s: SubwordSettings, where = 'subwords'): void {
  const int = (v: number, name: string, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new RnnkitError(`${where}: ${name} must be a whole number in [${min}, ${max}], got ${v}`);
  };
  int(s.buckets, 'buckets', 1, LIMITS.buckets);
  int(s.minN, 'minN', 1, LIMITS.n);
  int(s.maxN, 'maxN', s.minN, LIMITS.n);
  int(s.maxPerWord, 'maxPerWord', 1, LIMITS.maxPerWord);
}

/** The settings as a model's recorded extras hold them (the same bounds as checkSubwordSettings). */
export const subwordSettingsSchema = z.strictObject({
  buckets: z.number().int().min(1).max(LIMITS.buckets),
  minN: z.number().int().min(1).max(LIMITS.n),
  maxN: z.number().int().min(1).max(LIMITS.n),
  maxPerWord: z.number().int().min(1).max(LIMITS.maxPerWord),
}).refine((s) => s.maxN >= s.minN, { message: 'maxN must be >= minN', path: ['maxN'] });

/** FNV-1a over the string's UTF-16 code units (each as two bytes, low first): the same number in every JS engine. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), 0x01000193);
    h = Math.imul(h ^ (c >>> 8), 0x01000193);
  }
  return h >>> 0;
}

/**
 * A word's n-gram bucket ids (each in 1..buckets), shortest n first, at most maxPerWord of them. A word shorter than
 * minN - 2 characters still gets its whole marked form ("<a>") as one n-gram, so every word has at least one.
 * N-grams are cut at code points, never inside a surrogate pair.
 */
export function charNgramIds(word: string, s: SubwordSettings): Int32Array {
  const chars = ['<', ...Array.from(word), '>'];
  const out: number[] = [];
  for (let n = s.minN; n <= s.maxN && out.length < s.maxPerWord; n++) {
    for (let start = 0; start + n <= chars.length && out.length < s.maxPerWord; start++) {
      out.push((fnv1a32(chars.slice(start, start + n).join('')) % s.buckets) + 1);
    }
  }
  if (out.length === 0) out.push((fnv1a32(chars.join('')) % s.buckets) + 1);
  return Int32Array.from(out);
}

/** charNgramIds with a cache per distinct word (a corpus repeats its words many times). */
export class SubwordHasher {
  private readonly cache = new Map<string, Int32Array>();

  constructor(readonly settings: SubwordSettings) {
    checkSubwordSettings(settings);
  }

  ids(word: string): Int32Array {
    let ids = this.cache.get(word);
    if (!ids) {
      ids = charNgramIds(word, this.settings);
      // Bounded: a server hashing arbitrary user text must not grow without limit.
      if (this.cache.size >= 200_000) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  /**
   * The n-gram ids of a batch of token sequences as a flat [B, T, K] int32 array (row-major), T = the longest
   * sequence (or `time`), K = the most n-grams of any word in the batch; padding (missing words, missing n-grams)
   * is 0.
   */
  batch(sequences: readonly (readonly string[])[], time?: number): { ids: Int32Array; shape: [number, number, number] } {
    const b = sequences.length;
    const t = time ?? sequences.reduce((m, s) => Math.max(m, s.length), 0);
    const rows = sequences.map((s) => s.slice(0, t).map((w) => this.ids(w)));
    let k = 1;
    for (const row of rows) for (const ids of row) k = Math.max(k, ids.length);
    const out = new Int32Array(b * t * k);
    rows.forEach((row, i) => row.forEach((ids, j) => out.set(ids, (i * t + j) * k)));
    return { ids: out, shape: [b, t, k] };
  }
}
