import { RnnkitError } from '../errors.js';
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
