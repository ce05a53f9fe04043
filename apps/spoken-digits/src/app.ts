import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { RnnkitError, floatOption, intOption, loadAppModel, type AppDefinition, type CommandContext } from '@rnnkit/core';
import { DEMO_CONFIG, configSchema, type AppConfig } from './config.js';
import { readWavFile, speakersOf } from './dataset.js';
import { evaluateAndWrite } from './evaluate.js';
import { loadPredictor } from './load-model.js';
import { runLoso } from './loso.js';
import { extrasSchema } from './model.js';
import { APP_NAME, MAX_INPUT_SECONDS, exampleInput, formatPrediction, type AppInput, type AppOutput } from './predictor.js';
import { endpointStream } from './stream.js';
import { makeParts, prepareData, splitNameOf, trainDigits, withNormalization } from './train.js';
import { APP_VERSION } from './version.js';

interface EvaluateFlags {
  split: 'official' | 'loso';
  data?: string;
  out?: string;
  baselines?: boolean;
  speakers?: string[];
}

/**
 * official: the saved model on the test part of the split it was trained on (official, or its held-out speaker).
 * loso: one fresh model per held-out speaker with the saved model's training config (this trains six models).
 */
async function evaluateModel(modelDir: string, flags: EvaluateFlags, ctx: CommandContext) {
  const { model, extras, config } = await loadAppModel(modelDir, APP_NAME, extrasSchema);
  try {
    const cfg = configSchema.parse({ ...config, out: undefined });
    const outDir = flags.out ?? path.dirname(modelDir);
    const prepared = await prepareData(flags.data ?? extras.data, extras.features);
    if (flags.split === 'loso') {
      const known = speakersOf(prepared.recs.map((rec) => ({ rec })));
      for (const s of flags.speakers ?? []) if (!known.includes(s)) throw new RnnkitError(`--speakers: no speaker "${s}" in ${prepared.dir} (speakers: ${known.join(', ')})`);
      return runLoso(prepared, cfg, { speakers: flags.speakers, baselines: flags.baselines !== false, outDir, ctx });
    }
    // The saved model's own normalization, not one refitted here (the same when the data is unchanged).
    const parts = withNormalization(makeParts(prepared, extras.split, cfg, ctx), extras.normalization);
    return evaluateAndWrite({ model, parts, splitName: splitNameOf(extras.split), baselines: flags.baselines !== false, outDir, ctx });
  } finally {
    model.dispose();
  }
}

/** spoken-digits: the Free Spoken Digit Dataset; WAV files and raw microphone streams in, digits out. */
export const app: AppDefinition<AppConfig, AppInput, AppOutput> = {
  name: APP_NAME,
  version: APP_VERSION,
  description: 'Spoken digit recognition: MFCC frames into a bidirectional GRU, on the Free Spoken Digit Dataset; WAV files or a live 16-bit PCM stream',
  trainDescription: 'train a spoken-digit classifier (official split, or --test-speaker for one leave-one-speaker-out fold)',
  configSchema,
  train: trainDigits,
  evaluate: {
    description: 'test accuracy and confusion matrix next to the DTW and majority baselines; --split loso trains one model per held-out speaker',
    options: (cmd) =>
      cmd
        .option('--split <kind>', 'official: the saved model on its test part; loso: leave-one-speaker-out with its training config', (v) => {
          if (v !== 'official' && v !== 'loso') throw new InvalidArgumentError('must be official or loso');
          return v;
        }, 'official')
        .option('--speakers <names>', 'loso: only these held-out speakers (comma-separated)', (v) => v.split(',').map((s) => s.trim()).filter(Boolean))
        .option('--data <dir>', 'the recordings folder (default: the one recorded in the model)')
        .option('--out <dir>', 'where to write evaluation.json / loso.json and the confusion SVG (default: next to the model)')
        .option('--no-baselines', 'skip the DTW and majority baselines'),
    run: async (dir, flags, ctx) => {
      const { report, text } = await evaluateModel(dir, flags as unknown as EvaluateFlags, ctx);
      return { report, text };
    },
  },
  loadPredictor,
  predict: {
    inputHelp: 'a WAV file (PCM, any rate: resampled), or - for raw 16-bit little-endian mono PCM on stdin',
    inputIsPath: true,
    options: (cmd) =>
      cmd
        .option('--rate <hz>', 'predict -: sample rate of the raw stream', intOption('--rate', { min: 1000, max: 192_000 }), 8000)
        .option('--duration <seconds>', 'predict -: stop after this much audio or wall-clock time (a pipe that never ends)', floatOption('--duration', { min: 0.01, max: 1e7 })),
    fromText: (file) => {
      const audio = readWavFile(file);
      if (audio.samples.length > MAX_INPUT_SECONDS * audio.sampleRate) {
        throw new RnnkitError(`${file}: ${(audio.samples.length / audio.sampleRate).toFixed(1)} s is longer than the ${MAX_INPUT_SECONDS} s a prediction reads`);
      }
      return { samples: Array.from(audio.samples), sampleRate: audio.sampleRate };
    },
    format: (o) => formatPrediction(o),
    fromStream: async (input, predictor, flags, ctx) => {
      const rate = flags.rate as number;
      const summary = await endpointStream(input, { rate, durationSeconds: flags.duration as number | undefined }, async (u) => {
        const out = await predictor.predict({ samples: Array.from(u.samples), sampleRate: rate });
        if (ctx.json) ctx.out(JSON.stringify({ start: u.start, end: u.end, ...out }));
        else ctx.out(`${u.start.toFixed(2)}-${u.end.toFixed(2)} s: ${formatPrediction(out)}`);
      });
      ctx.info(`read ${summary.seconds.toFixed(2)} s of audio, ${summary.utterances} utterance(s)`);
    },
    example: exampleInput,
  },
  demo: {
    description: 'a few epochs on the official split, then the test accuracy',
    defaults: DEMO_CONFIG,
    show: async (_run, _config, ctx) => ctx.out('\nThis was a short demo run. Full-size runs, their commands and measured figures: apps/spoken-digits/README.md'),
  },
};
