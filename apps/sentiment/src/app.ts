import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { RnnkitError, evaluateEncodingOption, trainedEncoding, writeFileAtomic, type AppDefinition, type CommandContext } from '@rnnkit/core';
import { DEMO_CONFIG, sentimentConfigSchema, type SentimentConfig } from './config.js';
import { DATASET_INFO } from './datasets.js';
import { COMBINATIONS, COMBINATION_DEFAULTS, SELECT_METRICS, type CombinationName, type CombinationOptions, type SelectMetric } from './combine.js';
import { checkSameSplit, logisticRegressionProbs, modelProbs } from './ensemble.js';
import { evaluateAndWrite, type EvaluationReport } from './evaluate.js';
import { attentionHtml } from './highlight.js';
import { loadSentimentModel, loadSentimentPredictor } from './load.js';
import { SENTIMENT_APP, exampleInput, formatPrediction, type LoadedSentiment, type SentimentInput, type SentimentOutput } from './predictor.js';
import { baselineParts, prepareData, trainSentiment } from './train.js';
import { APP_VERSION } from './version.js';

interface EvaluateFlags {
  data?: string;
  out?: string;
  baselines?: boolean;
  ensemble?: string[];
  ensembleLr?: boolean;
  ensembleCombine?: string;
  ensembleL2?: string;
  ensembleRounds?: string;
  ensembleSelectMetric?: string;
  encoding?: string;
}

/** The --ensemble-combine flags as a combination; refuses unknown names and the tuning flags of another one. */
function combinationFlags(flags: EvaluateFlags): { name: CombinationName; options: CombinationOptions } {
  const name = (flags.ensembleCombine ?? 'mean') as CombinationName;
  if (!COMBINATIONS.includes(name)) throw new RnnkitError(`--ensemble-combine ${name}: expected one of ${COMBINATIONS.join(', ')}`);
  const number = (flag: string, value: string) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x)) throw new RnnkitError(`${flag} ${value}: expected a number`);
    return x;
  };
  const options: CombinationOptions = {};
  if (flags.ensembleL2 !== undefined) {
    if (name !== 'stack') throw new RnnkitError('--ensemble-l2 applies to --ensemble-combine stack only');
    options.stackL2 = number('--ensemble-l2', flags.ensembleL2);
  }
  if (flags.ensembleRounds !== undefined || flags.ensembleSelectMetric !== undefined) {
    if (name !== 'select') throw new RnnkitError('--ensemble-rounds and --ensemble-select-metric apply to --ensemble-combine select only');
    if (flags.ensembleRounds !== undefined) options.selectRounds = number('--ensemble-rounds', flags.ensembleRounds);
    if (flags.ensembleSelectMetric !== undefined) {
      const metric = flags.ensembleSelectMetric as SelectMetric;
      if (!SELECT_METRICS.includes(metric)) throw new RnnkitError(`--ensemble-select-metric ${metric}: expected one of ${SELECT_METRICS.join(', ')}`);
      options.selectMetric = metric;
    }
  }
  return { name, options };
}

/**
 * Scores a saved model on the test part its training split recorded (SST-2: dev.tsv; ChnSentiCorp: the same 10%
 * test split), next to the baselines fitted on the same training part. With --ensemble / --ensemble-lr it scores a
 * combination of several members' class probabilities instead (ensemble.ts; --ensemble-combine, combine.ts).
 * Writes evaluation.json, confusion.svg and (single attention models) attention.html next to the model (or into
 * --out).
 */
async function evaluateModel(modelDir: string, flags: EvaluateFlags): Promise<{ report: EvaluationReport; text: string }> {
  const combination = combinationFlags(flags);
  if (combination.name !== 'mean' && (flags.ensemble ?? []).length === 0 && flags.ensembleLr !== true) {
    throw new RnnkitError(`--ensemble-combine ${combination.name} needs ensemble members (--ensemble and/or --ensemble-lr)`);
  }
  const loaded = await loadSentimentModel(modelDir);
  const others: LoadedSentiment[] = [];
  try {
    const { extras } = loaded;
    // Every member is loaded and checked before the data is read, so that a wrong directory fails first.
    for (const dir of flags.ensemble ?? []) {
      const member = await loadSentimentModel(dir);
      others.push(member);
      checkSameSplit(loaded, member);
    }
    // The training file recorded in the model, unless it moved (then $RNNKIT_DATA_DIR, as in train).
    const data = flags.data ?? (existsSync(extras.data) ? extras.data : undefined);
    const encoding = await trainedEncoding(modelDir, flags.encoding);
    const prepared = prepareData(extras.dataset, data, extras.split, {
      maxLen: extras.model.maxLen, vocab: loaded.vocab, encoding, ...(loaded.subwords ? { subwords: loaded.subwords.settings } : {}),
    });
    const parts = baselineParts(prepared);
    const ensemble = others.length > 0 || flags.ensembleLr === true
      ? [
          modelProbs(loaded, prepared),
          ...others.map((m) => modelProbs(m, prepared)),
          ...(flags.ensembleLr ? [logisticRegressionProbs(parts, extras.classNames.length, extras.split.splitSeed)] : []),
        ]
      : undefined;
    const { report, text } = await evaluateAndWrite({
      loaded,
      test: prepared.test,
      val: prepared.val,
      ...(ensemble ? { ensemble, combination } : {}),
      baselineParts: flags.baselines === false ? undefined : parts,
      testName: DATASET_INFO[extras.dataset].testName,
      dataDescription: prepared.splits.description,
      outDir: flags.out ?? path.dirname(loaded.dir),
      seed: extras.split.splitSeed,
    });
    return { report, text: `${prepared.splits.description}\n${text}` };
  } finally {
    loaded.model.dispose();
    for (const m of others) m.model.dispose();
  }
}

