import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { RnnkitError, accuracy, argmax, argmaxRows, heatmapSvg, writeFileAtomic } from '@rnnkit/core';
import { runBaselines, type BaselinePredictions, type TokenizedPart } from './baselines/index.js';
import type { EncodedSet } from './encode.js';
import type { LabeledText } from './formats.js';
import { applyCombination, fitCombination, type CombinationName, type CombinationOptions } from './combine.js';
import type { MemberProbs } from './ensemble.js';
import { attentionHtml } from './highlight.js';
import { scoreClassification, type ClassificationScores } from './metrics.js';
import { classifyTexts, type LoadedSentiment } from './predictor.js';
import { predictProbs } from './probs.js';
import type { Language } from './tokenize.js';

/**
 * Test-part evaluation: the model's accuracy, per-class F1 and confusion matrix next to the baselines' on the same
 * examples, the texts the model gets most confidently wrong, and the attention of a few texts as an HTML highlight.
 */

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

/** One ensemble member's accuracy on its own, and its weight in the combination. */
export interface MemberScore {
  name: string;
  /** Absent when the split has no validation part (--val-fraction 0). */
  validationAccuracy?: number;
  testAccuracy: number;
  /** mean: 1/members; select: its share of the bag; stack: its coefficient on the log-probabilities. */
  weight: number;
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
  /** The model's (or the ensemble's) scores on the test part. */
  model: ClassificationScores;
  /**
   * Its accuracy on the validation part (what early stopping and a choice among models may look at). For an
   * ensemble whose combination was fitted on the validation part (stack, select) it is an in-sample figure.
   */
  validationAccuracy?: number;
  /** Present when `model` is an ensemble: how it combines and each member on its own. */
  ensemble?: {
    combination: string;
    /** The combination's name, pool and (stack) per-class bias; the weights are in `members`. */
    fitted: { name: CombinationName; pool: 'linear' | 'log-linear'; bias: number[] };
    members: MemberScore[];
  };
  baselines: ScoredBaseline[];
  mostConfidentlyWrong: WrongExample[];
  files: string[];
}

