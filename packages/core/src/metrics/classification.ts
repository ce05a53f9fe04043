import { RnnkitError } from '../errors.js';
import { argmax } from '../decode/sample.js';
import { checkPair } from './validate.js';

/** Fraction of positions where prediction equals label; positions labelled `ignoreLabel` (e.g. PAD) are skipped. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: { ignoreLabel?: number } = {}): number {
  checkPair('accuracy', yTrue, yPred);
  let correct = 0;
  let counted = 0;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === opts.ignoreLabel) continue;
    counted++;
    if (yTrue[i] === yPred[i]) correct++;
  }
  if (counted === 0) throw new RnnkitError(`accuracy: every label equals ignoreLabel ${opts.ignoreLabel}`);
  return correct / counted;
}

/** matrix[trueClass][predictedClass] = count. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkPair('confusionMatrix', yTrue, yPred);
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RnnkitError(`confusionMatrix: numClasses must be an integer >= 1, got ${numClasses}`);
  }
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    for (const [name, v] of [['yTrue', yTrue[i]], ['yPred', yPred[i]]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
        throw new RnnkitError(`confusionMatrix: ${name}[${i}] = ${v} is not a class in [0, ${numClasses})`);
      }
    }
    m[yTrue[i]][yPred[i]]++;
  }
  return m;
}

/** The most likely class of each row of `probs` ([n × numClasses], row-major); ties go to the lower class id. */
export function argmaxRows(probs: Float32Array, numClasses: number): Int32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1 || probs.length % numClasses !== 0) {
    throw new RnnkitError(`argmaxRows: ${probs.length} values do not split into rows of numClasses = ${numClasses}`);
  }
  return Int32Array.from({ length: probs.length / numClasses }, (_, r) => argmax(probs.subarray(r * numClasses, (r + 1) * numClasses)));
}

/**
 * Element-wise mean of equally long class-probability arrays: an ensemble's (or several views' of one input)
 * combined prediction. Averaging probabilities rather than votes lets one confident member outweigh two unsure
 * ones and needs no tie rule for an even number of members.
 */
export function meanProbabilities(members: readonly Float32Array[]): Float32Array {
  if (members.length === 0) throw new RnnkitError('meanProbabilities: no members');
  const n = members[0].length;
  const out = new Float32Array(n);
  for (const [i, m] of members.entries()) {
    if (m.length !== n) throw new RnnkitError(`meanProbabilities: member ${i} has ${m.length} values, member 0 has ${n}`);
    for (let j = 0; j < n; j++) out[j] += m[j];
  }
  for (let j = 0; j < n; j++) out[j] /= members.length;
  return out;
}
