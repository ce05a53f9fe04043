#!/usr/bin/env node
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import {
  addBackendOption, addTrainingOptions, choiceOption, floatOption, forkRng, heatmapSvg, initBackend, intOption, RnnkitError, runCli, setSeed,
  writeFileAtomic, type BackendName, type TrainingFlags,
} from '@rnnkit/core';
import {
  DEFAULT_DATA_CONFIG, describeData, prepareData, resolveNewsData, tokenize, type DataConfig, type PreparedData, type Task,
} from './data/index.js';
import { evaluate, formatReport } from './evaluate.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './model.js';
import { DEFAULT_DECODE_SETTINGS, summarizeTokens, type DecodeSettings } from './summarize.js';
import { loadSummarizer, trainSummarizer } from './train.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const README_POINTER = 'Full-size runs, their commands and measured ROUGE are documented in apps/summarize/README.md.';

interface DataFlags {
  data?: string;
  task: Task;
  sourceColumn?: string;
  targetColumn?: string;
  maxSrcLen?: number;
  maxTgtLen: number;
  minCount: number;
  maxVocab: number;
}

/** --seed decides the train/validation/test split too, so evaluate has it as well. */
interface SeedFlags {
  seed: number;
  backend?: BackendName;
}

/** The shared training flags (--epochs ... --seed, --backend) come from core's addTrainingOptions. */
interface TrainFlags extends DataFlags, TrainingFlags {
  embedDim: number;
  units: number;
  cell: 'gru' | 'lstm';
  attention: 'bahdanau' | 'dot' | 'general';
  dropout: number;
  out: string;
  maxValBatches?: number;
}

/** Articles (summary task) are much longer than Inshorts texts (headline task). */
function dataConfig(f: DataFlags): DataConfig {
  return {
    ...DEFAULT_DATA_CONFIG,
    task: f.task,
    maxSrcLen: f.maxSrcLen ?? (f.task === 'summary' ? 400 : DEFAULT_DATA_CONFIG.maxSrcLen),
    maxTgtLen: f.maxTgtLen,
    minCount: f.minCount,
    maxVocab: f.maxVocab,
  };
}

async function loadData(f: Pick<DataFlags, 'data' | 'sourceColumn' | 'targetColumn'> & { seed: number }, cfg: DataConfig): Promise<PreparedData> {
  const file = await resolveNewsData(f.data);
  setSeed(f.seed);
  const data = prepareData(file, cfg, forkRng(), { sourceColumn: f.sourceColumn, targetColumn: f.targetColumn });
  say(describeData(data, cfg));
  return data;
}

/** The data flags; --seed and --backend are added by the caller (evaluate: seedOptions; train and demo: addTrainingOptions). */
function dataOptions(cmd: Command, d: { maxSrcLen?: number; maxVocab?: number } = {}): Command {
  return cmd
    .option('--data <path>', 'Inshorts news_summary.csv(.gz), or your own CSV / JSONL of pairs (default $RNNKIT_DATA_DIR/summarization/news_summary.csv.gz, else downloaded once)')
    .option('--task <task>', 'headline (text → headlines) or summary (ctext → text)', choiceOption('--task', ['headline', 'summary'] as const), 'headline')
    .option('--source-column <name>', 'CSV column / JSON field of the source (default: the task\'s Inshorts column)')
    .option('--target-column <name>', 'CSV column / JSON field of the summary (default: the task\'s Inshorts column)')
    .option('--max-src-len <n>', 'source tokens kept (default headline 64, summary 400)', intOption('--max-src-len', { min: 1 }), d.maxSrcLen)
    .option('--max-tgt-len <n>', 'target tokens kept', intOption('--max-tgt-len', { min: 1 }), DEFAULT_DATA_CONFIG.maxTgtLen)
    .option('--min-count <n>', 'rarer training words are out of vocabulary', intOption('--min-count', { min: 1 }), DEFAULT_DATA_CONFIG.minCount)
    .option('--max-vocab <n>', 'vocabulary size cap', intOption('--max-vocab', { min: 10 }), d.maxVocab ?? DEFAULT_DATA_CONFIG.maxVocab);
}

function seedOptions(cmd: Command): Command {
  return addBackendOption(cmd.option('--seed <n>', 'random seed (split, initialization, shuffling)', intOption('--seed'), 42));
}

/**
 * Flags shared by train and demo; demo only changes some defaults. The shared --max-steps-per-epoch and --max-seconds
 * have no default here (demo applies its step cap in its action).
 */
