import { describe, expect, it } from 'vitest';
// natural's BayesClassifier, by its file (the package entry loads database drivers); it ships no types for it.
// @ts-expect-error -- no declaration file for this module
import NaturalBayesClassifier from 'natural/lib/natural/classifiers/bayes_classifier.js';
import { FeatureIndex, SparseNaiveBayes, ngrams } from '../src/baselines/index.js';
import { sst2Head, type NaturalClassifier } from './fixtures.js';

describe('SparseNaiveBayes', () => {
  it("computes exactly natural's BayesClassifier on a subset of SST-2 (500 training phrases, 300 dev sentences)", () => {
    const train = sst2Head('train.tsv', 500);
    const test = sst2Head('dev.tsv', 300);
    // natural, fed our tokens (an array is used as is: no stemming, no stop-word removal).
    const natural = new (NaturalBayesClassifier as new () => NaturalClassifier)();
    for (const ex of train) natural.addDocument(ex.tokens, String(ex.label));
    natural.train();
    const index = FeatureIndex.build(train.map((ex) => ex.tokens));
    const ours = SparseNaiveBayes.fit(train.map((ex) => index.encode(ex.tokens)), train.map((ex) => ex.label), 2, index.size, { estimator: 'natural' });
    let compared = 0;
    let agreed = 0;
    for (const ex of test) {
      const theirs = natural.getClassifications(ex.tokens);
      const scores = ours.logScores(index.encode(ex.tokens));
      // natural multiplies probabilities, which underflow to 0 on long texts; compare where both values are normal.
      if (theirs.some((t) => !(t.value > 1e-300))) continue;
      compared++;
      for (const t of theirs) expect(Math.log(t.value)).toBeCloseTo(scores[Number(t.label)], 9);
      if (Number(theirs[0].label) === (scores[1] > scores[0] ? 1 : 0)) agreed++;
    }
    expect(compared).toBeGreaterThan(250);
    expect(agreed).toBe(compared);
  });

  it('multinomial: the textbook estimate on a hand-computed example', () => {
    // Features 0..2; class 0 documents {0}, {0,1}; class 1 document {2}. α = 1, V = 3.
    const nb = SparseNaiveBayes.fit([Int32Array.of(0), Int32Array.of(0, 1), Int32Array.of(2)], [0, 0, 1], 2, 3);
    const scores = nb.logScores(Int32Array.of(0, 2));
    // class 0: P = 2/3, P(f0) = (2+1)/(3+3), P(f2) = (0+1)/(3+3); class 1: P = 1/3, P(f0) = 1/4, P(f2) = 2/4.
    expect(scores[0]).toBeCloseTo(Math.log(2 / 3) + Math.log(3 / 6) + Math.log(1 / 6), 12);
    expect(scores[1]).toBeCloseTo(Math.log(1 / 3) + Math.log(1 / 4) + Math.log(2 / 4), 12);
    const p = nb.predictProba(Int32Array.of(0, 2));
    expect(p[0] + p[1]).toBeCloseTo(1, 12);
  });

  it('multinomial NB on word uni+bigrams beats the majority class on the SST-2 subset', () => {
    const train = sst2Head('train.tsv', 3000);
    const test = sst2Head('dev.tsv', 300);
    const index = FeatureIndex.build(train.map((ex) => ngrams(ex.tokens, 2)));
    const nb = SparseNaiveBayes.fit(train.map((ex) => index.encode(ngrams(ex.tokens, 2))), train.map((ex) => ex.label), 2, index.size);
    const correct = test.filter((ex) => {
      const s = nb.logScores(index.encode(ngrams(ex.tokens, 2)));
      return (s[1] > s[0] ? 1 : 0) === ex.label;
    }).length;
    const majority = Math.max(...[0, 1].map((c) => test.filter((ex) => ex.label === c).length));
    expect(correct / test.length).toBeGreaterThan(majority / test.length + 0.1);
  });
});

describe('FeatureIndex and ngrams', () => {
  it('numbers distinct features by name; a document encodes to its distinct known features', () => {
    const index = FeatureIndex.build([['b', 'a', 'a'], ['c', 'a']]);
    expect(index.size).toBe(3);
    expect(Array.from(index.encode(['c', 'zzz', 'a', 'c']))).toEqual([0, 2]);
    expect(FeatureIndex.build([['b', 'a', 'a'], ['c', 'a']], 2).size).toBe(1);
  });

  it('adds neighbouring pairs', () => {
    expect(ngrams(['not', 'good', '.'], 2)).toEqual(['not', 'good', '.', 'not\u0001good', 'good\u0001.']);
  });
});
