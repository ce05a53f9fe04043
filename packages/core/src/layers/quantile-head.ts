import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { normalQuantile } from '../metrics/quantile.js';
import { nextSeed } from '../random.js';

/**
 * An output head for quantile regression: [batch, features] → [batch, outputs, Q], the values of `outputs` targets at
 * Q increasing quantile levels, non-crossing by construction: the lowest quantile is a linear output ("base") and
 * each next one adds softplus(·) ≥ 0 to the one below.
 *
 * It is made of stock tfjs-layers only (Dense, Reshape, Concatenate, and a Dense with a fixed, non-trainable
 * cumulative-sum kernel), so a model with this head still exports to plain tfjs (`export --plain-tfjs`) and needs no
 * rnnkit code to load. Train it with core's `pinballLoss(levels)`.
 */
export interface QuantileHeadOptions {
  /** Targets per example (e.g. forecast days). */
  outputs: number;
  /** Increasing quantile levels in (0, 1); at least 2. */
  levels: readonly number[];
  /**
   * Per-target scale of the initial spread: the increments' biases start so that the head's first quantiles are
   * those of a normal distribution with this standard deviation (default 1 for every target), a sensible start for
   * standardised targets. Later training moves them freely.
   */
  initialScale?: readonly number[];
  name?: string;
  /** Seed of the kernels' initializers; defaults to the next seed of core's shared PRNG. */
  seed?: number;
}

/** softplus⁻¹(y) = ln(eᵞ − 1), for the increments' initial biases. */
function inverseSoftplus(y: number): number {
  return y > 30 ? y : Math.log(Math.expm1(y));
}

export function quantileHead(input: tf.SymbolicTensor, opts: QuantileHeadOptions): tf.SymbolicTensor {
  const { outputs, levels } = opts;
  const name = opts.name ?? 'quantiles';
  if (!Number.isInteger(outputs) || outputs < 1) throw new RnnkitError(`quantileHead: outputs must be a positive integer, got ${outputs}`);
  if (levels.length < 2) throw new RnnkitError(`quantileHead: needs at least 2 quantile levels, got ${levels.length}`);
  levels.forEach((level, k) => {
    if (!(level > 0 && level < 1) || (k > 0 && !(level > levels[k - 1]))) {
      throw new RnnkitError(`quantileHead: levels must increase strictly inside (0, 1); levels[${k}] = ${level}`);
    }
  });
  const scale = opts.initialScale ?? Array<number>(outputs).fill(1);
  if (scale.length !== outputs || scale.some((s) => !(s > 0) || !Number.isFinite(s))) {
    throw new RnnkitError(`quantileHead: initialScale must hold ${outputs} positive numbers`);
  }
  const q = levels.length;
  const z = levels.map((level) => normalQuantile(level));
  const seed = opts.seed ?? nextSeed();
  const kernelInit = (s: number) => tf.initializers.glorotUniform({ seed: s });
  const base = tf.layers
    .dense({
      units: outputs, name: `${name}_base`, kernelInitializer: kernelInit(seed),
      biasInitializer: tf.initializers.constant({ value: 0 }),
    })
    .apply(input) as tf.SymbolicTensor;
  // Row-major [outputs, q - 1]: the bias of target t's k-th increment starts at the normal gap z[k+1] − z[k], scaled.
  const gapBias = Array.from({ length: outputs * (q - 1) }, (_, i) => {
    const [t, k] = [Math.floor(i / (q - 1)), i % (q - 1)];
    return inverseSoftplus(scale[t] * (z[k + 1] - z[k]));
  });
  const incrementsLayer = tf.layers.dense({
    units: outputs * (q - 1), activation: 'softplus', name: `${name}_increments`,
    kernelInitializer: kernelInit(seed + 1),
  });
  const increments = incrementsLayer.apply(input) as tf.SymbolicTensor;
  const lowest = tf.layers.reshape({ targetShape: [outputs, 1], name: `${name}_base_column` }).apply(base) as tf.SymbolicTensor;
  const steps = tf.layers.reshape({ targetShape: [outputs, q - 1], name: `${name}_increment_rows` }).apply(increments) as tf.SymbolicTensor;
  const parts = tf.layers.concatenate({ axis: -1, name: `${name}_parts` }).apply([lowest, steps]) as tf.SymbolicTensor;
  // [.., q] · K with K[i][j] = 1 for i ≤ j: quantile j = base + the first j increments.
  const cumsum = tf.layers.dense({ units: q, useBias: false, trainable: false, name: `${name}_cumsum` });
  const out = cumsum.apply(parts) as tf.SymbolicTensor;
  // Both layers are built by apply(); their initializers cannot express these values, so they are written now.
  const kernel = tf.tensor2d(Array.from({ length: q * q }, (_, i) => (Math.floor(i / q) <= i % q ? 1 : 0)), [q, q]);
  const bias = tf.tensor1d(gapBias);
  cumsum.setWeights([kernel]);
  incrementsLayer.setWeights([incrementsLayer.getWeights()[0], bias]);
  tf.dispose([kernel, bias]);
  return out;
}
