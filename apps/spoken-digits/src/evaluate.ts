import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { accuracy, argmaxRows, confusionMatrix, ensureDir, heatmapSvg, writeFileAtomicSync, type CommandContext } from '@rnnkit/core';
import { DIGITS } from './dataset.js';
import { dtwNearestLabels } from './dtw.js';
import { predictProbs } from './model.js';
import type { Parts } from './train.js';

/** Scores of one split: the model, the baselines on the same parts, and the model's confusion matrix. */
export interface EvaluationReport {
  split: string;
  testSize: number;
  model: { accuracy: number; confusion: number[][] };
  baselines: { name: string; accuracy: number }[];
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const labelsOf = (list: Parts['test']) => Int32Array.from(list, (e) => e.rec.digit);

/** Majority class of the training part, and DTW 1-nearest-neighbour over the training part's normalized features. */
export function baselineScores(parts: Parts, onProgress?: (line: string) => void): { name: string; accuracy: number }[] {
  const yTest = labelsOf(parts.test);
  const trainParts = [...parts.fit, ...parts.val];
  const counts = DIGITS.map((_, d) => trainParts.filter((e) => e.rec.digit === d).length);
  const majority = counts.indexOf(Math.max(...counts));
  const t0 = Date.now();
  const refs = [...parts.x.fit, ...parts.x.val];
  const nn = dtwNearestLabels(parts.x.test, refs, labelsOf(trainParts), (done) =>
    onProgress?.(`DTW baseline: ${done}/${parts.test.length} test recordings (${((Date.now() - t0) / 1000).toFixed(0)} s)`));
  return [
    { name: 'DTW 1-nearest-neighbour', accuracy: accuracy(yTest, nn) },
    { name: 'majority class', accuracy: accuracy(yTest, new Int32Array(yTest.length).fill(majority)) },
  ];
}

export function scoreModel(model: tf.LayersModel, parts: Parts): { accuracy: number; confusion: number[][] } {
  const y = labelsOf(parts.test);
  const pred = argmaxRows(predictProbs(model, parts.x.test), DIGITS.length);
  return { accuracy: accuracy(y, pred), confusion: confusionMatrix(y, pred, DIGITS.length) };
}

export function confusionSvg(confusion: number[][], title: string): string {
  return heatmapSvg({ rows: [...DIGITS], cols: [...DIGITS], values: confusion, title, yLabel: 'spoken digit', xLabel: 'predicted digit', showValues: true });
}

export function formatReport(r: EvaluationReport): string {
  const lines = [
    `${r.split}: ${r.testSize} test recordings`,
    `  ${'model'.padEnd(26)} ${pct(r.model.accuracy)}`,
    ...r.baselines.map((b) => `  ${b.name.padEnd(26)} ${pct(b.accuracy)}`),
  ];
  return lines.join('\n');
}

/** Scores the model (and the baselines), writes evaluation.json and confusion.svg into `outDir`. */
export function evaluateAndWrite(opts: { model: tf.LayersModel; parts: Parts; splitName: string; baselines: boolean; outDir: string; ctx: Pick<CommandContext, 'info'> }): { report: EvaluationReport; text: string } {
  const report: EvaluationReport = {
    split: opts.splitName,
    testSize: opts.parts.test.length,
    model: scoreModel(opts.model, opts.parts),
    baselines: opts.baselines ? baselineScores(opts.parts, opts.ctx.info) : [],
  };
  ensureDir(opts.outDir);
  const json = path.join(opts.outDir, 'evaluation.json');
  const svg = path.join(opts.outDir, 'confusion.svg');
  writeFileAtomicSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomicSync(svg, confusionSvg(report.model.confusion, `Spoken digits, ${opts.splitName}: ${pct(report.model.accuracy)}`));
  return { report, text: `${formatReport(report)}\nwrote ${json} and ${svg}` };
}

/** Appends one JSON line (the leave-one-speaker-out log). */
export function appendJsonl(file: string, record: object): void {
  ensureDir(path.dirname(file));
  fs.appendFileSync(file, JSON.stringify(record) + '\n');
}
