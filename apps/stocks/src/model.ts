/**
 * The forecaster: a window of scaled daily features → the next `horizon` scaled log returns.
 *   input [lookback, features] → stacked GRU/LSTM (core) → last hidden state → Dense(horizon), linear.
 * One network serves every ticker (pooled training); tickers differ only in their own scalers.
 */
import * as tf from '@tensorflow/tfjs';
import { nextSeed, runModel, stackedRecurrent } from '@rnnkit/core';
import type { ForecasterConfig } from './extras.js';

export function buildForecaster(cfg: ForecasterConfig): tf.LayersModel {
  const input = tf.input({ shape: [cfg.lookback, cfg.numFeatures], name: 'window' });
  const hidden = stackedRecurrent(input, { cell: cfg.cell, units: cfg.units, dropout: cfg.dropout, name: 'rnn' });
  const returns = tf.layers
    .dense({ units: cfg.horizon, name: 'returns', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: returns, name: 'stock_forecaster' });
}

/** Runs the model on a [count, lookback, features] row-major window array in chunks; returns [count][horizon]. */
export function predictWindows(
  model: tf.LayersModel,
  x: Float32Array,
  count: number,
  cfg: Pick<ForecasterConfig, 'lookback' | 'numFeatures'>,
  chunk = 512,
): number[][] {
  const rowLength = cfg.lookback * cfg.numFeatures;
  const out: number[][] = [];
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const values = tf.tidy(() => {
      const xs = tf.tensor3d(x.subarray(start * rowLength, (start + n) * rowLength), [n, cfg.lookback, cfg.numFeatures]);
      return runModel(model, xs)[0].arraySync() as number[][];
    });
    out.push(...values);
  }
  return out;
}
