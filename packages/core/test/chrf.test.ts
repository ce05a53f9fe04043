import { describe, expect, it } from 'vitest';
import { corpusChrf } from '../src/metrics/index.js';

describe('corpusChrf', () => {
  it('matches a hand computation with orders 1-2 and beta 2', () => {
    // n=1: candidate a b, reference a b c, 2 matches → P 1, R 2/3. n=2: ab vs ab bc, 1 match → P 1, R 1/2.
    // P = 1, R = 7/12, F2 = 5PR / (4P + R) = (35/12) / (55/12) = 7/11.
    const r = corpusChrf(['ab'], ['abc'], { order: 2 });
    expect(r.precision).toBeCloseTo(1, 12);
    expect(r.recall).toBeCloseTo(7 / 12, 12);
    expect(r.chrf).toBeCloseTo(7 / 11, 12);
  });

  it('ignores whitespace, clips repeated characters and skips orders one side lacks', () => {
    // "猫 猫" → 猫猫 vs 猫狗: n=1 one clipped match of 2 → P = R = 1/2; n=2 none → 0; n ≥ 3 has no n-grams: skipped.
    const r = corpusChrf(['猫 猫'], ['猫狗']);
    expect(r.precision).toBeCloseTo(0.25, 12);
    expect(r.recall).toBeCloseTo(0.25, 12);
    expect(r.chrf).toBeCloseTo(0.25, 12);
  });

  it('sums statistics over the corpus before averaging orders', () => {
    // order 1: matches 2 + 0 of 3 candidate and 3 reference characters → 2/3.
    expect(corpusChrf(['ab', 'a'], ['ab', 'b'], { order: 1 }).chrf).toBeCloseTo(2 / 3, 12);
    // order 2 adds n=2, which only the first pair has (1 of 1 → P = R = 1): P = R = (2/3 + 1) / 2 = 5/6.
    expect(corpusChrf(['ab', 'a'], ['ab', 'b'], { order: 2 }).chrf).toBeCloseTo(5 / 6, 12);
  });

  it('weights recall by beta', () => {
    // P = 1, R = 1/2 (order 1, candidate a, reference a b): F1 = 2/3, F2 = 5 · 0.5 / 4.5 = 5/9.
    expect(corpusChrf(['a'], ['ab'], { order: 1, beta: 1 }).chrf).toBeCloseTo(2 / 3, 12);
    expect(corpusChrf(['a'], ['ab'], { order: 1 }).chrf).toBeCloseTo(5 / 9, 12);
  });

  it('gives 1 for identical texts, 0 for an empty candidate, and rejects bad input', () => {
    expect(corpusChrf(['我们来试试。'], ['我们来试试。']).chrf).toBeCloseTo(1, 12);
    expect(corpusChrf([''], ['abc']).chrf).toBe(0);
    expect(() => corpusChrf(['a'], ['a', 'b'])).toThrow(/corpusChrf/);
    expect(() => corpusChrf(['a'], ['a'], { order: 0 })).toThrow(/order/);
  });
});
