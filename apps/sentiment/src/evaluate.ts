import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { heatmapSvg, runModel, writeFileAtomic } from '@rnnkit/core';
import { runBaselines, type BaselinePredictions, type TokenizedPart } from './baselines/index.js';
import { idsTensor, lengthSortedBatches, type EncodedSet } from './encode.js';
import type { LabeledText } from './formats.js';
import { attentionHtml } from './highlight.js';
import { argmax, scoreClassification, type ClassificationScores } from './metrics.js';
import { classifyTexts, type LoadedSentiment } from './predictor.js';
import type { Language } from './tokenize.js';

/**
 * Test-part evaluation: the model's accuracy, per-class F1 and confusion matrix next to the baselines' on the same
 * examples, the texts the model gets most confidently wrong, and the attention of a few texts as an HTML highlight.
 */

const PREDICT_BATCH = 256;

/** Class probabilities of every example, [n × numClasses] row-major, in the set's order; one batch alive at a time. */
export function predictProbs(model: tf.LayersModel, set: Pick<EncodedSet, 'ids'>): Float32Array {
  const k = model.outputs[0].shape[1] as number;
  const out = new Float32Array(set.ids.length * k);
  for (const indices of lengthSortedBatches(set, PREDICT_BATCH)) {
    const values = tf.tidy(() => runModel(model, idsTensor(set, indices))[0].dataSync());
    indices.forEach((example, row) => out.set(values.subarray(row * k, (row + 1) * k), example * k));
  }
  return out;
}

export function predictedClasses(probs: Float32Array, numClasses: number): Int32Array {
  return Int32Array.from({ length: probs.length / numClasses }, (_, i) => argmax(probs.subarray(i * numClasses, (i + 1) * numClasses)));
}

export interface WrongExample {
  text: string;
  /** Line of the data file. */
  line: number;
  label: string;
  predicted: string;
  /** The model's probability of the wrong class it chose. */
  probability: number;
}

/** The `limit` misclassified examples with the highest probability on the wrong class. */
export function mostConfidentlyWrong(rows: readonly LabeledText[], probs: Float32Array, classNames: readonly string[], limit = 10): WrongExample[] {
  const k = classNames.length;
  const wrong: WrongExample[] = [];
  rows.forEach((row, i) => {
    const p = probs.subarray(i * k, (i + 1) * k);
    const predicted = argmax(p);
    if (predicted !== row.label) {
      wrong.push({ text: row.text, line: row.line, label: classNames[row.label], predicted: classNames[predicted], probability: p[predicted] });
    }
  });
  return wrong.sort((a, b) => b.probability - a.probability || a.line - b.line).slice(0, limit);
}

export interface ScoredBaseline extends ClassificationScores {
  name: string;
  description: string;
}

/** What evaluation.json holds and `evaluate --json` prints (plus the files written). */
export interface EvaluationReport {
  /** Which part was scored ("SST-2 dev", ...) and where every part came from. */
  testName: string;
  data: string;
  examples: number;
  model: ClassificationScores;
  baselines: ScoredBaseline[];
  mostConfidentlyWrong: WrongExample[];
  files: string[];
}