function trainingCommand(
  name: string, description: string, d: Partial<Omit<TrainFlags, 'maxStepsPerEpoch' | 'maxSeconds'>> & { epochs: number },
): Command {
  const cmd = dataOptions(new Command(name), d)
    .description(description)
    .option('--embed-dim <n>', 'word embedding size', intOption('--embed-dim', { min: 1 }), d.embedDim ?? DEFAULT_MODEL_CONFIG.embedDim)
    .option('--units <n>', 'units per encoder direction (decoder: twice this)', intOption('--units', { min: 1 }), d.units ?? DEFAULT_MODEL_CONFIG.units)
    .option('--cell <cell>', 'gru or lstm', choiceOption('--cell', ['gru', 'lstm'] as const), DEFAULT_MODEL_CONFIG.cell)
    .option('--attention <kind>', 'bahdanau, dot or general', choiceOption('--attention', ['bahdanau', 'dot', 'general'] as const), DEFAULT_MODEL_CONFIG.attention)
    .option('--dropout <p>', 'dropout on embeddings and the attentional vector', floatOption('--dropout', { min: 0, max: 0.9 }), DEFAULT_MODEL_CONFIG.dropout)
    .option('--out <dir>', 'run directory: model/, checkpoints/, metrics.jsonl, loss.svg', d.out)
    .option('--max-val-batches <n>', 'cap on validation batches per epoch', intOption('--max-val-batches', { min: 1 }), d.maxValBatches);
  // --batch-size counts pairs; --patience watches the validation loss.
  return addTrainingOptions(cmd, { epochs: d.epochs, batchSize: 32, lr: d.lr ?? 2e-3, clipNorm: 2, patience: d.patience ?? 2 });
}

async function runTraining(f: TrainFlags) {
  await initBackend({ backend: f.backend });
  const cfg = dataConfig(f);
  const data = await loadData(f, cfg);
  const model: ModelConfig = { embedDim: f.embedDim, units: f.units, cell: f.cell, attention: f.attention, dropout: f.dropout };
  const t0 = Date.now();
  const { summarizer, result } = await trainSummarizer(data.splits, data.vocab, model, cfg, {
    epochs: f.epochs,
    batchSize: f.batchSize,
    learningRate: f.lr,
    clipNorm: f.clipNorm,
    patience: f.patience,
    maxStepsPerEpoch: f.maxStepsPerEpoch,
    maxValBatches: f.maxValBatches,
    maxSeconds: f.maxSeconds,
    resume: Boolean(f.resume),
    seed: f.seed,
  }, f.out);
  say(`training ${result.stopReason} after ${result.history.length} epoch(s) in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
    `best ${result.monitor} ${result.best?.toFixed(4)} at epoch ${result.bestEpoch}`);
  say(`model saved to ${path.join(f.out, 'model')}; loss curve ${path.join(f.out, 'loss.svg')}`);
  return { summarizer, data };
}

interface DecodeFlags {
  beam: number;
  maxLen: number;
  minLen: number;
  lengthPenalty: number;
  ngramBlock: number;
}

function decodeOptions(cmd: Command): Command {
  return cmd
    .option('--beam <n>', 'beam width (1 = greedy, batched)', intOption('--beam', { min: 1, max: 64 }), DEFAULT_DECODE_SETTINGS.beamWidth)
    .option('--max-len <n>', 'longest summary in tokens', intOption('--max-len', { min: 1 }), DEFAULT_DECODE_SETTINGS.maxLen)
    .option('--min-len <n>', 'shortest summary in tokens', intOption('--min-len', { min: 0 }), DEFAULT_DECODE_SETTINGS.minLen)
    .option('--length-penalty <a>', 'beam length normalization exponent', floatOption('--length-penalty', { min: 0 }), DEFAULT_DECODE_SETTINGS.lengthPenalty)
    .option('--ngram-block <n>', 'forbid repeating n-grams of this size (0 = off)', intOption('--ngram-block', { min: 0 }), DEFAULT_DECODE_SETTINGS.noRepeatNgram);
}

function decodeSettings(f: DecodeFlags): DecodeSettings {
  if (f.minLen > f.maxLen) throw new RnnkitError(`--min-len ${f.minLen} is larger than --max-len ${f.maxLen}`);
  return { beamWidth: f.beam, maxLen: f.maxLen, minLen: f.minLen, lengthPenalty: f.lengthPenalty, noRepeatNgram: f.ngramBlock };
}

/** A train --out directory holds the model in model/; accept either. */
function modelDir(dir: string): string {
  return existsSync(path.join(dir, 'model', 'rnnkit.json')) ? path.join(dir, 'model') : dir;
}

const program = new Command('rnnkit-summarize')
  .description('Abstractive summarization: pointer-generator (bidirectional encoder, attention decoder, copying) judged by ROUGE')
  .showHelpAfterError();

program.addCommand(
  trainingCommand('train', 'train a summarizer', { epochs: 30, out: 'runs/summarize' }).action(async (f: TrainFlags) => {
    await runTraining(f);
  }),
);

program.addCommand(
  decodeOptions(seedOptions(dataOptions(new Command('evaluate'))))
    .description('ROUGE-1/2/L F1 on the test split (last 10% of rows) for the model and the lead-N / TF-IDF baselines')
    .option('--model <dir>', 'model directory or train --out directory (omit with --baselines-only)')
    .option('--baselines-only', 'score only the baselines (no model needed)')
    .option('--limit <n>', 'score only the first n test rows', intOption('--limit', { min: 1 }))
    .option('--json <file>', 'also write the report as JSON')
    .action(async (f: DataFlags & SeedFlags & DecodeFlags & { model?: string; baselinesOnly?: boolean; limit?: number; json?: string }) => {
      if (!f.model && !f.baselinesOnly) throw new RnnkitError('evaluate needs --model <dir> (or --baselines-only)');
      await initBackend({ backend: f.backend });
      const loaded = f.model ? await loadSummarizer(modelDir(f.model)) : undefined;
      // The model's own data settings decide the split and truncation, so it is scored on what it was trained for.
      const cfg = loaded ? loaded.dataConfig : dataConfig(f);
      const data = await loadData(f, cfg);
      const rows = data.splits.test.slice(0, f.limit ?? data.splits.test.length);
      const t0 = Date.now();
      const report = evaluate(rows, { trainSources: [...data.splits.train, ...data.splits.val].map((e) => e.source) },
        loaded && !f.baselinesOnly ? { summarizer: loaded.summarizer, vocab: loaded.vocab, settings: decodeSettings(f) } : undefined);
      say(formatReport(report));
      say(`evaluation took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (f.json) await writeFileAtomic(f.json, JSON.stringify(report, null, 2) + '\n');
    }),
);

