import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  addDecodeFlags, decodeFromFlags, floatOption, heatmapSvg, intOption, writeFileAtomic, type AppDefinition, type CommandContext,
} from '@rnnkit/core';
import { DEMO_CONFIG, configSchema, type AppConfig } from './config.js';
import { buildDataset, describeDataset, describeSkipped, readTatoeba, resolveCorpusPath } from './data/index.js';
import { evaluateTranslator, formatReport } from './evaluate.js';
import { loadPredictor, loadTranslator } from './load-model.js';
import { APP_NAME, exampleInput, type AppInput, type AppOutput } from './predictor.js';
import { trainTranslate } from './train.js';
import { TRANSLATE_DECODE_DEFAULTS } from './translator.js';
import { APP_VERSION } from './version.js';

interface EvaluateFlags {
  limit?: number;
  data?: string;
  maxBeam?: number;
  beamWidth?: number;
  lengthPenalty?: number;
  heatmapDir?: string;
}

/** Test-split figures of a saved model: its own split and vocabularies, rebuilt from the corpus it recorded. */
async function evaluate(modelDir: string, flags: EvaluateFlags, info: (line: string) => void) {
  const translator = await loadTranslator(modelDir);
  try {
    // The corpus recorded in the model, unless it moved (then the default location, as in train).
    const recorded = translator.corpus !== undefined && existsSync(translator.corpus) ? translator.corpus : undefined;
    const file = await resolveCorpusPath(flags.data ?? recorded);
    const corpus = readTatoeba(file);
    const skipped = describeSkipped(corpus);
    if (skipped) info(`${file}: ${skipped}`);
    const dataset = buildDataset(corpus, translator.data, { src: translator.srcVocab, tgt: translator.tgtVocab });
    info(describeDataset(dataset));
    const report = await evaluateTranslator(translator, dataset, {
      limit: flags.limit, maxBeam: flags.maxBeam, beamWidth: flags.beamWidth, lengthPenalty: flags.lengthPenalty, heatmapDir: flags.heatmapDir ?? join(modelDir, 'attention'),
    });
    return { report, text: formatReport(report) };
  } finally {
    translator.dispose();
  }
}

function decodeFlags(cmd: Command): Command {
  const { beamWidth, lengthPenalty, maxLen, minLen } = TRANSLATE_DECODE_DEFAULTS;
  return addDecodeFlags(cmd, ['strategy', 'beamWidth', 'lengthPenalty', 'maxLen', 'minLen', 'noRepeatNgram'], {}, { strategy: ['greedy', 'beam'] },
    { strategy: 'beam', beamWidth, lengthPenalty, maxLen, minLen });
}

/** `predict --attention-svg FILE`: the translation's attention over the English words, as an SVG heatmap. */
async function writeAttentionSvg(output: AppOutput, file: string, ctx: CommandContext): Promise<void> {
  const a = output.attention;
  if (!a || a.weights.length === 0) return;
  await writeFileAtomic(file, heatmapSvg({
    rows: a.targetTokens, cols: a.sourceTokens, values: a.weights.map((r) => r.slice(0, a.sourceTokens.length)),
    title: 'attention: Chinese character (row) over English token (column)',
  }));
  ctx.info(`attention heatmap written to ${file}`);
}

/** The app contract: the generated CLI (train, evaluate, predict, info, demo) and any server or page use this. */
export const app: AppDefinition<AppConfig, AppInput, AppOutput> = {
  name: APP_NAME,
  version: APP_VERSION,
  description: 'English → Chinese translation: Seq2Seq with attention (bidirectional GRU/LSTM encoder) on Tatoeba pairs',
  configSchema,
  train: (config, ctx) => trainTranslate(config, ctx),
  evaluate: {
    description: 'test-split BLEU-4 (characters) and chrF, greedy and beam, against retrieval and word-by-word baselines; attention SVGs',
    options: (cmd) =>
      cmd
        .option('--data <path>', 'the corpus (default $RNNKIT_DATA_DIR/translation/cmn.txt.gz)')
        .option('--limit <n>', 'evaluate on the first n distinct test sentences only (default: all)', intOption('--limit', { min: 1 }))
        .option('--max-beam <n>', 'beam-search at most this many test sentences (default: all)', intOption('--max-beam', { min: 0 }))
        .option('--beam-width <n>', `beam width (default ${TRANSLATE_DECODE_DEFAULTS.beamWidth})`, intOption('--beam-width', { min: 1, max: 64 }))
        .option('--length-penalty <a>', `GNMT length penalty (default ${TRANSLATE_DECODE_DEFAULTS.lengthPenalty})`, floatOption('--length-penalty', { min: 0, max: 10 }))
        .option('--heatmap-dir <dir>', 'where the attention heatmaps go (default <model dir>/attention)'),
    run: (dir, flags, ctx) => evaluate(dir, flags as EvaluateFlags, ctx.info),
  },
  loadPredictor,
  predict: {
    example: exampleInput,
    inputHelp: 'an English sentence',
    options: (cmd) => decodeFlags(cmd).option('--attention-svg <file>', 'also save the attention over the English words as an SVG heatmap'),
    fromText: (text, flags) => ({
      text: text.trim(),
      decode: decodeFromFlags(flags),
      ...(typeof flags.attentionSvg === 'string' ? { attention: true } : {}),
    }),
    format: (o) => o.translation,
    after: async (output, flags, ctx) => {
      if (output.unknown.length > 0 && !ctx.json) process.stderr.write(`(unknown words: ${output.unknown.join(', ')})\n`);
      if (typeof flags.attentionSvg === 'string') await writeAttentionSvg(output, flags.attentionSvg, ctx);
    },
  },
  demo: {
    description: 'a few minutes of training on 6,000 pairs, then test figures on 100 sentences and a few translations',
    defaults: DEMO_CONFIG,
    show: async (run, config, ctx) => {
      if (run.result.stopReason === 'interrupted') return;
      ctx.out((await evaluate(run.modelDir, { data: config.data, maxBeam: 100 }, ctx.info)).text);
      const predictor = await loadPredictor(run.modelDir);
      try {
        for (const text of ['I love you.', 'Where is the station?', 'Tom is my friend.']) {
          ctx.out(`${text} → ${(await predictor.predict({ text })).translation}`);
        }
      } finally {
        predictor.dispose();
      }
      ctx.out('Full-size run, its figures and commands: apps/translate/README.md');
    },
  },
};

