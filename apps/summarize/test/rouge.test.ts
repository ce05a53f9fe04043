import { describe, expect, it } from 'vitest';
import { corpusRouge, rouge } from '@rnnkit/core';

/**
 * ROUGE F1 on pairs checked by hand. Tokens are lowercased words and numbers; punctuation is dropped.
 * F1 = 2PR / (P + R) with P = matches / candidate length, R = matches / reference length.
 */
describe('ROUGE on hand-checked pairs', () => {
  it('the cat pair: 5 of 6 unigrams, 3 of 5 bigrams, LCS 5', () => {
    // cand: the cat sat on the mat | ref: the cat is on the mat
    const s = rouge('The cat sat on the mat.', 'the cat is on the mat');
    expect(s.rouge1).toBeCloseTo(5 / 6, 10); // the×2, cat, on, mat
    expect(s.rouge2).toBeCloseTo(3 / 5, 10); // "the cat", "on the", "the mat"
    expect(s.rougeL).toBeCloseTo(5 / 6, 10); // the cat on the mat
  });

  it('different lengths: P and R differ', () => {
    // cand (4): police arrest 2 men | ref (7): police arrest 2 men in delhi today
    const s = rouge('Police arrest 2 men', 'Police arrest 2 men in Delhi today');
    const f = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(s.rouge1).toBeCloseTo(f(4 / 4, 4 / 7), 10);
    expect(s.rouge2).toBeCloseTo(f(3 / 3, 3 / 6), 10);
    expect(s.rougeL).toBeCloseTo(f(4 / 4, 4 / 7), 10);
  });

  it('word order: unigrams all match, bigrams do not, LCS is 1', () => {
    // cand: india beats pakistan | ref: pakistan beats india
    const s = rouge('india beats pakistan', 'pakistan beats india');
    expect(s.rouge1).toBeCloseTo(1, 10);
    expect(s.rouge2).toBe(0);
    // Every pair of words appears in opposite orders, so the longest common subsequence is a single word.
    expect(s.rougeL).toBeCloseTo(1 / 3, 10);
  });

  it('no overlap scores 0, an empty candidate scores 0, corpus ROUGE is the mean', () => {
    expect(rouge('apples', 'oranges and pears')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    expect(rouge('', 'anything')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    const c = corpusRouge(['The cat sat on the mat.', 'apples'], ['the cat is on the mat', 'oranges and pears']);
    expect(c.rouge1).toBeCloseTo(5 / 12, 10);
  });
});
