import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  RnnkitError, accuracy, argmaxRows, concatTypedArrays, confusionMatrix, heatmapSvg, imageGridPng, meanProbabilities, runModel,
  tidyValues, writeFileAtomic,
} from '@rnnkit/core';
import type { Tta } from './augment.js';
import { imageCount, inputTensor, mirroredImages, type ImageSet, type InputMode } from './images.js';

/**
 * Test-set evaluation: overall and per-class accuracy, the confusion matrix (as text and as a heatmap SVG), and a
 * picture of misclassified images captioned with predicted and true class. It scores one model or an ensemble (the
 * mean of several models' class probabilities), each optionally with test-time augmentation, and always reports the
 * validation accuracy next to the test accuracy: that, not the test figure, is what a choice among settings may
 * look at.
 */

const PREDICT_BATCH = 256;

/** Class probabilities for every image, [n × numClasses] row-major; one batch of tensors alive at a time. */
export function predictProbs(model: tf.LayersModel, set: ImageSet, mode: InputMode): Float32Array {
  const n = imageCount(set);
  const chunks: Float32Array[] = [];
  for (let start = 0; start < n; start += PREDICT_BATCH) {
    const indices = Int32Array.from({ length: Math.min(PREDICT_BATCH, n - start) }, (_, i) => start + i);
    chunks.push(tidyValues(() => runModel(model, inputTensor(set, indices, mode))[0]) as Float32Array);
  }
  return concatTypedArrays(chunks, new Float32Array(0));
}

/** One model's class probabilities on a set: reading each image once, and with `tta`'s views averaged. */
export interface ViewProbs {
  plain: Float32Array;
  /** The same array as `plain` when tta is 'off'. */
  tta: Float32Array;
}

export function viewProbs(model: tf.LayersModel, set: ImageSet, mode: InputMode, tta: Tta): ViewProbs {
  const plain = predictProbs(model, set, mode);
  return { plain, tta: tta === 'flip' ? meanProbabilities([plain, predictProbs(model, mirroredImages(set), mode)]) : plain };
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

/** Validation and test accuracy of one model or ensemble. */
export interface SplitScores {
  validationAccuracy: number;
  accuracy: number;
}

/** One ensemble member on its own (with the same test-time augmentation). */
export interface MemberScores extends SplitScores {
  name: string;
}

/** What evaluation.json holds, and what `evaluate --json` prints (plus the files written). */
export interface EvaluationReport extends SplitScores {
  /** `accuracy` is on the test split; per-class figures and the confusion matrix too. */
  perClass: ClassResult[];
  confusion: number[][];
  /** Test-time augmentation of every figure here. */
  tta: Tta;
  /** With tta 'flip': the same model (or ensemble) reading each image once. */
  withoutTta?: SplitScores;
  /** Present for an ensemble: how it combines and each member on its own. */
  ensemble?: { combination: string; members: MemberScores[] };
  /** Where each part of the data came from. */
  data: string;
  /** The files written: evaluation.json, confusion.svg and, when any image was misclassified, misclassified.png. */
  files: string[];
}

/** A model to score: its name in the report (the directory), the network and how it reads an image. */
export interface EvaluatedModel {
  name: string;
  model: tf.LayersModel;
  mode: InputMode;
}

/** The lines printed before the per-class table: validation figure, test-time augmentation, ensemble members. */
export function formatScores(report: Omit<EvaluationReport, 'files'>): string {
  const lines = [`validation accuracy ${pct(report.validationAccuracy)}`];
  if (report.withoutTta) {
    lines.push(
      `test-time augmentation ${report.tta}: class probabilities of each image and its mirror image averaged; ` +
        `reading each image once: test ${pct(report.withoutTta.accuracy).trim()}, validation ${pct(report.withoutTta.validationAccuracy).trim()}`,
    );
  }
  if (report.ensemble) {
    const nameW = Math.max('member'.length, ...report.ensemble.members.map((m) => m.name.length));
    lines.push(
      `ensemble: ${report.ensemble.combination}`,
      `  ${'member'.padEnd(nameW)}  validation     test`,
      ...report.ensemble.members.map((m) => `  ${m.name.padEnd(nameW)}     ${pct(m.validationAccuracy)}  ${pct(m.accuracy)}`),
    );
  }
  return lines.join('\n');
}

/**
 * Scores `models` (one, or an ensemble: the mean of their class probabilities, equal weights) on `sets.test` and
 * `sets.val`, with test-time augmentation `tta`, and writes evaluation.json, confusion.svg and misclassified.png
 * into `outDir`. Returns the test evaluation, the report and its text; the caller prints it after the line saying
 * where the data came from.
 */
export async function evaluateAndWrite(
  models: readonly EvaluatedModel[],
  sets: { val: ImageSet; test: ImageSet },
  opts: { classNames: readonly string[]; outDir: string; dataDescription: string; tta?: Tta },
): Promise<{ evaluation: Evaluation; report: EvaluationReport; text: string }> {
  if (models.length === 0) throw new RnnkitError('evaluate: no model to score');
  const tta = opts.tta ?? 'off';
  const k = opts.classNames.length;
  const members = models.map((m) => ({ name: m.name, val: viewProbs(m.model, sets.val, m.mode, tta), test: viewProbs(m.model, sets.test, m.mode, tta) }));
  const scores = (val: Float32Array, test: Float32Array): SplitScores => ({
    validationAccuracy: accuracy(sets.val.labels, argmaxRows(val, k)),
    accuracy: accuracy(sets.test.labels, argmaxRows(test, k)),
  });
  const combined = (view: keyof ViewProbs, part: 'val' | 'test') => meanProbabilities(members.map((m) => m[part][view]));
  const ev = scorePredictions(sets.test, argmaxRows(combined('tta', 'test'), k), opts.classNames);
  const summary: Omit<EvaluationReport, 'files'> = {
    ...scores(combined('tta', 'val'), combined('tta', 'test')),
    perClass: ev.perClass,
    confusion: ev.confusion,
    tta,
    ...(tta !== 'off' ? { withoutTta: scores(combined('plain', 'val'), combined('plain', 'test')) } : {}),
    ...(models.length > 1
      ? {
          ensemble: {
            combination: `mean of the class probabilities of ${models.length} models, equal weights`,
            members: members.map((m) => ({ name: m.name, ...scores(m.val.tta, m.test.tta) })),
          },
        }
      : {}),
    data: opts.dataDescription,
  };
  await mkdir(opts.outDir, { recursive: true });
  const file = (name: string) => path.join(opts.outDir, name);
  await writeFileAtomic(file('evaluation.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(file('confusion.svg'), confusionSvg(ev, opts.classNames, 'Confusion matrix (rows: true, columns: predicted)'));
  const files = [file('evaluation.json'), file('confusion.svg')];
  const written = [...files];
  const grid = misclassifiedPng(sets.test, ev, opts.classNames);
  if (grid) {
    await writeFileAtomic(file('misclassified.png'), grid);
    files.push(file('misclassified.png'));
    written.push(`${file('misclassified.png')} (captions: P = predicted class id, T = true class id)`);
  }
  // The scores go right under the headline test accuracy, before the per-class table.
  const [headline, ...table] = formatEvaluation(ev, opts.classNames).split('\n');
  const text = [headline, formatScores(summary), ...table, `wrote ${written.join(', ')}`].join('\n');
  return { evaluation: ev, report: { ...summary, files }, text };
}
