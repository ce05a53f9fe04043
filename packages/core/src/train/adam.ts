import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { activeFusedKernels } from '../layers/fused-kernels.js';

/**
 * Adam whose update runs as one fused native op per variable when `@rnnkit/native` is active.
 *
 * tfjs's AdamOptimizer applies about a dozen elementwise ops per variable, each a full pass over memory into a new
 * tensor: on the seq2seq-attn benchmark (4.9M weights, 2 cores) that took ~65 ms of a ~170 ms training step, the fused
 * op ~13 ms. It computes the very same float32 operations in the same order, so both paths produce identical weights.
 *
 * This is a subclass that only replaces applyGradients: the moments, beta^t products and iteration count stay in
 * tfjs's own fields, so getWeights/setWeights (checkpoints, resume), dispose, getConfig and the serialized class
 * name ('Adam') are tfjs's, and a learning rate set between steps (schedules) applies to the next step.
 */

/** Arguments of the native `fusedAdamUpdate` op: one variable's tensors, the bias corrections and the rates. */
export interface FusedAdamArgs {
  value: tf.Tensor;
  gradient: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  /** Scalar 1 - beta1^t. */
  biasCorrection1: tf.Tensor;
  /** Scalar 1 - beta2^t. */
  biasCorrection2: tf.Tensor;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** tfjs AdamOptimizer's private state (tfjs 4.22, pinned), which the fused step updates exactly as tfjs does. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable }>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable }>;
}

type VariableGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type NamedWeights = Awaited<ReturnType<tf.AdamOptimizer['getWeights']>>;

/** Names of the two bias-correction products among the saved weights (after tfjs's own entries). */
const ACC_BETA1 = 'rnnkit_adam/acc_beta1';
const ACC_BETA2 = 'rnnkit_adam/acc_beta2';

