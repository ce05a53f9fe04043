import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { evaluateEncodingOption, trainedEncoding, writeFileAtomic, type AppDefinition, type CommandContext } from '@rnnkit/core';
import { DEMO_CONFIG, sentimentConfigSchema, type SentimentConfig } from './config.js';
import { DATASET_INFO } from './datasets.js';
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
  encoding?: string;
}

/**
 * Scores a saved model on the test part its training split recorded (SST-2: dev.tsv; ChnSentiCorp: the same 10%
 * test split), next to the baselines fitted on the same training part. With --ensemble / --ensemble-lr it scores the
 * mean of several members' class probabilities instead (ensemble.ts). Writes evaluation.json, confusion.svg and
 * (single attention models) attention.html next to the model (or into --out).
 */
async function evaluateModel(modelDir: string, flags: EvaluateFlags): Promise<{ report: EvaluationReport; text: string }> {
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
      ...(ensemble ? { ensemble } : {}),
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
        .option('--ensemble <dirs...>', 'score the mean class probabilities of --model and these models (same dataset and split) instead of --model alone')
        .option('--ensemble-lr', 'add the logistic regression baseline as one more ensemble member')
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
