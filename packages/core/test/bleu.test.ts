import { describe, expect, it } from 'vitest';
import { bleu4, distinctN } from '../src/metrics/index.js';

const t = (s: string) => s.split(' ');

describe('bleu4', () => {
  it('matches a hand computation', () => {
    // p1 4/5, p2 3/4, p3 2/3, p4 1/2, equal lengths → BLEU = (0.2)^(1/4).
    const r = bleu4([t('a b c d e')], [t('a b c d f')]);
    expect(r.precisions).toEqual([4 / 5, 3 / 4, 2 / 3, 1 / 2]);
    expect(r.brevityPenalty).toBe(1);
    expect(r.bleu).toBeCloseTo(0.2 ** 0.25, 12);
  });

  it('sums counts over the corpus (not a mean of sentence scores)', () => {
    const r = bleu4([t('a b c d e'), t('a b c d e')], [t('a b c d f'), t('a b c d e')]);
    expect(r.precisions).toEqual([9 / 10, 7 / 8, 5 / 6, 3 / 4]);
    expect(r.bleu).toBeCloseTo((0.9 * 0.875 * (5 / 6) * 0.75) ** 0.25, 12);
  });

  it('applies the brevity penalty and smoothing', () => {
    // 3 candidate tokens vs 6: no 4-gram at all → 0 unsmoothed; add-1 gives p2..p4 = 1 and BP = e^(1 - 6/3).
    expect(bleu4([t('a b c')], [t('a b c d e f')]).bleu).toBe(0);
    const add1 = bleu4([t('a b c')], [t('a b c d e f')], { smoothing: 'add1' });
    expect(add1.brevityPenalty).toBeCloseTo(Math.exp(-1), 12);
    expect(add1.bleu).toBeCloseTo(Math.exp(-1), 12);
    // epsilon: p1 4/5, p2 2/4, p3 0.1/3, p4 0.1/2.
    const eps = bleu4([t('a b c d e')], [t('a b x d e')], { smoothing: 'epsilon' });
    expect(eps.bleu).toBeCloseTo((0.8 * 0.5 * (0.1 / 3) * 0.05) ** 0.25, 12);
  });

  it('uses the closest reference length (shorter on ties) and clips by the max reference count', () => {
    expect(bleu4([t('a b c d')], [[t('a b c d e f'), t('a b c')]]).referenceLength).toBe(3);
    expect(bleu4([t('a b c d')], [[t('a b c d e'), t('a b c')]]).referenceLength).toBe(3);
    const far = bleu4([t('a b c d')], [[t('a b c d e'), t('a b c d e f g')]]);
    expect(far.brevityPenalty).toBeCloseTo(Math.exp(1 - 5 / 4), 12);
    expect(bleu4([t('the the the')], [[t('the cat'), t('the the dog')]]).precisions[0]).toBeCloseTo(2 / 3, 12);
  });

  it('rejects bad input', () => {
    expect(() => bleu4([], [])).toThrow(/candidates is empty/);
    expect(() => bleu4([t('a')], [[]])).toThrow(/references\[0\] is empty/);
    expect(() => bleu4([t('a')], [t('a'), t('b')])).toThrow(/1 values but references has 2/);
  });
});

describe('distinctN', () => {
  it('counts distinct n-grams over all sequences', () => {
    expect(distinctN([t('a b a b')], 1)).toBe(0.5);
    expect(distinctN([t('a b a b')], 2)).toBeCloseTo(2 / 3, 12);
    expect(distinctN([[1, 2], [1, 3]], 1)).toBe(3 / 4);
    expect(distinctN([['a']], 2)).toBe(0);
    expect(() => distinctN([], 1)).toThrow(/no sequences/);
    expect(() => distinctN([['a']], 0)).toThrow(/n must be/);
  });
});
