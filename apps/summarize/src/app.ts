import { Command, Option } from 'commander';
import {
  addDecodeFlags, decodeFromFlags, encodingOption, evaluateEncodingOption, heatmapSvg, intOption, parseTextEncoding, printJson, RnnkitError, writeFileAtomic,
  type AppDefinition, type CommandContext, type TextEncoding,
} from '@rnnkit/core';
import { DEMO_CONFIG, summarizeConfigSchema, type SummarizeConfig } from './config.js';
import { DATA_RELATIVE_PATH, DEFAULT_DATA_CONFIG, TASKS, type Task } from './data/index.js';
import { evaluate, formatReport } from './evaluate.js';
import { disposeSummarizer } from './model.js';
import { loadSummarizeModel } from './load-model.js';
import {
  SUMMARIZE_APP, exampleInput, summarizePredictor, type SummarizeInput, type SummarizeOutput,
} from './predictor.js';
import {
  DEFAULT_DECODE_SETTINGS, DEFAULT_TEMPERATURE, decodeSettings, summarizeDecodeSchema, type SummarizeDecodeRequest,
} from './summarize.js';
import { loadSummarizeData, trainSummarize } from './train.js';
import { APP_VERSION } from './version.js';

const README_POINTER = 'Full-size runs, their commands and measured ROUGE are documented in apps/summarize/README.md.';

/** The decoding flags of predict and evaluate (core's names), with the defaults the predictor uses. */
const DECODE_FIELDS = ['strategy', 'beamWidth', 'lengthPenalty', 'maxLen', 'minLen', 'noRepeatNgram', 'temperature', 'topK', 'topP', 'seed'] as const;
const DECODE_HELP = `
Decoding: beam search with ${DEFAULT_DECODE_SETTINGS.beamWidth} beams unless --strategy says otherwise. Without --strategy, --beam-width 1
means greedy decoding, and --temperature > 0, --top-k or --top-p sampling (at temperature ${DEFAULT_TEMPERATURE} unless given).
--temperature, --top-k, --top-p and --seed are for sampling only. --word-block on (the default) never lets a
summary use a content word twice (stop words and punctuation may repeat).`;
const decodeFlags = (cmd: Command) =>
  // --beam-width and --temperature get no value by default (which one is given implies the strategy); their help
  // shows the defaults the predictor applies.
  addDecodeFlags(cmd.addOption(new Option('--word-block <on|off>', 'block repeated content words in a summary (stop words and punctuation may repeat)')
    .choices(['on', 'off']).default(DEFAULT_DECODE_SETTINGS.noRepeatWords ? 'on' : 'off')), [...DECODE_FIELDS], {
    lengthPenalty: DEFAULT_DECODE_SETTINGS.lengthPenalty,
    maxLen: DEFAULT_DECODE_SETTINGS.maxLen,
    minLen: DEFAULT_DECODE_SETTINGS.minLen,
    noRepeatNgram: DEFAULT_DECODE_SETTINGS.noRepeatNgram,
  }, undefined, { beamWidth: DEFAULT_DECODE_SETTINGS.beamWidth, temperature: DEFAULT_TEMPERATURE }).addHelpText('after', DECODE_HELP);

const DECODE_FLAG_NAMES: Record<string, string> = {
  strategy: '--strategy', temperature: '--temperature', topK: '--top-k', topP: '--top-p', beamWidth: '--beam-width',
  lengthPenalty: '--length-penalty', maxLen: '--max-len', minLen: '--min-len', noRepeatNgram: '--ngram-block', seed: '--seed',
  noRepeatWords: '--word-block',
};

/** The decoding request of the decoding flags, checked as a request is (an error names the flag). */
function decodeFromCli(flags: Record<string, unknown>): SummarizeDecodeRequest {
  const decode: SummarizeDecodeRequest = { ...decodeFromFlags(flags), ...(flags.wordBlock !== undefined ? { noRepeatWords: flags.wordBlock === 'on' } : {}) };
  const checked = summarizeDecodeSchema.safeParse(decode);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const flag = DECODE_FLAG_NAMES[String(issue.path[0])] ?? String(issue.path[0]);
    // Field names in the message become flag names ("minLen 3 is larger than maxLen 2" → "--min-len 3 is larger than --max-len 2").
    const message = issue.message.replace(/\b[a-z][A-Za-z]*\b/g, (word) => DECODE_FLAG_NAMES[word] ?? word);
    throw new RnnkitError(message.includes(flag) ? message : `${flag}: ${message}`);
  }
  return checked.data;
}