async function writeAttentionHtml(output: SentimentOutput, file: string, ctx: CommandContext): Promise<void> {
  if (!output.attention) {
    ctx.info('--attention-html: this model pools the last state (no attention weights); nothing written');
    return;
  }
  const chinese = output.tokens.some((t) => /\p{Script=Han}/u.test(t));
  const caption = `${output.label} (p = ${output.probability.toFixed(3)})`;
  await writeFileAtomic(file, attentionHtml('Attention weights', [{ caption, tokens: output.tokens, weights: output.attention }], { joinWith: chinese ? '' : ' ' }));
  ctx.info(`wrote ${file}`);
}

/** sentiment: text classification (SST-2, ChnSentiCorp); the contract's text-in / class-out app. */
export const sentimentApp: AppDefinition<SentimentConfig, SentimentInput, SentimentOutput> = {
  name: SENTIMENT_APP,
  version: APP_VERSION,
  description: 'Sentiment classification with LSTM/GRU and attention pooling: SST-2 (English) and ChnSentiCorp hotel reviews (Chinese), next to classic baselines.',
  configSchema: sentimentConfigSchema,
  train: trainSentiment,
  evaluate: {
    description: 'test accuracy, per-class F1 and confusion matrix next to the baselines; confidently wrong texts; attention highlight',
    options: (cmd) =>
      cmd
        .option('--data <path>', "the dataset (default: the training file recorded in the model, else $RNNKIT_DATA_DIR)")
        .option('--out <dir>', 'where to write evaluation.json, confusion.svg, attention.html (default: next to the model)')
        .option('--no-baselines', 'skip fitting and scoring the baselines')
        .option('--ensemble <dirs...>', 'score the combined class probabilities (--ensemble-combine) of --model and these models (same dataset and split) instead of --model alone')
        .option('--ensemble-lr', 'add the logistic regression baseline as one more ensemble member')
        .option('--ensemble-combine <name>', 'how members combine: mean (equal weights, default), stack (logistic regression over their log-probabilities) or select (greedy forward selection with replacement); stack and select are fitted on the validation part only')
        .option('--ensemble-l2 <x>', `stack: L2 penalty on the weights' spread around their mean (default ${COMBINATION_DEFAULTS.stackL2})`)
        .option('--ensemble-rounds <n>', `select: rounds of forward selection (default ${COMBINATION_DEFAULTS.selectRounds})`)
        .option('--ensemble-select-metric <metric>', `select: logloss or accuracy (ties broken by log-loss) on the validation part (default ${COMBINATION_DEFAULTS.selectMetric})`)
        .addOption(evaluateEncodingOption()),
    run: (dir, flags) => evaluateModel(dir, flags as EvaluateFlags),
  },
  loadPredictor: loadSentimentPredictor,
  predict: {
    inputHelp: 'the text to classify (English for an SST-2 model, Chinese for a ChnSentiCorp model)',
    options: (cmd) => cmd.option('--attention-html <file>', 'also write the per-word attention weights as an HTML highlight'),
    fromText: (text) => ({ text: text.replace(/\r?\n$/, '') }),
    format: (output) => formatPrediction(output),
    after: async (output, flags, ctx) => {
      if (typeof flags.attentionHtml === 'string') await writeAttentionHtml(output, flags.attentionHtml, ctx);
    },
    example: exampleInput,
  },
  demo: {
    description: 'about a minute of GRU training on SST-2, then its dev accuracy next to the baselines',
    defaults: DEMO_CONFIG,
    show: async (_run, _config, ctx) => {
      ctx.out('\nThis was a short demo run. Full-size runs, their commands and measured figures: apps/sentiment/README.md');
    },
  },
};
