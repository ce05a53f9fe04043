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
    const state = this as unknown as AdamState;
    const named: Array<[string, tf.Tensor | null | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    tf.tidy(() => {
      const biasCorrection1 = tf.sub(1, state.accBeta1);
      const biasCorrection2 = tf.sub(1, state.accBeta2);
      // Slots belong to gradients by position, as in tfjs: that is the order getWeights saves them in.
      named.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name];
        if (value === undefined) throw new RnnkitError(`Adam: no variable named "${name}" to apply a gradient to`);
        state.accumulatedFirstMoment[i] ??= zeroSlot(value, `${name}/m`);
        state.accumulatedSecondMoment[i] ??= zeroSlot(value, `${name}/v`);
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
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
}

/**
 * Adam with tfjs's defaults (beta1 0.9, beta2 0.999, the backend's epsilon), a drop-in for `tf.train.adam` that
 * runs the fused native update when `@rnnkit/native` is active and tfjs's own update otherwise.
 */
export function adamOptimizer(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
