import { RnnkitError, seededRng, shuffledIndices } from '@rnnkit/core/browser';

/**
 * A seeded stratified split: the examples of each class are shuffled with `seed` and cut in the given fractions, so
 * every part has the class balance of the whole (to within one example per class). Parts after the first get
 * round(n_c × fraction) examples of class c; the first gets the rest. The same labels, fractions and seed give the
 * same parts. Each part lists its example indices in ascending order (file order).
 */
export function stratifiedSplit(labels: ArrayLike<number>, fractions: readonly number[], seed: number): Int32Array[] {
  const total = fractions.reduce((a, b) => a + b, 0);
  if (fractions.length < 2 || fractions.some((f) => !(f >= 0)) || Math.abs(total - 1) > 1e-9) {
    throw new RnnkitError(`stratifiedSplit: fractions must be two or more non-negative numbers summing to 1, got ${fractions.join(', ')}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const parts: number[][] = fractions.map(() => []);
  // Classes in ascending order, each with its own generator, so adding examples of one class leaves the others' cuts.
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    const order = shuffledIndices(members.length, seededRng(seed * 1009 + label));
    const sizes = fractions.map((f) => Math.round(members.length * f));
    sizes[0] = members.length - sizes.slice(1).reduce((a, b) => a + b, 0);
    if (sizes[0] < 0) throw new RnnkitError(`stratifiedSplit: class ${label} has too few examples (${members.length}) for fractions ${fractions.join(', ')}`);
    let at = 0;
    sizes.forEach((size, p) => {
      for (let k = 0; k < size; k++) parts[p].push(members[order[at + k]]);
      at += size;
    });
  }
  return parts.map((p) => Int32Array.from(p.sort((a, b) => a - b)));
}

/** Per-class counts of `labels` (index = class id). */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** Calls `visit` with every contiguous run of `tokens` joined by spaces (the whole sequence too, unless `proper`). */
function forEachSpan(tokens: readonly string[], proper: boolean, visit: (key: string) => void): void {
  const n = tokens.length;
  for (let a = 0; a < n; a++) {
    let key = '';
    for (let b = a; b < n; b++) {
      key = b === a ? tokens[a] : `${key} ${tokens[b]}`;
      if (!(proper && a === 0 && b === n - 1)) visit(key);
    }
  }
}

export interface SentenceHoldout {
  train: Int32Array;
  val: Int32Array;
  /** Rows dropped from training because they are phrases of (or copies of) a held-out sentence. */
  dropped: number;
  /** Sentences found (rows that are no contiguous part of a longer row). */
  sentences: number;
  /** Per input row: 1 when the row is one of those sentences. */
  isSentence: Uint8Array;
}

/**
 * A validation part for a treebank-style training set whose rows are full sentences *and* their phrases (SST-2's
 * train.tsv): a random validation row would usually be a phrase of a training sentence, and a model that memorized
 * the sentence scores well on it (on SST-2 such a validation accuracy kept rising while dev accuracy fell). Here the
 * sentences are the rows that are no contiguous run of tokens of a longer row; a stratified `fraction` of them (by
 * `seed`) is held out, and every row that is a run of tokens of a held-out sentence (its phrases, and copies of it)
 * leaves the training part. Validation then looks like the dev set: full sentences never seen in training.
 */
export function sentenceHoldout(tokens: readonly (readonly string[])[], labels: ArrayLike<number>, fraction: number, seed: number): SentenceHoldout {
  const n = tokens.length;
  const rowsByKey = new Map<string, number[]>();
  tokens.forEach((t, i) => {
    const key = t.join(' ');
    const list = rowsByKey.get(key);
    if (list) list.push(i);
    else rowsByKey.set(key, [i]);
  });
  const covered = new Uint8Array(n);
  const cover = (key: string) => {
    for (const r of rowsByKey.get(key) ?? []) covered[r] = 1;
  };
  const sentences: number[] = [];
  // Longest first: a row not covered by a longer sentence is itself a sentence.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => tokens[b].length - tokens[a].length || a - b);
  for (const i of order) {
    if (covered[i]) continue;
    sentences.push(i);
    cover(tokens[i].join(' '));
    forEachSpan(tokens[i], true, cover);
  }
  sentences.sort((a, b) => a - b);
  const [, heldIdx] = stratifiedSplit(Array.from(sentences, (i) => labels[i]), [1 - fraction, fraction], seed);
  const val = Int32Array.from(heldIdx, (k) => sentences[k]);
  const out = new Uint8Array(n);
  for (const s of val) forEachSpan(tokens[s], false, (key) => {
    for (const r of rowsByKey.get(key) ?? []) out[r] = 1;
  });
  const isVal = new Uint8Array(n);
  for (const s of val) isVal[s] = 1;
  const train: number[] = [];
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    if (isVal[i]) continue;
    if (out[i]) dropped++;
    else train.push(i);
  }
  const isSentence = new Uint8Array(n);
  for (const s of sentences) isSentence[s] = 1;
  return { train: Int32Array.from(train), val, dropped, sentences: sentences.length, isSentence };
}
