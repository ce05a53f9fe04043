import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { accuracy, concatTypedArrays, confusionMatrix, heatmapSvg, imageGridPng, runModel, writeFileAtomic } from '@rnnkit/core';
import { imageCount, inputTensor, type ImageSet, type InputMode } from './images.js';

/**
 * Test-set evaluation: overall and per-class accuracy, the confusion matrix (as text and as a heatmap SVG), and a
 * picture of misclassified images captioned with predicted and true class.
 */

const PREDICT_BATCH = 256;

/** Class probabilities for every image, [n × numClasses] row-major; one batch of tensors alive at a time. */
export function predictProbs(model: tf.LayersModel, set: ImageSet, mode: InputMode): Float32Array {
  const n = imageCount(set);
  const chunks: Float32Array[] = [];
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const indices = Int32Array.from({ length: Math.min(PREDICT_BATCH, n - start) }, (_, i) => start + i);
    const [probs] = tf.tidy(() => runModel(model, inputTensor(set, indices, mode)));
    chunks.push(probs.dataSync() as Float32Array);
    probs.dispose();
  }
  return concatTypedArrays(chunks, new Float32Array(0));
}

/** Index of the largest value in each row of `probs`. */
export function argmaxRows(probs: Float32Array, numClasses: number): Int32Array {
  const out = new Int32Array(probs.length / numClasses);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[r * numClasses + c] > probs[r * numClasses + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function predictClasses(model: tf.LayersModel, set: ImageSet, mode: InputMode): Int32Array {
  const numClasses = model.outputs[0].shape[1] as number;
  return argmaxRows(predictProbs(model, set, mode), numClasses);
}

export interface ClassResult {
  name: string;
  correct: number;
  total: number;
  accuracy: number;
}

export interface Evaluation {
  accuracy: number;
  perClass: ClassResult[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  predicted: Int32Array;
}

/** Scores predictions against the labels of `set`. */
export function scorePredictions(set: ImageSet, predicted: Int32Array, classNames: readonly string[]): Evaluation {
  const confusion = confusionMatrix(set.labels, predicted, classNames.length);
  const perClass = classNames.map((name, c) => {
    const total = confusion[c].reduce((a, b) => a + b, 0);
    const correct = confusion[c][c];
    return { name, correct, total, accuracy: total > 0 ? correct / total : NaN };
  });
  return { accuracy: accuracy(set.labels, predicted), perClass, confusion, predicted };
}

export function evaluateClassifier(
  model: tf.LayersModel,
  set: ImageSet,
  mode: InputMode,
  classNames: readonly string[],
): Evaluation {
  return scorePredictions(set, predictClasses(model, set, mode), classNames);
}

const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(100 * x).toFixed(2).padStart(6)}%`);

/** Per-class accuracy and confusion matrix as a fixed-width text table. */
export function formatEvaluation(ev: Evaluation, classNames: readonly string[]): string {
  const nameWidth = Math.max(5, ...classNames.map((n) => n.length));
  const total = ev.perClass.reduce((s, c) => s + c.total, 0);
  const lines = [`test accuracy ${pct(ev.accuracy)} (${Math.round(ev.accuracy * total)}/${total})`, '', 'per class:'];
  for (const c of ev.perClass) lines.push(`  ${c.name.padEnd(nameWidth)} ${pct(c.accuracy)}  (${c.correct}/${c.total})`);
  const cell = Math.max(4, ...ev.confusion.flat().map((v) => String(v).length + 1));
  lines.push('', 'confusion matrix (rows = true class, columns = predicted class):');
  lines.push(`  ${''.padEnd(nameWidth)} ${classNames.map((_, c) => String(c).padStart(cell)).join('')}`);
  ev.confusion.forEach((row, r) => {
    const label = (classNames[r] === String(r) ? classNames[r] : `${r} ${classNames[r]}`).slice(0, nameWidth);
    lines.push(`  ${label.padEnd(nameWidth)} ${row.map((v) => String(v).padStart(cell)).join('')}`);
  });
  return lines.join('\n');
}

export function confusionSvg(ev: Evaluation, classNames: readonly string[], title: string): string {
  return heatmapSvg({ rows: [...classNames], cols: [...classNames], values: ev.confusion, title });
}

/** PNG grid of up to `limit` misclassified images, each captioned "P<predicted class id> T<true class id>". */
export function misclassifiedPng(set: ImageSet, ev: Evaluation, classNames: readonly string[], limit = 64): Uint8Array | undefined {
  const size = set.rows * set.cols;
  const images: { pixels: Float32Array; w: number; h: number; caption: string }[] = [];
  for (let i = 0; i < ev.predicted.length && images.length < limit; i++) {
    if (ev.predicted[i] === set.labels[i]) continue;
    const pixels = Float32Array.from(set.pixels.subarray(i * size, (i + 1) * size), (v) => v / 255);
    images.push({ pixels, w: set.cols, h: set.rows, caption: `P${ev.predicted[i]} T${set.labels[i]}` });
  }
  return images.length > 0 ? imageGridPng(images) : undefined;
}

/** What evaluation.json holds, and what `evaluate --json` prints (plus the files written). */
export interface EvaluationReport {
  accuracy: number;
  perClass: ClassResult[];
  confusion: number[][];
  /** Where each part of the data came from. */
  data: string;
  /** The files written: evaluation.json, confusion.svg and, when any image was misclassified, misclassified.png. */
  files: string[];
}

/**
 * Evaluates on `set` and writes evaluation.json, confusion.svg and misclassified.png into `outDir`. Returns the
 * evaluation, the report and its text (accuracy table, confusion matrix and the files written); the caller prints
 * it after the line saying where the data came from.
 */
export async function evaluateAndWrite(
  model: tf.LayersModel,
  set: ImageSet,
  opts: { mode: InputMode; classNames: readonly string[]; outDir: string; dataDescription: string },
): Promise<{ evaluation: Evaluation; report: EvaluationReport; text: string }> {
  const ev = evaluateClassifier(model, set, opts.mode, opts.classNames);
  await mkdir(opts.outDir, { recursive: true });
  const summary = {
    accuracy: ev.accuracy,
    perClass: ev.perClass,
    confusion: ev.confusion,
    data: opts.dataDescription,
  };
  const file = (name: string) => path.join(opts.outDir, name);
  await writeFileAtomic(file('evaluation.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(file('confusion.svg'), confusionSvg(ev, opts.classNames, 'Confusion matrix (rows: true, columns: predicted)'));
  const files = [file('evaluation.json'), file('confusion.svg')];
  const written = [...files];
  const grid = misclassifiedPng(set, ev, opts.classNames);
  if (grid) {
    await writeFileAtomic(file('misclassified.png'), grid);
    files.push(file('misclassified.png'));
    written.push(`${file('misclassified.png')} (captions: P = predicted class id, T = true class id)`);
  }
  const text = `${formatEvaluation(ev, opts.classNames)}\nwrote ${written.join(', ')}`;
  return { evaluation: ev, report: { ...summary, files }, text };
}