export interface EvaluationInputs {
  loaded: LoadedSentiment;
  test: { rows: readonly LabeledText[]; encoded: EncodedSet };
  /** The validation part, to report the validation accuracy next to the test figures (absent or empty: none). */
  val?: { encoded: Pick<EncodedSet, 'ids' | 'labels' | 'subwords'> };
  /**
   * Score the combination of these members' class probabilities instead of `loaded` alone (ensemble.ts,
   * combine.ts); `val` then only gives the labels, on which the combination is fitted. No attention highlight is
   * written (the members attend differently).
   */
  ensemble?: readonly MemberProbs[];
  /** How the members combine (default: mean, equal weights). */
  combination?: { name: CombinationName; options?: CombinationOptions };
  /** Tokenized parts for the baselines, or undefined to skip them. */
  baselineParts?: { train: TokenizedPart; val: TokenizedPart; test: TokenizedPart };
  testName: string;
  dataDescription: string;
  outDir: string;
  /** Seed of the baselines that draw random numbers (logistic regression's visiting order). */
  seed: number;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

const probsAccuracy = (labels: ArrayLike<number>, probs: Float32Array, k: number) => accuracy(labels, argmaxRows(probs, k));

/** The model and baseline table, the confusion matrix and the confidently wrong texts, as fixed-width text. */
export function formatEvaluation(report: Omit<EvaluationReport, 'files'>, classNames: readonly string[]): string {
  const modelName = report.ensemble ? `ensemble of ${report.ensemble.members.length}` : 'model';
  const rows = [{ name: modelName, ...report.model }, ...report.baselines];
  const nameW = Math.max(...rows.map((r) => r.name.length));
  const f1Heads = classNames.map((c) => `F1 ${c}`.padStart(12)).join('');
  const lines = [
    `${report.testName}: ${report.examples} examples`,
    `  ${''.padEnd(nameW)}  accuracy  macro-F1${f1Heads}`,
    ...rows.map((r) => `  ${r.name.padEnd(nameW)}  ${pct(r.accuracy).padStart(8)}  ${pct(r.macroF1).padStart(8)}${r.perClass.map((c) => pct(c.f1).padStart(12)).join('')}`),
  ];
  if (report.validationAccuracy !== undefined) {
    const inSample = report.ensemble && report.ensemble.fitted.name !== 'mean' ? ' (in-sample: the combination was fitted there)' : '';
    lines.push(`  ${modelName} on the validation part: accuracy ${pct(report.validationAccuracy)}${inSample}`);
  }
  if (report.ensemble) {
    const memberW = Math.max(...report.ensemble.members.map((m) => m.name.length), 'member'.length);
    lines.push(
      '',
      `ensemble: ${report.ensemble.combination}`,
      `  ${'member'.padEnd(memberW)}  validation  ${report.testName}    weight`,
      ...report.ensemble.members.map((m) => `  ${m.name.padEnd(memberW)}  ${(m.validationAccuracy === undefined ? '—' : pct(m.validationAccuracy)).padStart(10)}  ${pct(m.testAccuracy).padStart(report.testName.length)}  ${m.weight.toFixed(4).padStart(8)}`),
    );
  }
  lines.push(
    '',
    `${modelName} confusion matrix (rows: true class, columns: predicted):`,
    `  ${''.padEnd(10)}${classNames.map((c) => c.padStart(10)).join('')}`,
    ...report.model.confusion.map((row, r) => `  ${classNames[r].padEnd(10)}${row.map((v) => String(v).padStart(10)).join('')}`),
  );
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
  const members = inputs.ensemble;
  if (members && members.length === 0) throw new RnnkitError('ensemble: no members');
  // A split without a validation part (--val-fraction 0) has an empty one: treated as none.
  const val = inputs.val && inputs.val.encoded.labels.length > 0 ? inputs.val.encoded : undefined;
  let probs: Float32Array;
  let validationAccuracy: number | undefined;
  let ensemble: EvaluationReport['ensemble'];
  if (members) {
    const name = inputs.combination?.name ?? 'mean';
    if (!val && name !== 'mean') throw new RnnkitError(`--ensemble-combine ${name}: is fitted on the validation part, and this split has none (--val-fraction 0); use mean`);
    // Fitted on the validation rows alone: the test part's probabilities and labels are not passed to the fit.
    const fitted = fitCombination(name, members.map((m) => (val ? m.val : new Float32Array(0))), val?.labels ?? [], k, inputs.combination?.options);
    probs = applyCombination(fitted, members.map((m) => m.test), k);
    if (val) validationAccuracy = probsAccuracy(val.labels, applyCombination(fitted, members.map((m) => m.val), k), k);
    ensemble = {
      combination: fitted.description,
      fitted: { name: fitted.name, pool: fitted.pool, bias: fitted.bias },
      members: members.map((m, i) => ({
        name: m.name, ...(val ? { validationAccuracy: probsAccuracy(val.labels, m.val, k) } : {}), testAccuracy: probsAccuracy(test.encoded.labels, m.test, k), weight: fitted.weights[i],
      })),
    };
  } else {
    probs = predictProbs(loaded.model, test.encoded);
    if (val) validationAccuracy = probsAccuracy(val.labels, predictProbs(loaded.model, val), k);
  }
  const predicted = argmaxRows(probs, k);
  const model = scoreClassification(test.encoded.labels, predicted, classNames);
  const baselines: ScoredBaseline[] = inputs.baselineParts
    ? runBaselines(inputs.baselineParts, { language, numClasses: k, seed: inputs.seed }).map((b: BaselinePredictions) => ({
        name: b.name, description: b.description, ...scoreClassification(test.encoded.labels, b.predicted, classNames),
      }))
    : [];
  const wrong = mostConfidentlyWrong(test.rows, probs, classNames);
  const summary = {
    testName: inputs.testName, data: inputs.dataDescription, examples: test.rows.length, model,
    ...(validationAccuracy !== undefined ? { validationAccuracy } : {}), ...(ensemble ? { ensemble } : {}),
    baselines, mostConfidentlyWrong: wrong,
  };

  await mkdir(outDir, { recursive: true });
  const file = (name: string) => path.join(outDir, name);
  const files = [file('evaluation.json'), file('confusion.svg')];
  await writeFileAtomic(files[0], JSON.stringify(summary, null, 2) + '\n');
  await writeFileAtomic(files[1], heatmapSvg({ rows: [...classNames], cols: [...classNames], values: model.confusion, title: `${inputs.testName}: confusion (rows true, columns predicted)` }));
  if (loaded.attentionModel && !members) {
    const { texts, joinWith } = highlightedTexts(loaded, test.rows, predicted, wrong, language);
    files.push(file('attention.html'));
    await writeFileAtomic(files[2], attentionHtml(`Attention weights on ${inputs.testName}`, texts, { joinWith }));
  }
  const text = `${formatEvaluation(summary, classNames)}\nwrote ${files.join(', ')}`;
  return { report: { ...summary, files }, text };
}
