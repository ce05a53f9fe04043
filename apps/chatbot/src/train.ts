import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import {
  disposeSeq2Seq, fingerprintFiles, formatTrainResult, saveModelDir, setSeed, sparseCategoricalCrossentropy, train, type TrainCallbacks, type TrainContext, type TrainedRun,
} from '@rnnkit/core';
import { pairBatchSource } from './batches.js';
import { dataConfigOf, modelConfigOf, type ChatbotConfig } from './config.js';
import type { ChatDataset } from './data/dataset.js';
import { describeData, prepareData } from './data/index.js';
import type { ChatbotExtras } from './extras.js';
import { buildChatModel } from './model.js';

/** Trains the Seq2Seq chatbot with core's train() and saves it as `<run dir>/model`. */

export interface ChatbotRun extends TrainedRun {
  dataset: ChatDataset;
}

/** Hooks for tests and library users (e.g. counting tensors after each step). */
export interface ChatbotTrainHooks {
  callbacks?: TrainCallbacks;
}

export async function trainChatbot(cfg: ChatbotConfig, ctx: TrainContext<ChatbotConfig>, hooks: ChatbotTrainHooks = {}): Promise<ChatbotRun> {
  // Phase 1: data. The vocabulary is built on the training split and recorded with the model.
  const textConfig = dataConfigOf(cfg);
  const { corpus, dataset } = await prepareData(cfg.data, textConfig);
  ctx.info(describeData(corpus, dataset));

  // Phase 2: model. Seeded before building so that weight initialization is reproducible, not just the batch order.
  const modelConfig = modelConfigOf(cfg);
  setSeed(cfg.seed);
  const models = buildChatModel(modelConfig, dataset.vocab.size, cfg.seed);
  ctx.info(
    `model: embedding ${modelConfig.embedDim} → bidirectional GRU ${modelConfig.units}×2 → GRU decoder ${2 * modelConfig.units} + ` +
      `${modelConfig.attention} attention → softmax ${dataset.vocab.size}; ${models.train.countParams()} parameters`,
  );

  // Phase 3: training. Stored in the checkpoints too, so `checkpoints/best` (or `last`) loads as a complete chatbot.
  const extras: ChatbotExtras = { data: corpus.source, text: textConfig, model: modelConfig, vocab: dataset.vocab.toJSON(), stats: dataset.stats };
  try {
    const settings = ctx.trainSettings(extras);
    const lossChart = join(ctx.runDir, 'loss.svg');
    const result = await train(
      models.train,
      {
        train: pairBatchSource(dataset.train, cfg.batchSize, true, cfg.seed),
        val: dataset.heldOut.length > 0 ? pairBatchSource(dataset.heldOut, 64, false) : undefined,
      },
      (yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor) => sparseCategoricalCrossentropy(yTrue, yPred, weights),
      {
        ...settings,
        // The vocabulary catches most other corpora; the same words in other conversations need the files' fingerprint.
        dataFingerprint: fingerprintFiles(corpus.files),
        // Early stopping watches the held-out loss: off when nothing is held out.
        earlyStopping: dataset.heldOut.length > 0 ? settings.earlyStopping : undefined,
        lossChart: { path: lossChart, title: 'chatbot: cross-entropy per response token', yLabel: 'loss (nats)' },
        callbacks: hooks.callbacks,
      },
    );
    ctx.info(formatTrainResult(result, lossChart));

    // Phase 4: the final model (the best epoch's weights when early stopping ran).
    await saveModelDir(ctx.modelDir, models.train, ctx.modelRecord(extras, result));
    return { result, modelDir: ctx.modelDir, dataset };
  } finally {
    disposeSeq2Seq(models);
  }
}
