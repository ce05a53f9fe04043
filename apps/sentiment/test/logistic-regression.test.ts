import { describe, expect, it } from 'vitest';
// natural's LogisticRegressionClassifier, by its file (the package entry loads database drivers); no types for it.
// @ts-expect-error -- no declaration file for this module
import NaturalLogisticRegression from 'natural/lib/natural/classifiers/logistic_regression_classifier.js';
import { FeatureIndex, SparseLogisticRegression } from '../src/baselines/index.js';
import { sst2Head, type NaturalClassifier } from './fixtures.js';

function pearson(a: readonly number[], b: readonly number[]): number {
  const mean = (x: readonly number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let cov = 0;
  let va = 0;
  let vb = 0;
  a.forEach((v, i) => {
    cov += (v - ma) * (b[i] - mb);
    va += (v - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  });
  return cov / Math.sqrt(va * vb);
}

/**
 * natural's logistic regression builds a dense vector over its whole vocabulary per document and runs full-batch
 * gradient descent to convergence, so it only runs on a small problem: the first 400 SST-2 training phrases with the
 * words seen in at least 3 of them (about 200 features), scored on all 872 dev sentences. Ours is a different
 * estimator (softmax regression by AdaGrad SGD with L2, where natural fits one sigmoid per class by gradient
 * descent and drops the intercept when scoring), so it cannot match to the digit; the test asks that the two
 * models mostly agree, far beyond what two independent classifiers with the same class balance would.
 */
describe('SparseLogisticRegression against natural', () => {
  it("agrees with natural's LogisticRegressionClassifier on a subset of SST-2 (400 phrases, 872 dev sentences)", () => {
    const raw = sst2Head('train.tsv', 400);
    const index = FeatureIndex.build(raw.map((ex) => ex.tokens), 3);
    // Both models see the same documents: the tokens of the pruned vocabulary.
    const known = (tokens: string[]) => tokens.filter((t) => index.encode([t]).length > 0);
    const train = raw.map((ex) => ({ tokens: known(ex.tokens), label: ex.label })).filter((ex) => ex.tokens.length > 0);
    const test = sst2Head('dev.tsv', 1000).map((ex) => ({ tokens: known(ex.tokens), label: ex.label }));
    expect(index.size).toBeGreaterThan(150);

    const natural = new (NaturalLogisticRegression as new () => NaturalClassifier)();
    // Class names that are not array indices: with "0" and "1", natural's LR pairs each class's weights with the
    // other class's name whenever the first document is positive (its examples object iterates integer-like keys in
    // ascending order, its list of class names in order of first appearance).
    for (const ex of train) natural.addDocument(ex.tokens, ex.label === 1 ? 'positive' : 'negative');
    natural.train();

    const docs = train.map((ex) => index.encode(ex.tokens));
    const labels = train.map((ex) => ex.label);
    const ours = SparseLogisticRegression.fit({ docs, labels }, { docs, labels }, 2, index.size, { seed: 1 });
    // The same estimator on shuffled labels: what agreement looks like when our model learnt nothing.
    const shuffled = labels.map((_, i) => labels[(i * 7919) % labels.length]);
    const control = SparseLogisticRegression.fit({ docs, labels: shuffled }, { docs, labels: shuffled }, 2, index.size, { seed: 1 });

    const theirs: number[] = [];
    const mine: number[] = [];
    const noise: number[] = [];
    for (const ex of test) {
      const scores = natural.getClassifications(ex.tokens);
      const pos = scores.find((s) => s.label === 'positive')!.value;
      const neg = scores.find((s) => s.label === 'negative')!.value;
      theirs.push(pos / (pos + neg));
      mine.push(ours.predictProba(index.encode(ex.tokens))[1]);
      noise.push(control.predictProba(index.encode(ex.tokens))[1]);
    }
    const agreement = (x: number[]) => x.filter((p, i) => p > 0.5 === theirs[i] > 0.5).length / x.length;
    const rate = (x: number[]) => x.filter((p) => p > 0.5).length / x.length;
    // Agreement of two independent classifiers with these positive rates.
    const chance = rate(theirs) * rate(mine) + (1 - rate(theirs)) * (1 - rate(mine));
    const accuracy = (x: number[]) => x.filter((p, i) => (p > 0.5 ? 1 : 0) === test[i].label).length / x.length;
    const figures = { agreement: agreement(mine), chance, correlation: pearson(theirs, mine), control: agreement(noise), controlCorrelation: pearson(theirs, noise), natural: accuracy(theirs), ours: accuracy(mine) };
    console.log(`logistic regression vs natural: ${JSON.stringify(figures)}`);
    expect(figures.agreement).toBeGreaterThan(0.85);
    expect(figures.agreement).toBeGreaterThan(chance + 0.25);
    expect(figures.correlation).toBeGreaterThan(0.85);
    expect(figures.controlCorrelation).toBeLessThan(0.5);
    // Both learnt something from 400 phrases: above the dev set's majority class.
    const majority = Math.max(...[0, 1].map((c) => test.filter((ex) => ex.label === c).length)) / test.length;
    expect(figures.natural).toBeGreaterThan(majority);
    expect(figures.ours).toBeGreaterThan(majority);
  }, 300_000);
});

describe('SparseLogisticRegression without validation documents', () => {
  it('keeps the last epoch (the empty validation set cannot pick one), which has learnt the training set', () => {
    // Feature 0 says positive, feature 1 negative; feature 2 is in every document.
    const docs = Array.from({ length: 40 }, (_, i) => Int32Array.of(i % 2, 2));
    const labels = docs.map((_, i) => (i % 2 === 0 ? 1 : 0));
    const none = { docs: [] as Int32Array[], labels: [] as number[] };
    for (const epochs of [1, 3]) {
      const model = SparseLogisticRegression.fit({ docs, labels }, none, 2, 3, { seed: 1, epochs });
      expect(model.bestEpoch).toBe(epochs);
      expect(model.accuracy(docs, labels)).toBe(1);
    }
  });
});