export interface EvaluationInputs {
  loaded: LoadedSentiment;
  test: { rows: readonly LabeledText[]; encoded: EncodedSet };
  /** Tokenized parts for the baselines, or undefined to skip them. */
  baselineParts?: { train: TokenizedPart; val: TokenizedPart; test: TokenizedPart };
  testName: string;
  dataDescription: string;
  outDir: string;
  /** Seed of the baselines that draw random numbers (logistic regression's visiting order). */
  seed: number;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The model and baseline table, the confusion matrix and the confidently wrong texts, as fixed-width text. */
export function formatEvaluation(report: Omit<EvaluationReport, 'files'>, classNames: readonly string[]): string {
  const rows = [{ name: 'model', ...report.model }, ...report.baselines];
  const nameW = Math.max(...rows.map((r) => r.name.length));
  const f1Heads = classNames.map((c) => `F1 ${c}`.padStart(12)).join('');
  const lines = [
    `${report.testName}: ${report.examples} examples`,
    `  ${''.padEnd(nameW)}  accuracy  macro-F1${f1Heads}`,
    ...rows.map((r) => `  ${r.name.padEnd(nameW)}  ${pct(r.accuracy).padStart(8)}  ${pct(r.macroF1).padStart(8)}${r.perClass.map((c) => pct(c.f1).padStart(12)).join('')}`),
    '',
    'model confusion matrix (rows: true class, columns: predicted):',
    `  ${''.padEnd(10)}${classNames.map((c) => c.padStart(10)).join('')}`,
    ...report.model.confusion.map((row, r) => `  ${classNames[r].padEnd(10)}${row.map((v) => String(v).padStart(10)).join('')}`),
  ];
  if (report.mostConfidentlyWrong.length > 0) {
    lines.push('', 'most confidently wrong:');
    for (const w of report.mostConfidentlyWrong.slice(0, 5)) {
      const text = w.text.length > 110 ? `${w.text.slice(0, 107)}...` : w.text;
      lines.push(`  ${w.predicted} (p = ${w.probability.toFixed(3)}), true ${w.label}, line ${w.line}: ${text}`);
    }
  }
  return lines.join('\n');
}

/** Texts for the attention highlight: the first few of the test part that the model gets right, and the most confidently wrong. */
function highlightedTexts(loaded: LoadedSentiment, rows: readonly LabeledText[], predicted: Int32Array, wrong: readonly WrongExample[], language: Language) {
  const right = rows.filter((r, i) => predicted[i] === r.label && loaded.tokenize(r.text).length >= 6).slice(0, 6);
  const chosen = [...right, ...wrong.slice(0, 4).map((w) => rows.find((r) => r.line === w.line)!)];
  const outputs = classifyTexts(loaded, chosen.map((r) => r.text));
  return {
    joinWith: language === 'en' ? ' ' : '',
    texts: outputs.map((o, i) => ({
      caption: `line ${chosen[i].line}: true ${loaded.extras.classNames[chosen[i].label]}, predicted ${o.label} (p = ${o.probability.toFixed(3)})`,
      tokens: o.tokens,
      weights: o.attention ?? [],
    })),
  };
}

/** Evaluates on the test part and writes evaluation.json, confusion.svg and (attention models) attention.html. */
export async function evaluateAndWrite(inputs: EvaluationInputs): Promise<{ report: EvaluationReport; text: string }> {
  const { loaded, test, outDir } = inputs;
  const { classNames, language } = loaded.extras;
  const k = classNames.length;
  const probs = predictProbs(loaded.model, test.encoded);
  const predicted = predictedClasses(probs, k);
  const model = scoreClassification(test.encoded.labels, predicted, classNames);
  const baselines: ScoredBaseline[] = inputs.baselineParts
    ? runBaselines(inputs.baselineParts, { language, numClasses: k, seed: inputs.seed }).map((b: BaselinePredictions) => ({
        name: b.name, description: b.description, ...scoreClassification(test.encoded.labels, b.predicted, classNames),
      }))
    : [];
  const wrong = mostConfidentlyWrong(test.rows, probs, classNames);
  const summary = { testName: inputs.testName, data: inputs.dataDescription, examples: test.rows.length, model, baselines, mostConfidentlyWrong: wrong };

  await mkdir(outDir, { recursive: true });
  const file = (name: string) => path.join(outDir, name);
  const files = [file('evaluation.json'), file('confusion.svg')];
  await writeFileAtomic(files[0], JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(files[1], heatmapSvg({ rows: [...classNames], cols: [...classNames], values: model.confusion, title: `${inputs.testName}: confusion (rows true, columns predicted)` }));
  if (loaded.attentionModel) {
    const { texts, joinWith } = highlightedTexts(loaded, test.rows, predicted, wrong, language);
    files.push(file('attention.html'));
    await writeFileAtomic(files[2], attentionHtml(`Attention weights on ${inputs.testName}`, texts, { joinWith }));
  }
  const text = `${formatEvaluation(summary, classNames)}\nwrote ${files.join(', ')}`;
  return { report: { ...summary, files }, text };
}
