import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  SPECIAL_TOKENS,
  bitsPerChar,
  forkRng,
  saveModelDir,
  setSeed,
  sparseCategoricalCrossentropy,
  train,
} from '@rnnkit/core';
import type { EpochLog, TrainResult, Vocab } from '@rnnkit/core';
import { buildCharVocab, charWindowSource, encodeText, readCorpus, splitTrainVal, type CorpusSplit } from './data.js';
import { CharGenerator } from './generate.js';
import { buildStepModel, buildTrainingModel, type TextgenModelConfig } from './model.js';

/** Everything a training run needs; the CLI fills it from flags, tests build it directly. */
export interface TextgenTrainOptions {
  dataPath: string;
  /** Run directory: model/ (final weights), checkpoints/, metrics.jsonl, loss.svg. */
  outDir: string;
  model: Omit<TextgenModelConfig, 'vocabSize'>;
  seqLen: number;
  batchSize: number;
  epochs: number;
  learningRate: number;
  /** Global gradient-norm clipping; 0 or unset = off. */
  clipNorm?: number;
  /** Early-stopping patience in epochs (on validation loss), best weights kept; 0 or unset = off. */
  patience?: number;
  maxStepsPerEpoch?: number;
  maxSeconds?: number;
  resume?: boolean;
  seed: number;
  /** Characters sampled after each epoch at each temperature (0 disables the samples). */
  sampleLength?: number;
  sampleTemperatures?: number[];
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Where per-epoch summaries and samples go (the CLI passes stdout). */
  log?: (line: string) => void;
}

export interface TextgenRun {
  model: tf.LayersModel;
  config: TextgenModelConfig;
  vocab: Vocab;
  split: CorpusSplit;
  result: TrainResult;
  modelDir: string;
}

/** The modelDir extras textgen saves next to the weights (and reads back in loadTextgenModel). */
export interface TextgenExtras {
  model: TextgenModelConfig;
  vocab: ReturnType<Vocab['toJSON']>;
  training: { data: string; seqLen: number; batchSize: number; learningRate: number; seed: number };
}

export const MODEL_SUBDIR = 'model';

/** Next-character cross-entropy at every timestep, on logits (see model.ts). */
export function nextCharLoss(yTrue: tf.Tensor, logits: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return sparseCategoricalCrossentropy(yTrue, logits, weights, { fromLogits: true });
}

export async function trainTextgen(opts: TextgenTrainOptions): Promise<TextgenRun> {
  const log = opts.log ?? (() => {});
  const text = readCorpus(opts.dataPath);
  const vocab = buildCharVocab(text);
  const ids = encodeText(vocab, text, opts.dataPath);
  const split = splitTrainVal(ids, opts.seqLen, opts.dataPath);
  log(`data: ${opts.dataPath}: ${ids.length} chars, ${vocab.size - SPECIAL_TOKENS.length} distinct; train ${split.train.length}, val ${split.val.length} (last 10%)`);

  // Seed before building the model so that weight initialization is reproducible too.
  setSeed(opts.seed);
  const config: TextgenModelConfig = { ...opts.model, vocabSize: vocab.size };
  const model = buildTrainingModel(config);
  log(`model: embedding ${config.embedDim} → ${config.cell} ${config.units.join(',')} → dense ${config.vocabSize}; ${model.countParams()} parameters`);

  const data = {
    train: charWindowSource(split.train, { seqLen: opts.seqLen, batchSize: opts.batchSize, shuffle: true }),
    val: charWindowSource(split.val, { seqLen: opts.seqLen, batchSize: opts.batchSize, shuffle: false }),
  };
  const sampleRng = forkRng();
  const result = await train(model, data, nextCharLoss, {
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    optimizer: 'adam',
    learningRate: opts.learningRate,
    clipNorm: opts.clipNorm !== undefined && opts.clipNorm > 0 ? opts.clipNorm : undefined,
    earlyStopping: opts.patience !== undefined && opts.patience > 0 ? { patience: opts.patience, monitor: 'val_loss' } : undefined,
    checkpointDir: join(opts.outDir, 'checkpoints'),
    resume: opts.resume,
    seed: opts.seed,
    metricsLog: join(opts.outDir, 'metrics.jsonl'),
    lossChart: { path: join(opts.outDir, 'loss.svg'), title: 'textgen loss', yLabel: 'nats/char' },
    maxStepsPerEpoch: opts.maxStepsPerEpoch,
    maxSeconds: opts.maxSeconds,
    progress: opts.progress,
    callbacks: {
      onEpochEnd: (epoch: EpochLog, current: tf.LayersModel) => {
        log(describeEpoch(epoch));
        const length = opts.sampleLength ?? 0;
        if (length === 0) return;
        const step = buildStepModel(config, current);
        try {
          const generator = new CharGenerator(step, config, vocab);
          for (const temperature of opts.sampleTemperatures ?? [0.5, 0.8, 1.0]) {
            const sample = generator.generate('\n', { length, temperature, rng: sampleRng });
            log(`--- sample, temperature ${temperature} ---\n${sample}`);
          }
        } finally {
          step.dispose();
        }
      },
    },
  });

  const modelDir = join(opts.outDir, MODEL_SUBDIR);
  const extras: TextgenExtras = {
    model: config,
    vocab: vocab.toJSON(),
    training: {
      data: opts.dataPath,
      seqLen: opts.seqLen,
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      seed: opts.seed,
    },
  };
  await saveModelDir(modelDir, model, extras as unknown as Record<string, unknown>);
  return { model, config, vocab, split, result, modelDir };
}

/** "epoch 3: train 1.6200 nats/char, val 1.5800 nats/char = 2.2795 bits/char" */
export function describeEpoch(epoch: EpochLog): string {
  const val = epoch.val_loss === undefined ? '' : `, val ${epoch.val_loss.toFixed(4)} nats/char = ${bitsPerChar(epoch.val_loss).toFixed(4)} bits/char`;
  return `epoch ${epoch.epoch}: train ${epoch.loss.toFixed(4)} nats/char${val} (${epoch.steps} steps, ${epoch.elapsed_s.toFixed(0)} s)`;
}
