// Fused Adam update of one variable as one tfjs op: value, gradient and both moments are read once
// and the new value and moments written once, instead of tfjs's dozen elementwise ops per variable.
//
// It is a registered cpu kernel rather than a plain function over Float32Arrays: the engine then
// allocates and tracks the outputs like any op's (tf.tidy disposes them, variable.assign adopts
// them), tf.profile lists the update under its own name, and the values are read straight from the
// backend without a dataSync copy. It needs no gradient.
//
// The outputs are new arrays, not the inputs overwritten in place, although in place is faster
// (the 19 variables of the seq2seq-attn benchmark, 4.9M elements, cold caches: 2.5 ms per step in
// place, 5.5 ms with new arrays): a variable's buffer can be shared with tensors that no reference
// count shows (a contiguous slice of a variable is a subarray view under its own data id), and
// writing into it would change those supposedly immutable tensors. The new arrays are left
// uninitialized before the kernel fills them (zero-filling them cost another 3 ms per step).
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { registerCpuOp, type KernelArgs } from './cpu-op.js';
import { cpuBackend, float32Of } from './tensor-data.js';

const KERNEL = 'RnnkitAdamUpdate';

export interface AdamHyperparameters {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface FusedAdamArgs extends AdamHyperparameters {
  value: tf.Tensor;
  gradient: tf.Tensor;
  /** First moment. */
  m: tf.Tensor;
  /** Second moment. */
  v: tf.Tensor;
  /** Scalar 1 - beta1^t (tfjs's `1 - accBeta1`). */
  biasCorrection1: tf.Tensor;
  /** Scalar 1 - beta2^t. */
  biasCorrection2: tf.Tensor;
}

export interface FusedAdamResult {
  value: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

type AdamInputs = Record<'value' | 'gradient' | 'm' | 'v' | 'biasCorrection1' | 'biasCorrection2', tf.TensorInfo>;

function adamKernel({ inputs, attrs, backend: rawBackend }: KernelArgs): tf.TensorInfo[] {
  const backend = cpuBackend(rawBackend);
  const x = inputs as unknown as AdamInputs;
  const h = attrs as unknown as AdamHyperparameters;
  const r = addon().adamUpdate(
    float32Of(x.value, backend),
    float32Of(x.gradient, backend),
    float32Of(x.m, backend),
    float32Of(x.v, backend),
    h.learningRate,
    h.beta1,
    h.beta2,
    h.epsilon,
    float32Of(x.biasCorrection1, backend)[0],
    float32Of(x.biasCorrection2, backend)[0],
  );
  const shape = x.value.shape;
  return [
    backend.makeTensorInfo(shape, 'float32', r.value),
    backend.makeTensorInfo(shape, 'float32', r.m),
    backend.makeTensorInfo(shape, 'float32', r.v),
  ];
}

function checkArgs(a: FusedAdamArgs): void {
  const sameShape = (t: tf.Tensor) => t.shape.length === a.value.shape.length && t.shape.every((d, i) => d === a.value.shape[i]);
  for (const [name, t] of [['value', a.value], ['gradient', a.gradient], ['m', a.m], ['v', a.v]] as const) {
    if (t.dtype !== 'float32') throw new Error(`fusedAdamUpdate: ${name} must be float32, got ${t.dtype}`);
    if (!sameShape(t)) throw new Error(`fusedAdamUpdate: ${name} has shape [${t.shape}], value has [${a.value.shape}]`);
  }
  for (const [name, t] of [['biasCorrection1', a.biasCorrection1], ['biasCorrection2', a.biasCorrection2]] as const) {
    if (t.dtype !== 'float32' || t.size !== 1) throw new Error(`fusedAdamUpdate: ${name} must be a float32 scalar`);
  }
}

/**
 * One Adam step of one variable, computed exactly as tfjs 4.22's AdamOptimizer computes it (same
 * float32 operations in the same order): returns the new value and moments as new tensors, which
 * the caller assigns to its variables. Requires the cpu backend and the native addon.
 */
export function fusedAdamUpdate(args: FusedAdamArgs): FusedAdamResult {
  addon();
  if (tf.getBackend() !== 'cpu') throw new Error(`fusedAdamUpdate needs the cpu backend (current: ${tf.getBackend()})`);
  checkArgs(args);
  registerCpuOp(KERNEL, adamKernel, null);
  const { value, gradient, m, v, biasCorrection1, biasCorrection2, learningRate, beta1, beta2, epsilon } = args;
  const attrs: AdamHyperparameters = { learningRate, beta1, beta2, epsilon };
  const [newValue, newM, newV] = tf.engine().runKernel(
    KERNEL,
    { value, gradient, m, v, biasCorrection1, biasCorrection2 },
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  return { value: newValue, m: newM, v: newV };
}
