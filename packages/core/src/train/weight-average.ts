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

/**
 * The average of a table whose steps touch a few rows (TrainConfig.sparseRows), kept row by row. A row's weights
 * only change at the steps that touch it, so the steps in between, which would each blend the same weights in,
 * are folded in at once when the row is next touched or the average is read: with P the product of their decays,
 * average ← P · average + (1 − P) · weights. That is the dense average's value (rounded once instead of once per
 * step), at the cost of the rows touched.
 */
interface RowAverage {
  /** The table's average, private to this object (written in place). */
  values: Float32Array;
  width: number;
  /** Per row: the number of updates already folded into its average. */
  done: Int32Array;
}

/** One row of a row-wise average: average ← keep · average + (1 − keep) · weights, in float32 as `blend`. */
function blendRow(table: RowAverage, weights: Float32Array, row: number, keepExact: number): void {
  const keep = Math.fround(keepExact);
  const take = Math.fround(1 - keepExact);
  for (let k = 0, j = row * table.width; k < table.width; k++, j++) {
    table.values[j] = Math.fround(table.values[j] * keep) + Math.fround(weights[j] * take);
  }
}

export class WeightAverage {
  private readonly average: tf.Variable[];
  private held: tf.Tensor[] | null = null;
  /** Steps averaged so far. */
  updates = 0;
  /** Tables averaged row by row, by variable index. */
  private readonly rowAverages = new Map<number, RowAverage>();
  /** logDecays[k] = sum of log d over updates 0..k-1 (grown as updates happen). */
  private readonly logDecays: number[] = [0];

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

  /** The decay of update number n (0-based). */
  private decayAt(n: number): number {
    return Math.min(this.decay, (1 + n) / (10 + n));
  }

  /** Sum of log d over updates 0..n-1. */
  private logDecayBefore(n: number): number {
    while (this.logDecays.length <= n) {
      const k = this.logDecays.length - 1;
      this.logDecays.push(this.logDecays[k] + Math.log(this.decayAt(k)));
    }
    return this.logDecays[n];
  }

  private rowAverageOf(name: string): [number, RowAverage] {
    const i = this.vars.findIndex((v) => v.name === name);
    if (i < 0) throw new RnnkitError(`WeightAverage: no averaged variable named "${name}"`);
    let table = this.rowAverages.get(i);
    if (table === undefined) {
      const numRows = this.vars[i].shape[0] ?? 0;
      table = {
        values: (this.average[i].dataSync() as Float32Array).slice(),
        width: numRows === 0 ? 0 : this.vars[i].size / numRows,
        done: new Int32Array(numRows).fill(this.updates),
      };
      this.rowAverages.set(i, table);
    }
    return [i, table];
  }

  /** Folds the steps a row missed (its weights unchanged meanwhile) into its average, up to `updates`. */
  private catchUpRow(table: RowAverage, weights: Float32Array, row: number): void {
    const missed = this.updates - table.done[row];
    if (missed === 0) return;
    const keepExact = missed === 1 ? this.decayAt(table.done[row]) : Math.exp(this.logDecayBefore(this.updates) - this.logDecayBefore(table.done[row]));
    blendRow(table, weights, row, keepExact);
    table.done[row] = this.updates;
  }

  /**
   * Before a row-sparse optimizer step: the rows about to change get the steps they missed folded in with their
   * current weights. `rows` by variable name; the same tables at every step.
   */
  catchUpRows(rows: ReadonlyMap<string, Int32Array>): void {
    for (const [name, ids] of rows) {
      const [i, table] = this.rowAverageOf(name);
      const weights = this.vars[i].dataSync() as Float32Array;
      for (const row of ids) this.catchUpRow(table, weights, row);
    }
  }

  /**
   * Folds the current weights into the average (after an optimizer step; never while swapped in). Tables given in
   * `rows` (by variable name, after catchUpRows with the same rows) are averaged only on those rows now, the
   * others' steps folded in later.
   */
  update(rows?: ReadonlyMap<string, Int32Array>): void {
    if (this.held) throw new RnnkitError('WeightAverage.update: the average is swapped in; swap it out before training');
    const d = this.decayAt(this.updates);
    const rowTables = new Set<number>();
    for (const [name, ids] of rows ?? []) {
      const [i, table] = this.rowAverageOf(name);
      rowTables.add(i);
      const weights = this.vars[i].dataSync() as Float32Array;
      for (const row of ids) {
        if (table.done[row] !== this.updates) throw new RnnkitError(`WeightAverage.update: row ${row} of "${name}" was not caught up before the step`);
        table.done[row] = this.updates + 1;
      }
      for (const row of ids) blendRow(table, weights, row, d);
    }
    tf.tidy(() => {
      this.average.forEach((a, i) => {
        if (!rowTables.has(i) && !this.rowAverages.has(i)) a.assign(blend(a, this.vars[i], d));
      });
    });
    this.updates += 1;
  }

  /** Every row of the row-wise tables caught up, and the tables' averages written into the average variables. */
  private flushRows(): void {
    for (const [i, table] of this.rowAverages) {
      const weights = this.vars[i].dataSync() as Float32Array;
      for (let row = 0; row < table.done.length; row++) this.catchUpRow(table, weights, row);
      tf.tidy(() => this.average[i].assign(tf.tensor(table.values.slice(), this.average[i].shape, 'float32')));
    }
  }

  /** Puts the average into the model's variables, keeping the training weights aside (no-op when already in). */
  swapIn(): void {
    if (this.held) return;
    this.flushRows();
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
    // The row-wise tables start again from the restored average, complete at `updates`.
    this.rowAverages.clear();
  }

  dispose(): void {
    tf.dispose(this.held ?? []);
    this.held = null;
    tf.dispose(this.average);
  }
}
