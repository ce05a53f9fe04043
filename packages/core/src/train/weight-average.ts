import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import type { NamedTensor } from '../io/model-dir.js';

/**
 * An exponential moving average of the trainable weights, updated after every optimizer step:
 *
 *   average ← d · average + (1 − d) · weights,   d = min(decay, (1 + n) / (10 + n)), n = updates so far
 *
 * The ramp on d (as TensorFlow's ExponentialMovingAverage with num_updates) keeps the starting weights from
 * dominating the average early in a run: after n steps it spans roughly the last n / 10 steps, until it reaches
 * `decay` (about the last 1 / (1 − decay) steps). The average is what validation scores, what early stopping keeps
 * and what the run hands back: it smooths the last steps' noise, which on a small data set that a model memorizes
 * in a few epochs is often worth more than the last step's weights.
 *
 * While the average is "swapped in", the model's variables hold it and the training weights are kept aside; the
 * trainer swaps it in around validation and checkpoints and back out before the next step.
 */

export interface WeightAveragingConfig {
  /** Decay of the moving average per step, in (0, 1); e.g. 0.999 averages over about the last 1,000 steps. */
  decay: number;
}

/** The checkpoint files (`<name>.json` / `.bin`) that hold the training weights while the model files hold the average. */
export const TRAINING_WEIGHTS_FILES = 'training-weights';

export function checkWeightAveraging(cfg: WeightAveragingConfig): void {
  if (!(cfg.decay > 0 && cfg.decay < 1)) throw new RnnkitError(`train config: weightAveraging.decay must be in (0, 1), got ${cfg.decay}`);
}

/**
 * d · average + (1 − d) · weights as one tensor. On the cpu backend it is one pass into one new array: tfjs's
 * mul, mul, add are three passes and three arrays the size of the variable, which for a sub-word model's 65,537 × 64
 * n-gram table (16 MiB) made the average a large part of every step, most of it garbage collection. The loop rounds
 * each product and the sum to float32 as tfjs's float32 ops do (a float32 product or sum computed in double and then
 * rounded once is the correctly rounded float32 result), so both paths give the same bits; the test compares them.
 */
export function blend(average: tf.Tensor, weights: tf.Tensor, d: number): tf.Tensor {
  if (tf.getBackend() !== 'cpu' || average.dtype !== 'float32' || weights.dtype !== 'float32') {
    return tf.tidy(() => tf.add(tf.mul(average, d), tf.mul(weights, 1 - d)));
  }
  // dataSync on cpu returns the tensors' own arrays: read only.
  const a = average.dataSync() as Float32Array;
  const w = weights.dataSync() as Float32Array;
  if (a.length !== w.length) throw new RnnkitError(`WeightAverage: average has ${a.length} values but the weights ${w.length}`);
  const keep = Math.fround(d);
  const take = Math.fround(1 - d);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.fround(a[i] * keep) + Math.fround(w[i] * take);
  return tf.tensor(out, average.shape, 'float32');
}

export class WeightAverage {
  private readonly average: tf.Variable[];
  private held: tf.Tensor[] | null = null;
  /** Steps averaged so far. */
  updates = 0;

  constructor(
    private readonly vars: readonly tf.Variable[],
    readonly decay: number,
  ) {
    checkWeightAveraging({ decay });
    this.average = vars.map((v) => tf.variable(v, false));
  }

  /** The model's variables hold the average (the training weights are set aside). */
  get swappedIn(): boolean {
    return this.held !== null;
  }

  /** Folds the current weights into the average (after an optimizer step; never while swapped in). */
  update(): void {
    if (this.held) throw new RnnkitError('WeightAverage.update: the average is swapped in; swap it out before training');
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    tf.tidy(() => {
      this.average.forEach((a, i) => a.assign(blend(a, this.vars[i], d)));
    });
    this.updates += 1;
  }

  /** Puts the average into the model's variables, keeping the training weights aside (no-op when already in). */
  swapIn(): void {
    if (this.held) return;
    this.held = this.vars.map((v) => tf.clone(v));
    this.vars.forEach((v, i) => v.assign(this.average[i]));
  }

  /** Puts the training weights back (no-op when the average is not in). */
  swapOut(): void {
    if (!this.held) return;
    const held = this.held;
    this.vars.forEach((v, i) => v.assign(held[i]));
    tf.dispose(held);
    this.held = null;
  }

  /** Ends the run with the average in the model for good (the training weights are dropped). */
  keepAverage(): void {
    this.swapIn();
    tf.dispose(this.held ?? []);
    this.held = null;
  }

  /** The training weights (whichever side they are on), named by variable, for a checkpoint. Borrowed: do not dispose. */
  trainingWeights(): NamedTensor[] {
    return this.vars.map((v, i) => ({ name: v.name, tensor: this.held ? this.held[i] : v }));
  }

  /**
   * After a checkpoint's weights (the average) were loaded into the model: makes them the average and the saved
   * `training` weights the model's, with `updates` steps behind it. Checks the count and shapes, naming `source`
   * (by position, as the model's weights load: layer names differ between two builds of the same model).
   */
  restore(training: readonly NamedTensor[], updates: number, source: string): void {
    if (this.held) throw new RnnkitError('WeightAverage.restore: swap the average out first');
    if (training.length !== this.vars.length) {
      throw new RnnkitError(`${source}: holds ${training.length} training weight tensors but the model has ${this.vars.length} trainable ones`);
    }
    training.forEach((t, i) => {
      const v = this.vars[i];
      if (t.tensor.shape.join(',') !== v.shape.join(',')) {
        throw new RnnkitError(`${source}: weight ${i} ("${t.name}") has shape [${t.tensor.shape.join(', ')}] but the model's "${v.name}" has [${v.shape.join(', ')}]`);
      }
    });
    this.vars.forEach((v, i) => {
      this.average[i].assign(v);
      v.assign(training[i].tensor);
    });
    this.updates = updates;
  }

  dispose(): void {
    tf.dispose(this.held ?? []);
    this.held = null;
    tf.dispose(this.average);
  }
}
