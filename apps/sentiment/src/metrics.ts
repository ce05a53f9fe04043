import { accuracy, confusionMatrix } from '@rnnkit/core/browser';

/** Accuracy, per-class precision / recall / F1, their macro averages and the confusion matrix of a classifier. */

export interface ClassScores {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples of this class. */
  support: number;
}

export interface ClassificationScores {
  accuracy: number;
  /** Mean of the per-class F1 scores. */
  macroF1: number;
  /** Mean of the per-class recalls (accuracy as if the classes were balanced). */
  balancedAccuracy: number;
  perClass: ClassScores[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

export function scoreClassification(labels: ArrayLike<number>, predicted: ArrayLike<number>, classNames: readonly string[]): ClassificationScores {
  const confusion = confusionMatrix(labels, predicted, classNames.length);
  const perClass = classNames.map((name, c) => {
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((s, row) => s + row[c], 0);
    const precision = ratio(confusion[c][c], predictedAs);
    const recall = ratio(confusion[c][c], support);
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { name, precision, recall, f1, support };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    accuracy: accuracy(labels, predicted),
    macroF1: mean(perClass.map((c) => c.f1)),
    balancedAccuracy: mean(perClass.map((c) => c.recall)),
    perClass,
    confusion,
  };
}