function zeroSlot(value: tf.Variable, originalName: string): { originalName: string; variable: tf.Variable } {
  return { originalName, variable: tf.variable(tf.zerosLike(value), false) };
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /**
   * tfjs saves only the iteration count and, on setWeights, recomputes beta^t as pow(beta, t + 1), which differs in
   * the last float32 bits from the product the steps accumulated: a resumed run would then drift from an
   * uninterrupted one from its first step on. The products themselves are saved too, and restored exactly.
   */
  override async getWeights(): Promise<NamedWeights> {
    const state = this as unknown as AdamState;
    return [...(await super.getWeights()), { name: ACC_BETA1, tensor: state.accBeta1 }, { name: ACC_BETA2, tensor: state.accBeta2 }];
  }

  /** Accepts tfjs's layout with or without the two products (checkpoints written before they were saved). */
  override async setWeights(weightValues: NamedWeights): Promise<void> {
    const acc = new Map(weightValues.filter((w) => w.name === ACC_BETA1 || w.name === ACC_BETA2).map((w) => [w.name, w.tensor]));
    await super.setWeights(weightValues.filter((w) => !acc.has(w.name)));
    const state = this as unknown as AdamState;
    const beta1 = acc.get(ACC_BETA1);
    const beta2 = acc.get(ACC_BETA2);
    if (beta1 !== undefined && beta2 !== undefined) {
      if (beta1.size !== 1 || beta2.size !== 1) throw new RnnkitError('Adam: the saved beta^t products must be scalars');
      tf.tidy(() => {
        state.accBeta1.assign(tf.reshape(beta1, []));
        state.accBeta2.assign(tf.reshape(beta2, []));
      });
    }
  }

  override applyGradients(variableGradients: VariableGradients): void {
    const fused = activeFusedKernels();
    if (fused === null) {
      super.applyGradients(variableGradients);
      return;
    }
    const named: Array<[string, tf.Tensor | null | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    this.step(fused, named, new Map());
  }

  /**
   * One Adam step in which the variables named in `rowGradients` get a row-wise ("lazy") update: only their listed
   * rows move, and only those rows' moments decay and take the gradient (TensorFlow's LazyAdam). For a row that is
   * listed it is the very arithmetic of the dense update; a row left out keeps its value and moments, where dense
   * Adam would still move it by its decaying momentum. That is the point for an embedding table of which a batch
   * reads a few rows: the cost follows the rows read, not the table. `named` lists every variable in the same order
   * as applyGradients gets them (slots belong to positions); a row-sparse variable's dense gradient is not read.
   * Needs the fused native kernels (the dense variables' update).
   */
  applyRowSparseGradients(named: Array<[string, tf.Tensor | null | undefined]>, rowGradients: ReadonlyMap<string, RowGradient>): void {
    const fused = activeFusedKernels();
    if (fused === null) throw new RnnkitError('Adam: row-sparse (lazy) updates need the @rnnkit/native fused kernels on the cpu backend');
    for (const name of rowGradients.keys()) {
      if (!named.some(([n]) => n === name)) throw new RnnkitError(`Adam: row gradients for "${name}", which is not among the variables of this step`);
    }
    this.step(fused, named, rowGradients);
  }

  private step(
    fused: NonNullable<ReturnType<typeof activeFusedKernels>>,
    named: Array<[string, tf.Tensor | null | undefined]>,
    rowGradients: ReadonlyMap<string, RowGradient>,
  ): void {
    const state = this as unknown as AdamState;
    tf.tidy(() => {
      const biasCorrection1 = tf.sub(1, state.accBeta1);
      const biasCorrection2 = tf.sub(1, state.accBeta2);
      // Slots belong to gradients by position, as in tfjs: that is the order getWeights saves them in.
      named.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name];
        if (value === undefined) throw new RnnkitError(`Adam: no variable named "${name}" to apply a gradient to`);
        state.accumulatedFirstMoment[i] ??= zeroSlot(value, `${name}/m`);
        state.accumulatedSecondMoment[i] ??= zeroSlot(value, `${name}/v`);
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        const rows = rowGradients.get(name);
        if (rows !== undefined) {
          this.rowUpdate(value, m, v, rows, biasCorrection1.dataSync()[0], biasCorrection2.dataSync()[0]);
          return;
        }
        if (gradient == null) return;
        const next = fused.fusedAdamUpdate({
          value,
          gradient,
          m,
          v,
          biasCorrection1,
          biasCorrection2,
          learningRate: this.learningRate,
          beta1: this.beta1,
          beta2: this.beta2,
          epsilon: this.epsilon,
        });
        m.assign(next.m);
        v.assign(next.v);
        value.assign(next.value);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /** The value arrays this optimizer's row updates made last (written in place while no other tensor shares them). */
  private readonly ownedValues = new WeakMap<tf.Variable, Float32Array>();

  /**
   * A table's values to update: its own array when this optimizer made it and no other tensor holds it (a clone,
   * e.g. early stopping's best copy or the swapped-out weights, raises the backend's reference count), else a copy.
   */
  private writableValue(value: tf.Variable): { values: Float32Array; inPlace: boolean } {
    const current = value.dataSync() as Float32Array;
    const backend = tf.backend() as unknown as { refCount?: (dataId: object) => number };
    const dataId = (value as unknown as { dataId: object }).dataId;
    if (this.ownedValues.get(value) === current && backend.refCount?.(dataId) === 1) return { values: current, inPlace: true };
    return { values: current.slice(), inPlace: false };
  }

  /** The moment arrays this optimizer made and alone holds, which row updates may write in place. */
  private readonly ownedMoments = new WeakMap<tf.Variable, Float32Array>();

  /**
   * A slot's values as an array that is safe to write in place: the slot's own array when this optimizer made it,
   * else (a fresh slot, or one set by setWeights on resume, whose array may be shared) a private copy assigned to it.
   */
  private ownedMoment(slot: tf.Variable): Float32Array {
    const current = slot.dataSync() as Float32Array;
    if (this.ownedMoments.get(slot) === current) return current;
    const copy = current.slice();
    slot.assign(tf.tensor(copy, slot.shape, 'float32'));
    const adopted = slot.dataSync() as Float32Array;
    this.ownedMoments.set(slot, adopted);
    return adopted;
  }

  /**
   * The fused kernel's arithmetic (native/optimizer.cc), row by row: every operation rounded to float32 as the
   * kernel (and tfjs) does, so a listed row gets the bits dense Adam would give it. The moments are written in place
   * (private to the optimizer), the value too unless another tensor shares its array (writableValue).
   */
  private rowUpdate(value: tf.Variable, m: tf.Variable, v: tf.Variable, grad: RowGradient, biasCorrection1: number, biasCorrection2: number): void {
    const numRows = value.shape[0];
    const width = numRows === undefined || numRows === 0 ? 0 : value.size / numRows;
    if (value.rank < 1 || value.dtype !== 'float32') throw new RnnkitError(`Adam: row updates need a float32 table, "${value.name}" is ${value.dtype} of rank ${value.rank}`);
    if (grad.values.length !== grad.rows.length * width) {
      throw new RnnkitError(`Adam: ${grad.rows.length} rows of "${value.name}" need ${grad.rows.length * width} gradient values, got ${grad.values.length}`);
    }
    const f = Math.fround;
    const beta1 = f(this.beta1);
    const oneMinusBeta1 = f(1 - this.beta1);
    const beta2 = f(this.beta2);
    const oneMinusBeta2 = f(1 - this.beta2);
    const epsilon = f(this.epsilon);
    const negLearningRate = f(-this.learningRate);
    const bc1 = f(biasCorrection1);
    const bc2 = f(biasCorrection2);
    const mArr = this.ownedMoment(m);
    const vArr = this.ownedMoment(v);
    const { values: w, inPlace } = this.writableValue(value);
    let previous = -1;
    grad.rows.forEach((row, r) => {
      if (!Number.isInteger(row) || row < 0 || row >= numRows || row <= previous) {
        throw new RnnkitError(`Adam: row ids of "${value.name}" must be increasing integers in [0, ${numRows}), got ${row} after ${previous}`);
      }
      previous = row;
      for (let k = 0, i = row * width, j = r * width; k < width; k++, i++, j++) {
        const g = grad.values[j];
        const mNew = f(f(mArr[i] * beta1) + f(g * oneMinusBeta1));
        const vNew = f(f(vArr[i] * beta2) + f(f(g * g) * oneMinusBeta2));
        const ratio = f(f(mNew / bc1) / f(f(Math.sqrt(f(vNew / bc2))) + epsilon));
        mArr[i] = mNew;
        vArr[i] = vNew;
        w[i] = f(f(ratio * negLearningRate) + w[i]);
      }
    });
    if (!inPlace) {
      value.assign(tf.tensor(w, value.shape, 'float32'));
      this.ownedValues.set(value, value.dataSync() as Float32Array);
    }
  }
}

/** The gradient of some rows of a table (the first axis): `values` holds rows.length rows, in the order of `rows`. */
export interface RowGradient {
  /** Increasing row ids. */
  rows: Int32Array;
  values: Float32Array;
}

/**
 * Adam with tfjs's defaults (beta1 0.9, beta2 0.999, the backend's epsilon), a drop-in for `tf.train.adam` that
 * runs the fused native update when `@rnnkit/native` is active and tfjs's own update otherwise.
 */
export function adamOptimizer(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
