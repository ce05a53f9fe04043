import { checkEnsembleMember } from '@rnnkit/core';
import { fitBigramLogisticRegression, type TokenizedPart } from './baselines/index.js';
import { encodeSet } from './encode.js';
import type { LabeledText } from './formats.js';
import type { LoadedSentiment } from './predictor.js';
import { predictProbs } from './probs.js';

/**
 * Ensembles (`evaluate --model A --ensemble B C ... [--ensemble-lr] [--ensemble-combine mean|stack|select]`): every
 * member classifies the same validation and test texts, and the ensemble's class probabilities combine the
 * members' (combine.ts): by default their plain mean (equal weights; the logistic regression baseline, when added,
 * counts as one member), or with weights fitted on the validation part. Averaging probabilities rather than votes
 * lets a confident member outweigh two unsure ones, and needs no tie rule for an even number of members.
 *
 * The members are whatever the user names: nothing here picks them (`select` may give some weight 0, by validation). Each is read with its own vocabulary and
 * maxLen, so models with different --min-count or --max-len combine; they must share the dataset, the split and the
 * class names, or the "same test part" would not be the same texts.
 */

/** A part's texts, their tokens and labels (train.ts's PreparedPart without the encoding). */
export interface TokenizedRows {
  rows: readonly LabeledText[];
  tokens: readonly string[][];
}

/** Class probabilities [n × numClasses] (row-major) of one member on the validation and test parts. */
export interface MemberProbs {
  name: string;
  val: Float32Array;
  test: Float32Array;
}

/** Refuses a member that was not trained on the same dataset, split and classes as the first model. */
export function checkSameSplit(first: LoadedSentiment, member: LoadedSentiment): void {
  const a = first.extras;
  const b = member.extras;
  checkEnsembleMember(first, member, {
    dataset: [a.dataset, b.dataset],
    classes: [a.classNames, b.classNames],
    ...Object.fromEntries((['valFraction', 'splitSeed', 'maxTrain'] as const).map((key) => [`split.${key}`, [a.split[key], b.split[key]]])),
  });
}

/** A model's class probabilities on the validation and test parts, each text read with the model's own vocabulary. */
export function modelProbs(loaded: LoadedSentiment, parts: { val: TokenizedRows; test: TokenizedRows }): MemberProbs {
  const { maxLen } = loaded.extras.model;
  const probs = (p: TokenizedRows) => predictProbs(loaded.model, encodeSet(p.rows, p.tokens, loaded.vocab, maxLen, loaded.subwords ?? undefined));
  return { name: loaded.dir, val: probs(parts.val), test: probs(parts.test) };
}

/** The logistic regression baseline (fitted as runBaselines fits it, same seed) as an ensemble member. */
export function logisticRegressionProbs(
  parts: { train: TokenizedPart; val: TokenizedPart; test: TokenizedPart },
  numClasses: number,
  seed: number,
): MemberProbs {
  const { docs, model } = fitBigramLogisticRegression(parts.train, parts.val, numClasses, seed);
  const probs = (p: TokenizedPart) => {
    const out = new Float32Array(p.tokens.length * numClasses);
    docs(p).forEach((d, i) => out.set(model.predictProba(d), i * numClasses));
    return out;
  };
  return { name: 'logistic regression (baseline)', val: probs(parts.val), test: probs(parts.test) };
}
