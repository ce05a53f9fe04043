/**
 * The forecaster: a window of scaled daily features → the next `horizon` days.
 *   input [lookback, features] → stacked GRU/LSTM (core) → last hidden state → one of two heads:
 *   - quantile model (`quantiles` set, trained with pinball loss): core's quantileHead, [horizon, levels] quantiles of
 *     the cumulative scaled return from the origin to each day, non-crossing by construction;
 *   - point model: Dense(horizon), one scaled log return per day.
 * One network serves every ticker (pooled training); tickers differ only in their own scalers.
 */
import * as tf from '@tensorflow/tfjs';
import { nextSeed, quantileHead, runModel, stackedRecurrent } from '@rnnkit/core/browser';
import type { ForecasterConfig } from './extras.js';

export function buildForecaster(cfg: ForecasterConfig): tf.LayersModel {
  const input = tf.input({ shape: [cfg.lookback, cfg.numFeatures], name: 'window' });
  const hidden = stackedRecurrent(input, { cell: cfg.cell, units: cfg.units, dropout: cfg.dropout, name: 'rnn' });
  const output = cfg.quantiles
    ? // Scaled daily returns have unit variance, so the cumulative return to day d starts with spread √d.
      quantileHead(hidden, {
        outputs: cfg.horizon, levels: cfg.quantiles, name: 'quantiles',
        initialScale: Array.from({ length: cfg.horizon }, (_, d) => Math.sqrt(d + 1)),
      })
    : (tf.layers
        .dense({ units: cfg.horizon, name: 'returns', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }) })
        .apply(hidden) as tf.SymbolicTensor);
  return tf.model({ inputs: input, outputs: output, name: 'stock_forecaster' });
}

/** The network's output shape for `cfg` (batch dimension null), to check a loaded model against its extras. */
export function forecasterOutputShape(cfg: Pick<ForecasterConfig, 'horizon' | 'quantiles'>): (number | null)[] {
  return cfg.quantiles ? [null, cfg.horizon, cfg.quantiles.length] : [null, cfg.horizon];
}

/**
 * Runs the model on a [count, lookback, features] row-major window array in chunks; returns one output per window:
 * [horizon] scaled returns (point model) or [horizon][levels] scaled cumulative-return quantiles.
 */
export function predictWindows<Row = number[]>(
  model: tf.LayersModel,
  x: Float32Array,
  count: number,
  cfg: Pick<ForecasterConfig, 'lookback' | 'numFeatures'>,
  chunk = 512,
): Row[] {
  const rowLength = cfg.lookback * cfg.numFeatures;
  const out: Row[] = [];
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const output = tf.tidy(() => {
      const xs = tf.tensor3d(x.subarray(start * rowLength, (start + n) * rowLength), [n, cfg.lookback, cfg.numFeatures]);
      return runModel(model, xs)[0];
    });
    out.push(...(output.arraySync() as Row[]));
    output.dispose();
  }
  return out;
}

/**
 * Scaled cumulative-return quantiles [horizon][levels] → cumulative log returns. The scaler is affine per day, so
 * the sum of d scaled returns s unscales to d · unscale(s / d).
 */
export function unscaleCumulative(unscale: (scaled: number[]) => number[], scaled: number[][]): number[][] {
  return scaled.map((levels, d) => unscale(levels.map((s) => s / (d + 1))).map((v) => v * (d + 1)));
}