program.addCommand(
  addBackendOption(decodeOptions(new Command('summarize')))
    .description('summarize a text given as argument, with --file, or on stdin')
    .requiredOption('--model <dir>', 'model directory or train --out directory')
    .option('--file <path>', 'read the text from this file (UTF-8)')
    .option('--attention <file.svg>', 'write the attention heatmap (summary token × source token) as SVG')
    .argument('[text...]', 'the text to summarize')
    .action(async (words: string[], f: DecodeFlags & { model: string; file?: string; attention?: string; backend?: BackendName }) => {
      const text = words.length > 0 ? words.join(' ') : f.file ? readFileSync(f.file, 'utf8') : process.stdin.isTTY ? '' : readFileSync(0, 'utf8');
      if (text.trim() === '') throw new RnnkitError('nothing to summarize: pass the text as an argument, with --file, or on stdin');
      await initBackend({ backend: f.backend });
      const { summarizer, vocab, dataConfig: cfg } = await loadSummarizer(modelDir(f.model));
      const [out] = summarizeTokens(summarizer, vocab, [tokenize(text).slice(0, cfg.maxSrcLen)], decodeSettings(f));
      say(out.text);
      if (f.attention) {
        await writeFileAtomic(f.attention, heatmapSvg({
          rows: out.tokens, cols: out.srcTokens, values: out.attention,
          title: 'attention: summary token (row) over source token (column)', xLabel: 'source', yLabel: 'summary',
        }));
        process.stderr.write(`attention heatmap written to ${f.attention}\n`);
      }
    }),
);

/** The demo's step cap per epoch, unless --max-steps-per-epoch is given (an epoch of the headline task is 115 steps). */
const DEMO_STEPS_PER_EPOCH = 150;

program.addCommand(
  // 4 epochs: ~90 s of training on 2 cores when quiet; 1 epoch did not beat lead-N, 4 do on the 100 demo rows.
  trainingCommand('demo', `four epochs (at most ${DEMO_STEPS_PER_EPOCH} steps each unless --max-steps-per-epoch) on the headline task with a small model, then greedy ROUGE on 100 test rows against the baselines`, {
    epochs: 4, embedDim: 64, units: 64, maxSrcLen: 40, maxVocab: 5000, maxValBatches: 4, patience: 0, lr: 3e-3,
  }).action(async (f: TrainFlags) => {
    const { summarizer, data } = await runTraining({
      ...f,
      out: f.out ?? mkdtempSync(path.join(tmpdir(), 'rnnkit-summarize-demo-')),
      maxStepsPerEpoch: f.maxStepsPerEpoch ?? DEMO_STEPS_PER_EPOCH,
    });
    const report = evaluate(data.splits.test.slice(0, 100), { trainSources: data.splits.train.map((e) => e.source), samples: 2 },
      { summarizer, vocab: data.vocab, settings: { ...DEFAULT_DECODE_SETTINGS, beamWidth: 1 } });
    say(formatReport(report));
    say(README_POINTER);
  }),
);

await runCli(() => program.parseAsync(process.argv).then(() => undefined));
