import * as path from 'node:path';
import { writeFileAtomicSync, type CommandContext } from '@rnnkit/core';
import type { AppConfig } from './config.js';
import { DIGITS, speakersOf } from './dataset.js';
import { appendJsonl, baselineScores, confusionSvg, scoreModel } from './evaluate.js';
import { fitClassifier, makeParts, type Prepared } from './train.js';

/**
 * Leave-one-speaker-out: for each speaker, a fresh model with the evaluated model's training config is trained on
 * the other speakers (normalization and validation from them only) and tested on the held-out one, next to the
 * baselines on the same parts. Each fold is a line of loso.jsonl as it finishes; loso.json and loso-confusion.svg
 * (all folds summed) at the end.
 */
export interface LosoReport {
  split: 'leave-one-speaker-out';
  config: Record<string, unknown>;
  folds: { speaker: string; testSize: number; accuracy: number; baselines: { name: string; accuracy: number }[]; epochs: number; seconds: number }[];
  mean: { accuracy: number; baselines: { name: string; accuracy: number }[] };
}

export async function runLoso(prepared: Prepared, cfg: AppConfig, opts: { speakers?: string[]; baselines: boolean; outDir: string; ctx: CommandContext }): Promise<{ report: LosoReport; text: string }> {
  const all = speakersOf(prepared.recs.map((rec) => ({ rec })));
  const speakers = opts.speakers ?? all;
  const folds: LosoReport['folds'] = [];
  const summed = DIGITS.map(() => DIGITS.map(() => 0));
  const log = path.join(opts.outDir, 'loso.jsonl');
  for (const speaker of speakers) {
    const t0 = Date.now();
    const parts = makeParts(prepared, { kind: 'speaker', speaker }, cfg, opts.ctx);
    opts.ctx.info(`fold ${speaker}: ${parts.fit.length} training, ${parts.val.length} validation, ${parts.test.length} test recordings`);
    const { model, result } = await fitClassifier(parts, cfg, {
      epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.lr, clipNorm: cfg.clipNorm > 0 ? cfg.clipNorm : undefined,
      earlyStopping: cfg.patience > 0 ? { patience: cfg.patience } : undefined, maxStepsPerEpoch: cfg.maxStepsPerEpoch, maxSeconds: cfg.maxSeconds,
      seed: cfg.seed, progress: opts.ctx.quiet ? 'none' : 'lines', metricsLog: path.join(opts.outDir, 'loso', `${speaker}.jsonl`),
    });
    try {
      const score = scoreModel(model, parts);
      score.confusion.forEach((row, i) => row.forEach((v, j) => (summed[i][j] += v)));
      const baselines = opts.baselines ? baselineScores(parts, opts.ctx.info) : [];
      const fold = { speaker, testSize: parts.test.length, accuracy: score.accuracy, baselines, epochs: result.history.length, seconds: (Date.now() - t0) / 1000 };
      folds.push(fold);
      appendJsonl(log, fold);
      opts.ctx.info(`fold ${speaker}: model ${(score.accuracy * 100).toFixed(2)}%${baselines.map((b) => `, ${b.name} ${(b.accuracy * 100).toFixed(2)}%`).join('')} (${fold.seconds.toFixed(0)} s)`);
      if (result.interrupted) break;
    } finally {
      model.dispose();
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const report: LosoReport = {
    split: 'leave-one-speaker-out',
    config: cfg as unknown as Record<string, unknown>,
    folds,
    mean: {
      accuracy: mean(folds.map((f) => f.accuracy)),
      baselines: (folds[0]?.baselines ?? []).map((b, i) => ({ name: b.name, accuracy: mean(folds.map((f) => f.baselines[i].accuracy)) })),
    },
  };
  const json = path.join(opts.outDir, 'loso.json');
  const svg = path.join(opts.outDir, 'loso-confusion.svg');
  writeFileAtomicSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomicSync(svg, confusionSvg(summed, `Spoken digits, leave-one-speaker-out (${folds.length} folds summed)`));
  const names = ['model', ...report.mean.baselines.map((b) => b.name)];
  const row = (label: string, values: number[]) => `  ${label.padEnd(10)} ${values.map((v) => `${(v * 100).toFixed(2)}%`.padStart(26)).join('')}`;
  const text = [
    `leave-one-speaker-out (${folds.length} of ${all.length} speakers)`,
    `  ${''.padEnd(10)} ${names.map((n) => n.padStart(26)).join('')}`,
    ...folds.map((f) => row(f.speaker, [f.accuracy, ...f.baselines.map((b) => b.accuracy)])),
    row('mean', [report.mean.accuracy, ...report.mean.baselines.map((b) => b.accuracy)]),
    `wrote ${json}, ${log} and ${svg}`,
  ].join('\n');
  return { report, text };
}
