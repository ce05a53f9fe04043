import { bitsPerChar } from '@rnnkit/core';

/**
 * Character n-gram baselines, so the RNN's validation loss is judged against something honest.
 *
 * Smoothing is Witten–Bell interpolation, chosen because it has no parameter to tune (nothing is fitted on the
 * validation split):
 *   P1(c)     = (C(c) + 1) / (N + V)                                   add-one unigram over the V corpus characters
 *   Pn(c | h) = (C(h c) + T(h) · Pn-1(c | h')) / (C(h) + T(h))        h = the previous n-1 chars, h' = h minus its
 *                                                                       oldest char, T(h) = distinct chars seen after h
 *   Pn(c | h) = Pn-1(c | h')                                          when h never occurs in the training text.
 * Near the start of the scored text, where fewer than n-1 previous characters exist, the longest available
 * history is used.
 */

interface HistoryStats {
  /** C(h): how often the history is followed by any character. */
  total: number;
  /** C(h c) per next character id. */
  next: Map<number, number>;
}

export interface NgramScore {
  order: number;
  natsPerChar: number;
  bitsPerChar: number;
}

export class CharNgramModel {
  /** histories[k] maps a history of k characters (as a string key) to its follow-up counts; k = 0 is the unigram. */
  private readonly histories: Map<string, HistoryStats>[];

  /**
   * @param train  training character ids
   * @param alphabetSize V: number of distinct characters a prediction may choose from
   * @param maxOrder     highest n (histories of n-1 characters)
   */
  constructor(
    train: ArrayLike<number>,
    private readonly alphabetSize: number,
    readonly maxOrder = 5,
  ) {
    this.histories = Array.from({ length: maxOrder }, () => new Map<string, HistoryStats>());
    const key = idsToKey(train);
    for (let i = 0; i < train.length; i++) {
      for (let k = 0; k < maxOrder && k <= i; k++) {
        const h = key.slice(i - k, i);
        let stats = this.histories[k].get(h);
        if (!stats) this.histories[k].set(h, (stats = { total: 0, next: new Map() }));
        stats.total++;
        stats.next.set(train[i], (stats.next.get(train[i]) ?? 0) + 1);
      }
    }
  }

  /**
   * P1..PmaxOrder of `text[t]` given the characters before it (only those inside `text`).
   * Returned as an array indexed by order - 1.
   */
  probabilities(text: ArrayLike<number>, t: number, key = idsToKey(text)): number[] {
    const unigram = this.histories[0].get('');
    const n = unigram?.total ?? 0;
    const c = text[t];
    const probs: number[] = [((unigram?.next.get(c) ?? 0) + 1) / (n + this.alphabetSize)];
    for (let order = 2; order <= this.maxOrder; order++) {
      const lower = probs[order - 2];
      const k = order - 1;
      // Not enough text before t for this history length: keep the longest history that fits.
      const stats = k <= t ? this.histories[k].get(key.slice(t - k, t)) : undefined;
      if (!stats) {
        probs.push(lower);
        continue;
      }
      const distinct = stats.next.size;
      probs.push(((stats.next.get(c) ?? 0) + distinct * lower) / (stats.total + distinct));
    }
    return probs;
  }

  /** Mean negative log-likelihood of text[1..] (each char given the text before it), for every order 1..maxOrder. */
  score(text: ArrayLike<number>): NgramScore[] {
    if (text.length < 2) throw new Error('n-gram scoring needs at least two characters');
    const key = idsToKey(text);
    const nll = new Array<number>(this.maxOrder).fill(0);
    for (let t = 1; t < text.length; t++) {
      this.probabilities(text, t, key).forEach((p, i) => (nll[i] -= Math.log(p)));
    }
    return nll.map((sum, i) => {
      const nats = sum / (text.length - 1);
      return { order: i + 1, natsPerChar: nats, bitsPerChar: bitsPerChar(nats) };
    });
  }
}

/** One UTF-16 unit per id, so a history is a cheap substring usable as a Map key (char vocabularies are < 65536). */
function idsToKey(ids: ArrayLike<number>): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < ids.length; i += CHUNK) {
    s += String.fromCharCode(...Array.from({ length: Math.min(CHUNK, ids.length - i) }, (_, j) => ids[i + j]));
  }
  return s;
}
