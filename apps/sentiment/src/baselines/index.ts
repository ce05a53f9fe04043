import { RnnkitError, argmax } from '@rnnkit/core';
import type { Language } from '../tokenize.js';
import { classCounts } from '../split.js';
import { FeatureIndex, ngrams } from './features.js';
import { AfinnBaseline } from './lexicon.js';
import { SparseLogisticRegression } from './logistic-regression.js';
import { SparseNaiveBayes } from './naive-bayes.js';

export { FeatureIndex, ngrams } from './features.js';
export { AfinnBaseline } from './lexicon.js';
export { SparseLogisticRegression, type LogisticRegressionOptions } from './logistic-regression.js';
export { SparseNaiveBayes, softmax, type NaiveBayesEstimator, type NaiveBayesOptions } from './naive-bayes.js';

/**
 * The baselines, fitted on the same training part as the model (its tokens: words for English, characters for
 * Chinese) and scored on the same test part. Logistic regression picks its epoch on the validation part, as the
 * model does.
 */

export interface TokenizedPart {
  tokens: readonly string[][];
  labels: ArrayLike<number>;
}

export interface BaselinePredictions {
  /** Short name for tables. */
  name: string;
  /** What it is, in one line. */
  description: string;
  predicted: Int32Array;
}

export function runBaselines(
  parts: { train: TokenizedPart; val: TokenizedPart; test: TokenizedPart },
  opts: { language: Language; numClasses: number; seed: number; positiveClass?: number; negativeClass?: number },
): BaselinePredictions[] {
  const { train, val, test } = parts;
  if (train.tokens.length === 0) throw new RnnkitError('baselines: empty training part');
  const k = opts.numClasses;
  const majority = argmax(classCounts(train.labels, k));
  const unit = opts.language === 'en' ? 'words' : 'characters';
  const pairs = opts.language === 'en' ? 'word bigrams' : 'character bigrams';
  const results: BaselinePredictions[] = [
    { name: 'majority class', description: `always the training part's most frequent class (${majority})`, predicted: new Int32Array(test.tokens.length).fill(majority) },
  ];
  if (opts.language === 'en') {
    const afinn = new AfinnBaseline(opts.positiveClass ?? 1, opts.negativeClass ?? 0, majority);
    results.push({
      name: 'AFINN lexicon (natural)',
      description: "natural's SentimentAnalyzer, AFINN-165, negation flips; score 0 → majority class",
      predicted: Int32Array.from(test.tokens, (t) => afinn.predict(t).label),
    });
  }
  // natural's BayesClassifier estimate, computed sparsely (test/naive-bayes.test.ts checks it against natural's).
  const unigrams = FeatureIndex.build(train.tokens);
  const uniDocs = (p: TokenizedPart) => p.tokens.map((t) => unigrams.encode(t));
  const naturalNb = SparseNaiveBayes.fit(uniDocs(train), train.labels, k, unigrams.size, { estimator: 'natural' });
  results.push({
    name: 'naive Bayes (natural)',
    description: `natural's BayesClassifier estimate (presence of ${unit}, smoothing 1), computed sparsely`,
    predicted: Int32Array.from(uniDocs(test), (d) => argmax(naturalNb.logScores(d))),
  });
  const { features: bigrams, docs: biDocs, trainDocs, model: lr } = fitBigramLogisticRegression(train, val, k, opts.seed);
  const testDocs = biDocs(test);
  const nb = SparseNaiveBayes.fit(trainDocs, train.labels, k, bigrams.size, { estimator: 'multinomial' });
  results.push({
    name: 'naive Bayes (multinomial)',
    description: `binarized multinomial NB on ${unit} + ${pairs}, α = 1`,
    predicted: Int32Array.from(testDocs, (d) => argmax(nb.logScores(d))),
  });
  results.push({
    name: 'logistic regression',
    description: `${unit} + ${pairs} presence, AdaGrad SGD, L2 1e-6, epoch ${lr.bestEpoch} of 10 ${val.tokens.length > 0 ? 'by validation accuracy' : '(the last: no validation part)'}`,
    predicted: Int32Array.from(testDocs, (d) => argmax(lr.predictProba(d))),
  });
  return results;
}

/**
 * The logistic regression baseline: unigram + bigram presence features of the training part, fitted with `seed`
 * (its visiting order), the epoch with the best validation accuracy kept. runBaselines scores it; an ensemble
 * (ensemble.ts) uses its probabilities.
 */
export function fitBigramLogisticRegression(train: TokenizedPart, val: TokenizedPart, numClasses: number, seed: number) {
  const features = FeatureIndex.build(train.tokens.map((t) => ngrams(t, 2)));
  const docs = (p: Pick<TokenizedPart, 'tokens'>) => p.tokens.map((t) => features.encode(ngrams(t, 2)));
  const trainDocs = docs(train);
  const model = SparseLogisticRegression.fit({ docs: trainDocs, labels: train.labels }, { docs: docs(val), labels: val.labels }, numClasses, features.size, { seed });
  return { features, docs, trainDocs, model };
}
