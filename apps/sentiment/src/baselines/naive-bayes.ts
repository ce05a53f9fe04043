import { RnnkitError } from '@rnnkit/core';

/**
 * Naive Bayes over sparse documents (lists of distinct feature ids), in two estimators:
 *
 * - `multinomial` (the baseline reported): log P(f | c) = log((n_c(f) + α) / (Σ_f' n_c(f') + α·V)), where n_c(f)
 *   counts the class-c documents holding f, and a document's score for class c is log P(c) + Σ_{f in doc}
 *   log P(f | c). With presence counts this is the "binarized multinomial" NB of Wang & Manning (2012).
 * - `natural`: the estimate of natural's BayesClassifier (through apparatus), which scores only the features present
 *   with P(f | c) = (n_c(f) + s) / (N_c + 1) and the prior (N_c + 1) / (N + 1), N_c the class's documents. It is here
 *   to show, in a test, that this sparse code computes exactly what natural's dense classifier does: natural builds
 *   a vector over the whole vocabulary for every document, which SST-2's 67k phrases × 14k words make too slow.
 *
 * Memory is classes × features floats, time linear in the features of the documents.
 */

export type NaiveBayesEstimator = 'multinomial' | 'natural';

export interface NaiveBayesOptions {
  /** Additive smoothing α (natural: its `smoothing`, default 1). */
  smoothing?: number;
  estimator?: NaiveBayesEstimator;
}

export class SparseNaiveBayes {
  /** logLikelihood[c * numFeatures + f]. */
  private readonly logLikelihood: Float64Array;
  private readonly logPrior: Float64Array;

  private constructor(
    readonly numClasses: number,
    readonly numFeatures: number,
    logLikelihood: Float64Array,
    logPrior: Float64Array,
  ) {
    this.logLikelihood = logLikelihood;
    this.logPrior = logPrior;
  }

  static fit(docs: readonly Int32Array[], labels: ArrayLike<number>, numClasses: number, numFeatures: number, opts: NaiveBayesOptions = {}): SparseNaiveBayes {
    if (docs.length !== labels.length) throw new RnnkitError(`naive Bayes: ${docs.length} documents but ${labels.length} labels`);
    const alpha = opts.smoothing ?? 1;
    if (!(alpha > 0)) throw new RnnkitError(`naive Bayes: smoothing must be > 0, got ${alpha}`);
    const estimator = opts.estimator ?? 'multinomial';
    const counts = new Float64Array(numClasses * numFeatures);
    const docsPerClass = new Float64Array(numClasses);
    const featuresPerClass = new Float64Array(numClasses);
    docs.forEach((doc, i) => {
      const c = labels[i];
      docsPerClass[c]++;
      featuresPerClass[c] += doc.length;
      for (const f of doc) counts[c * numFeatures + f]++;
    });
    const logLikelihood = new Float64Array(numClasses * numFeatures);
    const logPrior = new Float64Array(numClasses);
    for (let c = 0; c < numClasses; c++) {
      const denominator = estimator === 'multinomial' ? featuresPerClass[c] + alpha * numFeatures : docsPerClass[c] + 1;
      for (let f = 0; f < numFeatures; f++) logLikelihood[c * numFeatures + f] = Math.log((counts[c * numFeatures + f] + alpha) / denominator);
      logPrior[c] = estimator === 'multinomial' ? Math.log(docsPerClass[c] / docs.length) : Math.log((docsPerClass[c] + 1) / (docs.length + 1));
    }
    return new SparseNaiveBayes(numClasses, numFeatures, logLikelihood, logPrior);
  }

  /** Unnormalized log-scores log P(c) + Σ log P(f | c), one per class. */
  logScores(doc: Int32Array): Float64Array {
    const scores = Float64Array.from(this.logPrior);
    for (let c = 0; c < this.numClasses; c++) {
      const row = c * this.numFeatures;
      for (const f of doc) scores[c] += this.logLikelihood[row + f];
    }
    return scores;
  }

  /** Class probabilities (the log-scores normalized). */
  predictProba(doc: Int32Array): Float64Array {
    return softmax(this.logScores(doc));
  }
}

export function softmax(scores: Float64Array): Float64Array {
  const max = Math.max(...scores);
  const exp = scores.map((s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / sum);
}
