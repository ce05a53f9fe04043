import * as tf from '@tensorflow/tfjs';
import {
  accuracy, rng, setSeed, sparseCategoricalCrossentropy, train, trainConfigFromFlags, type TrainResult,
} from '@rnnkit/core';
import { makeSumSignDataset, toBatchSource, type SequenceDataset } from './data.js';
import { buildModel, defaultConfig, type ModelConfig } from './model.js';

export interface TrainOptions {
  /** Epochs, batch size, learning rate, clipping, early stopping, seed... as the shared CLI flags give them. */
  training: ReturnType<typeof trainConfigFromFlags>;
  examples: number;
  out?: string;
  config?: ModelConfig;
}

export interface TrainedApp {
  model: tf.LayersModel;
  config: ModelConfig;
  result: TrainResult;
  test: SequenceDataset;
}

export async function trainApp(opts: TrainOptions): Promise<TrainedApp> {
  setSeed(opts.training.seed ?? 1);
  const config = opts.config ?? defaultConfig;
  const data = makeSumSignDataset(opts.examples, config.timesteps, rng());
  const val = makeSumSignDataset(Math.ceil(opts.examples / 5), config.timesteps, rng());
  const test = makeSumSignDataset(Math.ceil(opts.examples / 5), config.timesteps, rng());
  const model = buildModel(config);
  const result = await train(
    model,
    { train: toBatchSource(data, opts.training.batchSize ?? 32, true), val: toBatchSource(val, 256, false) },
    sparseCategoricalCrossentropy,
    {
      ...opts.training,
      checkpointDir: opts.out ? `${opts.out}/checkpoints` : undefined,
      metricsLog: opts.out ? `${opts.out}/metrics.jsonl` : undefined,
      lossChart: opts.out ? { path: `${opts.out}/loss.svg` } : undefined,
      checkpointExtras: { config },
    },
  );
  return { model, config, result, test };
}

/** Fraction of `data` the model classifies correctly. */
export function evaluateAccuracy(model: tf.LayersModel, data: SequenceDataset): number {
  const predicted = tf.tidy(() => {
    const probs = model.predict(tf.tensor3d(data.xs, [data.size, data.timesteps, 1])) as tf.Tensor;
    return probs.argMax(-1).dataSync();
  });
  return accuracy(Array.from(data.ys), Array.from(predicted));
}
