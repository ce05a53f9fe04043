import { describe, expect, it } from 'vitest';
import { corpusRouge, rouge } from '../src/metrics/index.js';

describe('rouge', () => {
  it('matches hand-computed F1 on equal-length texts', () => {
    // Unigrams: 5 of 6 match each way. Bigrams: "the cat", "on the", "the mat" = 3 of 5. LCS "the cat on the mat" = 5.
    const s = rouge('the cat sat on the mat', 'the cat is on the mat');
    expect(s.rouge1).toBeCloseTo(5 / 6, 10);
    expect(s.rouge2).toBeCloseTo(3 / 5, 10);
    expect(s.rougeL).toBeCloseTo(5 / 6, 10);
  });

  it('combines precision and recall on unequal lengths; ignores case and punctuation', () => {
    // R1: P 2/2, R 2/4 → F 2/3. R2: P 1/1, R 1/3 → F 1/2. LCS 2 → 2/3.
    const s = rouge('The cat!', 'the cat sat down.');
    expect(s.rouge1).toBeCloseTo(2 / 3, 10);
    expect(s.rouge2).toBeCloseTo(1 / 2, 10);
    expect(s.rougeL).toBeCloseTo(2 / 3, 10);
    // LCS respects order: "b a" vs "a b" shares unigrams fully but only a subsequence of length 1.
    const swapped = rouge('b a', 'a b');
    expect(swapped.rouge1).toBe(1);
    expect(swapped.rouge2).toBe(0);
    expect(swapped.rougeL).toBeCloseTo(1 / 2, 10);
  });

  it('scores an empty candidate 0 and rejects an empty reference', () => {
    expect(rouge('', 'a b')).toEqual({ rouge1: 0, rouge2: 0, rougeL: 0 });
    expect(() => rouge('a', '  ')).toThrow(/reference is empty/);
    expect(() => corpusRouge(['a', 'b'], ['a', ''])).toThrow(/pair 1: rouge: the reference is empty/);
  });

  it('corpusRouge averages per pair', () => {
    const c = corpusRouge(['a b', 'x'], ['a b', 'y']);
    expect(c).toEqual({ rouge1: 0.5, rouge2: 0.5, rougeL: 0.5 });
    expect(() => corpusRouge(['a'], [])).toThrow(/1 values but references has 0/);
  });
});

describe('ROUGE-L over several sentences', () => {
  it('is the LCS of the whole texts, not a union of per-sentence LCSs', () => {
    // Candidate "Alpha beta. Gamma delta." vs the same two sentences swapped: whole-text LCS is 2 of 4 tokens (F1 0.5), whereas the
    // sentence-split (summary-level) variant would match all 4 tokens.
    expect(rouge('Alpha beta. Gamma delta.', 'Gamma delta. Alpha beta.').rougeL).toBeCloseTo(0.5, 10);
  });
});
