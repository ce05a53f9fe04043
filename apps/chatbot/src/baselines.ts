import { BOS, EOS } from '@rnnkit/core';

/**
 * Context-free language models of the responses, the yardsticks for the Seq2Seq model's perplexity: if the model
 * cannot beat a bigram model that never looks at what the user said, attention and the encoder taught it nothing.
 * Both score exactly what the model scores: each response token and the closing EOS, over the same vocabulary.
 */

export interface TokenModel {
  name: string;
  /** ln P(next | prev); prev is BOS for the first token. */
  logProb(prev: number, next: number): number;
}

/** Each response followed by EOS, preceded by BOS: the token stream both models are counted on. */
function withMarkers(response: readonly number[]): number[] {
  return [BOS, ...response, EOS];
}

/** Add-k smoothed unigram model; every vocabulary entry gets k pseudo-counts so nothing has probability 0. */
export function unigramModel(responses: readonly (readonly number[])[], vocabSize: number, k = 1): TokenModel {
  const counts = new Float64Array(vocabSize);
  let total = 0;
  for (const r of responses) {
    for (const id of withMarkers(r).slice(1)) {
      counts[id]++;
      total++;
    }
  }
  const denom = total + k * vocabSize;
  return { name: `unigram (add-${k})`, logProb: (_prev, next) => Math.log((counts[next] + k) / denom) };
}

/**
 * Witten-Bell interpolated bigram model: P(w|v) = (c(v,w) + T(v)·P1(w)) / (c(v) + T(v)), T(v) = number of distinct
 * successors of v. The weight given to the unigram fallback grows with how many different words follow v, which
 * needs no tuning on held-out data.
 */
export function bigramModel(responses: readonly (readonly number[])[], vocabSize: number): TokenModel {
  const unigram = unigramModel(responses, vocabSize);
  const pairCounts = new Map<number, Map<number, number>>();
  for (const r of responses) {
    const seq = withMarkers(r);
    for (let i = 1; i < seq.length; i++) {
      const row = pairCounts.get(seq[i - 1]) ?? new Map<number, number>();
      row.set(seq[i], (row.get(seq[i]) ?? 0) + 1);
      pairCounts.set(seq[i - 1], row);
    }
  }
  const rowTotals = new Map<number, number>();
  for (const [prev, row] of pairCounts) rowTotals.set(prev, [...row.values()].reduce((a, b) => a + b, 0));
  return {
    name: 'bigram (Witten-Bell)',
    logProb: (prev, next) => {
      const p1 = Math.exp(unigram.logProb(prev, next));
      const row = pairCounts.get(prev);
      if (row === undefined) return Math.log(p1);
      const types = row.size;
      const total = rowTotals.get(prev) as number;
      return Math.log(((row.get(next) ?? 0) + types * p1) / (total + types));
    },
  };
}

/** Negative log-likelihood (nats) of responses under a token model, and the number of tokens scored (EOS included). */
export function responsesNll(model: TokenModel, responses: readonly (readonly number[])[]): { nll: number; tokens: number } {
  let nll = 0;
  let tokens = 0;
  for (const r of responses) {
    const seq = withMarkers(r);
    for (let i = 1; i < seq.length; i++) {
      nll -= model.logProb(seq[i - 1], seq[i]);
      tokens++;
    }
  }
  return { nll, tokens };
}

/** The training response given most often (ties: the first seen) — the "always say the same thing" bot. */
export function mostFrequentResponse(responses: readonly (readonly string[])[]): string[] {
  const counts = new Map<string, { n: number; tokens: readonly string[] }>();
  let best: { n: number; tokens: readonly string[] } | undefined;
  for (const r of responses) {
    const key = r.join('\u0000');
    const entry = counts.get(key) ?? { n: 0, tokens: r };
    entry.n++;
    counts.set(key, entry);
    if (best === undefined || entry.n > best.n) best = entry;
  }
  return best ? [...best.tokens] : [];
}
