import { corpusRouge, repeatedContentWordShare, RnnkitError, type RougeScores, type Vocab } from '@rnnkit/core';
import { leadN, TfIdfSentencePicker, words } from './baselines.js';
import { median, type Example } from './data/index.js';
import type { Summarizer } from './model.js';
import { describeDecoding, summarizeTokens, type DecodeSettings } from './summarize.js';

/**
 * ROUGE-1/2/L F1 on test rows for the model and, on the same rows, the lead-N and TF-IDF sentence baselines, and how
 * many of each system's outputs repeat a content word. ROUGE is core's (js-rouge with core's tokenizer: lowercased
 * words and numbers, punctuation ignored).
 */

export interface SystemScores {
  name: string;
  scores: RougeScores;
  /** Share (0..1) of the outputs that use some content word twice (stop words and punctuation not counted). */
  repeatedContentWord: number;
}

function system(name: string, outputs: string[], references: string[]): SystemScores {
  return { name, scores: corpusRouge(outputs, references), repeatedContentWord: repeatedContentWordShare(outputs) };
}

export interface EvalReport {
  rows: number;
  /** N of lead-N: the median reference length in words over the rows. */
  leadWords: number;
  systems: SystemScores[];
  samples: { source: string; reference: string; model?: string; lead: string; tfidf: string }[];
  /** The model's summary of every row, in row order. */
  outputs?: string[];
  /** Model outputs where a generated UNK was replaced by the most-attended source word. */
  unkReplaced?: number;
  decodeSeconds?: number;
}

export interface EvalOptions {
  /** Training sources, for the TF-IDF baseline's IDF statistics. */
  trainSources: string[];
  /** Articles per greedy decoding batch. */
  batchSize?: number;
  samples?: number;
}

export function evaluate(rows: Example[], opts: EvalOptions, model?: { summarizer: Summarizer; vocab: Vocab; settings: DecodeSettings }): EvalReport {
  if (rows.length === 0) throw new RnnkitError('evaluate: no test rows');
  const references = rows.map((r) => r.target);
  const n = median(references.map((r) => words(r).length));
  const lead = rows.map((r) => leadN(r.source, n));
  const picker = new TfIdfSentencePicker(opts.trainSources);
  const tfidf = rows.map((r) => picker.pick(r.source));
  const systems: SystemScores[] = [
    system(`lead-${n}`, lead, references),
    system('tf-idf sentence', tfidf, references),
  ];
  let outputs: string[] | undefined;
  let unkReplaced: number | undefined;
  let decodeSeconds: number | undefined;
  if (model) {
    const t0 = Date.now();
    const batch = model.settings.beamWidth === 1 && !model.settings.sampling ? (opts.batchSize ?? 32) : 1;
    const results = [];
    for (let i = 0; i < rows.length; i += batch) {
      results.push(...summarizeTokens(model.summarizer, model.vocab, rows.slice(i, i + batch).map((r) => r.srcTokens), model.settings));
    }
    decodeSeconds = (Date.now() - t0) / 1000;
    outputs = results.map((r) => r.text);
    unkReplaced = results.reduce((s, r) => s + r.replacedUnk, 0);
    const name = `model (${describeDecoding(model.settings)})`;
    systems.unshift(system(name, outputs, references));
  }
  const samples = rows.slice(0, opts.samples ?? 3).map((r, i) => ({
    source: r.source,
    reference: r.target,
    ...(outputs ? { model: outputs[i] } : {}),
    lead: lead[i],
    tfidf: tfidf[i],
  }));
  return { rows: rows.length, leadWords: n, systems, samples, outputs, unkReplaced, decodeSeconds };
}

export function formatReport(report: EvalReport): string {
  const pct = (x: number) => (100 * x).toFixed(2).padStart(7);
  const lines = [
    `ROUGE F1 (%) on ${report.rows} test rows (lead-N: N = ${report.leadWords}, the median reference length in words)`,
    `${'system'.padEnd(22)}${'R-1'.padStart(7)}${'R-2'.padStart(7)}${'R-L'.padStart(7)}  repeats a content word`,
    ...report.systems.map((s) => `${s.name.padEnd(22)}${pct(s.scores.rouge1)}${pct(s.scores.rouge2)}${pct(s.scores.rougeL)}  ${pct(s.repeatedContentWord).trim()}%`),
  ];
  if (report.decodeSeconds !== undefined) lines.push(`decoding took ${report.decodeSeconds.toFixed(1)} s; UNK replaced by copying: ${report.unkReplaced}`);
  for (const s of report.samples) {
    lines.push('', `source:    ${s.source.slice(0, 160)}${s.source.length > 160 ? '…' : ''}`, `reference: ${s.reference}`);
    if (s.model !== undefined) lines.push(`model:     ${s.model}`);
    lines.push(`lead:      ${s.lead}`, `tf-idf:    ${s.tfidf}`);
  }
  return lines.join('\n');
}
