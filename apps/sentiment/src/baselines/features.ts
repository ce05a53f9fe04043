/**
 * Sparse bag-of-n-gram features for the count-based baselines: a text's tokens (words for English, characters for
 * Chinese) and, with `ngram` 2, the pairs of neighbouring tokens (character bigrams are the usual unit of Chinese
 * text classification without a word segmenter). A document is the list of its distinct feature ids: presence,
 * not counts, which is what works best for sentiment with naive Bayes and logistic regression (a word repeated in a
 * review adds little evidence).
 */

/** Joins the tokens of an n-gram; a control character, so it never occurs inside a token. */
const NGRAM_JOIN = '\u0001';

export function ngrams(tokens: readonly string[], maxN: number): string[] {
  const out: string[] = [...tokens];
  for (let n = 2; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(NGRAM_JOIN));
  }
  return out;
}

/** Feature name ↔ id, fixed once built from the training documents. */
export class FeatureIndex {
  private readonly ids = new Map<string, number>();

  /** Features of the training documents seen at least `minCount` times (in distinct documents). */
  static build(docs: Iterable<readonly string[]>, minCount = 1): FeatureIndex {
    const counts = new Map<string, number>();
    for (const doc of docs) for (const f of new Set(doc)) counts.set(f, (counts.get(f) ?? 0) + 1);
    const index = new FeatureIndex();
    // Sorted, so that the same documents always give the same ids.
    for (const f of [...counts.keys()].sort()) if (counts.get(f)! >= minCount) index.ids.set(f, index.ids.size);
    return index;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Distinct known feature ids of a document, ascending; unknown features are dropped. */
  encode(doc: readonly string[]): Int32Array {
    const found = new Set<number>();
    for (const f of doc) {
      const id = this.ids.get(f);
      if (id !== undefined) found.add(id);
    }
    return Int32Array.from(found).sort();
  }
}