/** predict --attention-svg FILE: the summary's attention over the source tokens, as an SVG heatmap. */
async function writeAttentionSvg(file: string, output: SummarizeOutput, ctx: CommandContext): Promise<void> {
  if (!output.attention || !output.sourceTokens) {
    throw new RnnkitError('--attention-svg: the output has no attention weights (with --input-json, add "attention": true to the input)');
  }
  if (output.tokens.length === 0) {
    ctx.info(`attention heatmap not written to ${file}: the summary is empty`);
    return;
  }
  await writeFileAtomic(file, heatmapSvg({
    rows: output.tokens, cols: output.sourceTokens, values: output.attention,
    title: 'attention: summary token (row) over source token (column)', xLabel: 'source', yLabel: 'summary',
  }));
  ctx.info(`attention heatmap written to ${file}`);
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** ROUGE of the model and the baselines on the test split the model was trained around (its own data settings). */
async function evaluateModel(modelDir: string, flags: Record<string, unknown>, ctx: CommandContext) {
  const settings = decodeSettings(decodeFromCli(flags));
  const loaded = await loadSummarizeModel(modelDir);
  try {
    const cfg = loaded.config;
    // The training data: --data, else the file the model was trained on (when it was given), else the default dataset.
    const data = await loadSummarizeData({
      data: str(flags.data) ?? (str(cfg.data) !== undefined ? loaded.data : undefined),
      sourceColumn: str(flags.sourceColumn) ?? str(cfg.sourceColumn),
      targetColumn: str(flags.targetColumn) ?? str(cfg.targetColumn),
      encoding: flags.encoding !== undefined || cfg.encoding !== undefined ? parseTextEncoding(flags.encoding ?? cfg.encoding) : undefined,
      seed: typeof cfg.seed === 'number' ? cfg.seed : 42,
    }, loaded.dataConfig, ctx.info);
    const rows = data.splits.test.slice(0, (flags.limit as number | undefined) ?? data.splits.test.length);
    const t0 = Date.now();
    const report = evaluate(rows, { trainSources: [...data.splits.train, ...data.splits.val].map((e) => e.source) },
      { summarizer: loaded.summarizer, vocab: loaded.vocab, settings });
    ctx.info(`evaluation took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { report, text: formatReport(report) };
  } finally {
    disposeSummarizer(loaded.summarizer);
  }
}

/** evaluate's own flags besides decoding: the data (default: the model's) and a row limit. */
const evaluateOptions = (cmd: Command) =>
  cmd
    .option('--data <path>', 'the pairs file (default: the one the model was trained on)')
    .option('--source-column <name>', 'CSV column / JSON field of the source (default: as in training)')
    .option('--target-column <name>', 'CSV column / JSON field of the summary (default: as in training)')
    .addOption(evaluateEncodingOption())
    .option('--limit <n>', 'score only the first n test rows (default: all)', intOption('--limit', { min: 1 }));

/** The extractive baselines alone (no model): lead-N and TF-IDF sentence on the test split. */
function baselinesCommand(h: Parameters<NonNullable<AppDefinition['commands']>>[0]): Command {
  const cmd = h.command('baselines', 'ROUGE-1/2/L F1 of the lead-N and TF-IDF sentence baselines on the test split (last 10% of rows); no model needed')
    .option('--data <path>', `pairs file (default as in train: $RNNKIT_DATA_DIR/${DATA_RELATIVE_PATH}, else downloaded once)`)
    .addOption(new Option('--task <task>', 'headline (text → headlines) or summary (ctext → text)').choices(TASKS).default(DEFAULT_DATA_CONFIG.task))
    .option('--source-column <name>', "CSV column / JSON field of the source (default: the task's Inshorts column)")
    .option('--target-column <name>', "CSV column / JSON field of the summary (default: the task's Inshorts column)")
    .addOption(encodingOption().default(undefined, 'UTF-8 when valid, else Windows-1252'))
    .option('--limit <n>', 'score only the first n test rows (default: all)', intOption('--limit', { min: 1 }));
  return h.action<{ data?: string; task: Task; sourceColumn?: string; targetColumn?: string; encoding?: TextEncoding; limit?: number }>(cmd, async (flags, ctx) => {
    // The test rows are the last 10% whatever the seed; the seed only divides the rest (all of it feeds the IDF).
    const data = await loadSummarizeData({ ...flags, seed: 42 }, { ...DEFAULT_DATA_CONFIG, task: flags.task }, ctx.info);
    const rows = data.splits.test.slice(0, flags.limit ?? data.splits.test.length);
    const t0 = Date.now();
    const report = evaluate(rows, { trainSources: [...data.splits.train, ...data.splits.val].map((e) => e.source) });
    ctx.info(`evaluation took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (ctx.json) printJson(report);
    else ctx.out(formatReport(report));
  });
}

/** summarize: pointer-generator summarization; text in, summary out. */
export const summarizeApp: AppDefinition<SummarizeConfig, SummarizeInput, SummarizeOutput> = {
  name: SUMMARIZE_APP,
  version: APP_VERSION,
  description: 'Abstractive summarization: pointer-generator (bidirectional encoder, attention decoder, copying) judged by ROUGE',
  configSchema: summarizeConfigSchema,
  train: trainSummarize,
  evaluate: {
    description: 'ROUGE-1/2/L F1 on the test split (last 10% of rows) for the model and the lead-N / TF-IDF baselines',
    options: (cmd) => decodeFlags(evaluateOptions(cmd)),
    run: evaluateModel,
  },
  loadPredictor: async (dir) => summarizePredictor(await loadSummarizeModel(dir)),
  predict: {
    inputHelp: 'the text to summarize',
    options: (cmd) =>
      decodeFlags(cmd).option('--attention-svg <file>', 'also write the attention heatmap (summary token × source token) as SVG'),
    fromText: (text, flags) => ({ text, decode: decodeFromCli(flags), ...(typeof flags.attentionSvg === 'string' ? { attention: true } : {}) }),
    format: (output) => output.summary,
    after: async (output, flags, ctx) => {
      if (typeof flags.attentionSvg === 'string') await writeAttentionSvg(flags.attentionSvg, output, ctx);
    },
    example: exampleInput,
  },
  demo: {
    description: `${DEMO_CONFIG.epochs} epochs (at most ${DEMO_CONFIG.maxStepsPerEpoch} steps each) on the headline task with a small model, ` +
      'then greedy ROUGE on 100 test rows against the baselines',
    defaults: DEMO_CONFIG,
    show: async (run, config, ctx) => {
      if (run.result.signal || run.result.history.length === 0) return; // interrupted: no model to show
      const loaded = await loadSummarizeModel(run.modelDir);
      try {
        const data = await loadSummarizeData(config, loaded.dataConfig, () => {});
        const report = evaluate(data.splits.test.slice(0, 100), { trainSources: data.splits.train.map((e) => e.source), samples: 2 },
          { summarizer: loaded.summarizer, vocab: loaded.vocab, settings: { ...DEFAULT_DECODE_SETTINGS, beamWidth: 1 } });
        ctx.out(formatReport(report));
        ctx.out(README_POINTER);
      } finally {
        disposeSummarizer(loaded.summarizer);
      }
    },
  },
  commands: (h) => [baselinesCommand(h)],
  deprecatedFlags: { '--beam': '--beam-width' },
  deprecatedCommands: { summarize: 'predict' },
  deprecatedCommandFlags: { predict: { '--attention': '--attention-svg' } },
  removedCommandFlags: { evaluate: { '--baselines-only': 'the baselines command (rnnkit-summarize baselines)' } },
};
