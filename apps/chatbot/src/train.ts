import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  disposeSeq2Seq, saveModelDir, setSeed, sparseCategoricalCrossentropy, train, type TrainCallbacks, type TrainResult,
} from '@rnnkit/core';
import { pairBatchSource } from './batches.js';
import type { ChatbotExtras } from './chatbot.js';
import type { ChatDataset, DataConfig } from './data/dataset.js';
import { buildChatModel, type ChatModelConfig } from './model.js';

/** Trains the Seq2Seq chatbot with core's train() and saves it as `<out>/model`. */

export interface TrainOptions {
  out: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Global gradient-norm clipping; 0 = off. */
  clipNorm: number;
  /** Early stopping on held-out loss; 0 = off. */
  patience: number;
  seed: number;
  resume: boolean;
  maxStepsPerEpoch?: number;
  maxSeconds?: number;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  callbacks?: TrainCallbacks;
}

export interface TrainOutcome {
  result: TrainResult;
  modelDir: string;
}

export async function trainChatbot(
  data: ChatDataset,
  dataConfig: DataConfig,
  modelConfig: ChatModelConfig,
  opts: TrainOptions,
): Promise<TrainOutcome> {
  mkdirSync(opts.out, { recursive: true });
  // Seed before building so weight initialization is reproducible, not just the batch order.
  setSeed(opts.seed);
  const models = buildChatModel(modelConfig, data.vocab.size, opts.seed);
  const metricsLog = join(opts.out, 'metrics.jsonl');
  // Stored in the checkpoints too, so `checkpoints/best` (or `last`, after an interrupt) loads as a complete chatbot.
  const extras: ChatbotExtras = { app: 'chatbot', data: dataConfig, model: modelConfig, vocab: data.vocab.toJSON() };
  try {
    const result = await train(
      models.train,
      {
        train: pairBatchSource(data.train, opts.batchSize, true, opts.seed),
        val: data.heldOut.length > 0 ? pairBatchSource(data.heldOut, 64, false) : undefined,
      },
      (yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor) => sparseCategoricalCrossentropy(yTrue, yPred, weights),
      {
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        learningRate: opts.learningRate,
        clipNorm: opts.clipNorm > 0 ? opts.clipNorm : undefined,
        earlyStopping: opts.patience > 0 && data.heldOut.length > 0 ? { patience: opts.patience } : undefined,
        checkpointDir: join(opts.out, 'checkpoints'),
        checkpointExtras: { ...extras },
        resume: opts.resume,
        seed: opts.seed,
        metricsLog,
        lossChart: { path: join(opts.out, 'loss.svg'), title: 'chatbot: cross-entropy per response token', yLabel: 'loss (nats)' },
        maxStepsPerEpoch: opts.maxStepsPerEpoch,
        maxSeconds: opts.maxSeconds,
        progress: opts.progress,
        callbacks: opts.callbacks,
      },
    );
    const modelDir = join(opts.out, 'model');
    await saveModelDir(modelDir, models.train, { ...extras, stats: data.stats, history: result.history });
    return { result, modelDir };
  } finally {
    disposeSeq2Seq(models);
  }
}
