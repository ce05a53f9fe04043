import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  RnnkitError,
  SPECIAL_TOKENS,
  bitsPerChar,
  fingerprintFiles,
  forkRng,
  lrDecaySchedule,
  reduceOnPlateau,
  resolveDataPath,
  saveModelDir,
  setSeed,
  sparseCategoricalCrossentropy,
  train,
} from '@rnnkit/core';
import type { EpochLog, LrSchedule, TrainContext, TrainedRun, Vocab } from '@rnnkit/core';
import type { TextgenConfig } from './config.js';
import { TINY_SHAKESPEARE, buildCharVocab, charWindowSource, encodeText, readCorpus, splitTrainVal, type CorpusSplit } from './data.js';
import { CharGenerator } from './generate.js';
import type { TextgenExtras } from './extras.js';
import { buildStepModel, buildTrainingModel, type TextgenModelConfig } from './model.js';

export interface TextgenRun extends TrainedRun {
  model: tf.LayersModel;
  config: TextgenModelConfig;
  vocab: Vocab;
  split: CorpusSplit;
}

/** Temperatures of the samples printed after each epoch. */
const EPOCH_SAMPLE_TEMPERATURES = [0.5, 0.8, 1.0];

/** Next-character cross-entropy at every timestep, on logits (see model.ts). */
export function nextCharLoss(yTrue: tf.Tensor, logits: tf.Tensor, weights?: tf.Tensor): tf.Scalar {
  return sparseCategoricalCrossentropy(yTrue, logits, weights, { fromLogits: true });
}

/** The textgen dataset: --data, else $RNNKIT_DATA_DIR/tinyshakespeare/input.txt, else the public URL. */
export function textgenDataPath(flag: string | undefined): Promise<string> {
  return resolveDataPath(flag, TINY_SHAKESPEARE.relativePath, { url: TINY_SHAKESPEARE.url, cacheName: TINY_SHAKESPEARE.cacheName });
}

export async function trainTextgen(cfg: TextgenConfig, ctx: TrainContext<TextgenConfig>): Promise<TextgenRun> {
  // Phase 1: data. The vocabulary is recorded with the model; resuming on other text is refused: on another
  // vocabulary by the checkpoint record, on the same characters in another order by the data's fingerprint.
  const dataPath = await textgenDataPath(cfg.data);
  const text = readCorpus(dataPath, cfg.encoding);
  const vocab = buildCharVocab(text);
  const ids = encodeText(vocab, text, dataPath);
  const split = splitTrainVal(ids, cfg.seqLen, dataPath);
  ctx.info(`data: ${dataPath}: ${ids.length} chars, ${vocab.size - SPECIAL_TOKENS.length} distinct; train ${split.train.length}, val ${split.val.length} (last 10%)`);

  // Phase 2: model. Seeded before building so that weight initialization is reproducible too.
  setSeed(cfg.seed);
  const config: TextgenModelConfig = { vocabSize: vocab.size, embedDim: cfg.embedDim, cell: cfg.cell, units: cfg.units, dropout: cfg.dropout };
  const model = buildTrainingModel(config);
  ctx.info(`model: embedding ${config.embedDim} → ${config.cell} ${config.units.join(',')} → dense ${config.vocabSize}; ${model.countParams()} parameters`);

  // Phase 3: training, with a few samples after each epoch.
  const data = {
    train: charWindowSource(split.train, { seqLen: cfg.seqLen, batchSize: cfg.batchSize, shuffle: true, randomOffset: cfg.randomOffset }),
    val: charWindowSource(split.val, { seqLen: cfg.seqLen, batchSize: cfg.batchSize, shuffle: false }),
  };
  const extras: TextgenExtras = { model: config, vocab: vocab.toJSON(), data: dataPath };
  const sampleRng = forkRng();
  const result = await train(model, data, nextCharLoss, {
    ...ctx.trainSettings(extras),
    ...learningRateSchedule(cfg),
    dataFingerprint: fingerprintFiles([dataPath]),
    lossChart: { path: join(ctx.runDir, 'loss.svg'), title: 'textgen loss', yLabel: 'nats/char' },
    callbacks: {
      onEpochEnd: (epoch: EpochLog, current: tf.LayersModel) => {
        ctx.info(describeEpoch(epoch));
        if (cfg.sampleLength === 0) return;
        const step = buildStepModel(config, current);
        try {
          const generator = new CharGenerator(step, config, vocab);
          for (const temperature of EPOCH_SAMPLE_TEMPERATURES) {
            const sample = generator.generate('\n', { length: cfg.sampleLength, temperature, rng: sampleRng });
            ctx.info(`--- sample, temperature ${temperature} ---\n${sample}`);
          }
        } finally {
          step.dispose();
        }
      },
    },
  });

  // Phase 4: the final model (the best epoch's weights when early stopping ran).
  await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
  return { model, config, vocab, split, result, modelDir: ctx.modelDir };
}

/**
 * --lr-decay (every epoch) or --lr-plateau (only after an epoch whose validation loss did not improve); the trainer
 * takes one schedule, so setting both is refused rather than silently dropping one.
 */
export function learningRateSchedule(cfg: Pick<TextgenConfig, 'lrDecay' | 'lrPlateau'>): { schedule?: LrSchedule } {
  if (cfg.lrPlateau < 1 && cfg.lrDecay < 1) throw new RnnkitError('--lr-decay and --lr-plateau cannot both be set: pick one schedule');
  return cfg.lrPlateau < 1 ? { schedule: reduceOnPlateau({ factor: cfg.lrPlateau, patience: 1, monitor: 'val_loss' }) } : lrDecaySchedule(cfg.lrDecay);
}

/** "epoch 3: train 1.6200 nats/char, val 1.5800 nats/char = 2.2795 bits/char" */
export function describeEpoch(epoch: EpochLog): string {
  const val = epoch.val_loss === undefined ? '' : `, val ${epoch.val_loss.toFixed(4)} nats/char = ${bitsPerChar(epoch.val_loss).toFixed(4)} bits/char`;
  return `epoch ${epoch.epoch}: train ${epoch.loss.toFixed(4)} nats/char${val} (${epoch.steps} steps, ${epoch.elapsed_s.toFixed(0)} s)`;
}
