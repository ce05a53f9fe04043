import { describe, expect, it } from 'vitest';
import { classCounts, sentenceHoldout, stratifiedSplit } from '../src/split.js';

// 700 examples: 490 of class 1, 210 of class 0, interleaved irregularly.
const labels = Array.from({ length: 700 }, (_, i) => ((i * 37) % 10 < 3 ? 0 : 1));

describe('stratifiedSplit', () => {
  it('gives each part the class balance of the whole (to within one example per class)', () => {
    const parts = stratifiedSplit(labels, [0.8, 0.1, 0.1], 7);
    const whole = classCounts(labels, 2);
    for (const [p, fraction] of [[0, 0.8], [1, 0.1], [2, 0.1]] as const) {
      const counts = classCounts(Array.from(parts[p], (i) => labels[i]), 2);
      counts.forEach((n, c) => expect(Math.abs(n - whole[c] * fraction)).toBeLessThanOrEqual(1));
    }
  });

  it('partitions the examples: disjoint parts that together hold every index once, each in ascending order', () => {
    const parts = stratifiedSplit(labels, [0.8, 0.1, 0.1], 7);
    const all = parts.flatMap((p) => Array.from(p)).sort((a, b) => a - b);
    expect(all).toEqual(labels.map((_, i) => i));
    for (const p of parts) expect(Array.from(p)).toEqual(Array.from(p).sort((a, b) => a - b));
  });

  it('is a function of the seed: the same seed gives the same parts, another seed other parts', () => {
    expect(stratifiedSplit(labels, [0.8, 0.1, 0.1], 7)).toEqual(stratifiedSplit(labels, [0.8, 0.1, 0.1], 7));
    expect(stratifiedSplit(labels, [0.8, 0.1, 0.1], 8)[2]).not.toEqual(stratifiedSplit(labels, [0.8, 0.1, 0.1], 7)[2]);
  });

  it('cuts one class independently of how many examples the other has', () => {
    const more = [...labels, ...new Array<number>(50).fill(1)];
    const classZero = (parts: Int32Array[]) => parts.map((p) => Array.from(p).filter((i) => labels[i] === 0 && i < 700));
    expect(classZero(stratifiedSplit(more, [0.8, 0.1, 0.1], 7))).toEqual(classZero(stratifiedSplit(labels, [0.8, 0.1, 0.1], 7)));
  });

  it('refuses fractions that do not sum to 1', () => {
    expect(() => stratifiedSplit(labels, [0.8, 0.1], 1)).toThrow(/summing to 1/);
    expect(() => stratifiedSplit(labels, [1], 1)).toThrow(/two or more/);
  });
});

describe('sentenceHoldout', () => {
  // Two sentences with their phrases (as in SST-2's train.tsv), a copy of one sentence, and an unrelated sentence.
  const rows = [
    'a gorgeous , witty film', 'gorgeous , witty', 'witty film', 'a gorgeous', 'witty',
    'the plot is a tedious mess', 'tedious mess', 'the plot', 'a tedious', 'the plot is a tedious mess',
    'dull', 'an utterly dull affair',
  ];
  const tokens = rows.map((r) => r.split(' '));
  const labels = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];

  it('finds the sentences: rows that are no contiguous part of a longer row (copies count once)', () => {
    const { sentences, isSentence } = sentenceHoldout(tokens, labels, 0.5, 1);
    expect(sentences).toBe(3);
    // The copy of a sentence (row 9) is not counted again: it is covered by the first one.
    expect(rows.filter((_, i) => isSentence[i] === 1)).toEqual(['a gorgeous , witty film', 'the plot is a tedious mess', 'an utterly dull affair']);
  });

  it('holds out whole sentences and drops their phrases and copies from training', () => {
    for (const seed of [1, 2, 3, 4]) {
      const { train, val, dropped } = sentenceHoldout(tokens, labels, 0.5, seed);
      expect(train.length + val.length + dropped).toBe(rows.length);
      const held = Array.from(val, (i) => ` ${rows[i]} `);
      for (const i of train) expect(held.some((h) => h.includes(` ${rows[i]} `)), rows[i]).toBe(false);
      for (const i of val) expect(['a gorgeous , witty film', 'the plot is a tedious mess', 'an utterly dull affair']).toContain(rows[i]);
    }
  });

  it('is a function of the seed', () => {
    expect(sentenceHoldout(tokens, labels, 0.5, 7)).toEqual(sentenceHoldout(tokens, labels, 0.5, 7));
  });
});
