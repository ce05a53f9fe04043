import * as tf from '@tensorflow/tfjs';
import type { FusedAdamArgs } from '../train/adam.js';
import type { CellType, RecurrentSequenceArgs, RecurrentSequenceResult } from './recurrent-kernel.js';

/**
 * Fused native ops that layers and the Adam optimizer use in place of their tf-ops code when `@rnnkit/native` is
 * loaded.
 *
 * Core must not depend on native (it is optional, and core must not know its types): `initBackend` injects the
 * module here, and each layer asks `activeFusedKernels()` before every call. Every fused op computes exactly what
 * the layer's own tf ops compute, so weights, saved models and results do not depend on which path ran.
 */

/** One recurrent layer of a fused decoding step: its weights and its state coming in ([N, U]). */
export interface FusedDecodeLayer {
  cell: CellType;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias: tf.Tensor | null;
  h: tf.Tensor;
  c: tf.Tensor | null;
}

/** A language model's step: token → embedding → one-direction recurrent layers → dense (see decode/fused-step.ts). */
export interface FusedDecodeStepArgs {
  tokens: Int32Array;
  embedding: tf.Tensor;
  layers: FusedDecodeLayer[];
  dense: tf.Tensor;
  denseBias: tf.Tensor | null;
}

/** Score weights of the attention kinds of a fused Seq2Seq step. */
export type FusedSeq2SeqAttention =
  | { kind: 'bahdanau'; queryKernel: tf.Tensor; queryBias: tf.Tensor | null; scoreVector: tf.Tensor; keys: tf.Tensor }
  | { kind: 'dot' }
  | { kind: 'general'; kernel: tf.Tensor };

/**
 * An attention Seq2Seq's decoder step (see decode/fused-seq2seq-step.ts): token → embedding (maskZero: token 0 is a
 * masked step) → decoder cell → attention over `values` [N, S, E] with `srcMask` [N, S] → Dense tanh over
 * [context ‖ decoder output] → output Dense.
 */
export interface FusedSeq2SeqStepArgs extends FusedDecodeLayer {
  tokens: Int32Array;
  embedding: tf.Tensor;
  maskZero: boolean;
  attention: FusedSeq2SeqAttention;
  values: tf.Tensor;
  srcMask: tf.Tensor | null;
  attentionalKernel: tf.Tensor;
  attentionalBias: tf.Tensor | null;
  outputKernel: tf.Tensor;
  outputBias: tf.Tensor | null;
}

/** What core needs from `@rnnkit/native`. */
export interface FusedKernelModule {
  /** A whole recurrent layer over the sequence (see recurrent-kernel.ts). */
  fusedRecurrentSequence(args: Omit<RecurrentSequenceArgs, 'recurrentDropoutMask'>): RecurrentSequenceResult;
  /** scores[b, t, s] = Σ_u scoreVector[u] · tanh(query[b, t, u] + keys[b, s, u]) (see BahdanauAttention). */
  additiveAttentionScores(query: tf.Tensor3D, keys: tf.Tensor3D, scoreVector: tf.Tensor1D): tf.Tensor3D;
  /** One variable's Adam step: new value and moments as tfjs's AdamOptimizer computes them (see train/adam.ts). */
  fusedAdamUpdate(args: FusedAdamArgs): { value: tf.Tensor; m: tf.Tensor; v: tf.Tensor };
  /**
   * One decoding step in one call: log-softmax of the dense layer's pre-activation [N, V], and each layer's new h
   * (then c for an LSTM). Optional: an older native build without it leaves decoding on the step model.
   */
  decodeStep?(args: FusedDecodeStepArgs): { logProbs: tf.Tensor2D; states: tf.Tensor2D[] };
  /**
   * One attention Seq2Seq decoding step in one call: log-softmax of the output layer's pre-activation [N, V], the
   * attention weights [N, S] and the decoder's new h (then c for an LSTM). Optional like decodeStep.
   */
  seq2seqStep?(args: FusedSeq2SeqStepArgs): { logProbs: tf.Tensor2D; attention: tf.Tensor2D; states: tf.Tensor2D[] };
  /** Beam search's top-k of one row, exactly as decode/beam.ts computes it in JS. Optional like decodeStep. */
  topIndices?(row: Float32Array, k: number): Int32Array;
}

let installed: FusedKernelModule | null = null;

/** Installed by `initBackend` when `@rnnkit/native` loads; `null` switches every layer back to its tf ops. */
export function useFusedKernels(mod: FusedKernelModule | null): void {
  installed = mod;
}

/** The fused ops, or null when none are installed or the current backend is not the one they run on. */
export function activeFusedKernels(): FusedKernelModule | null {
  return installed !== null && tf.getBackend() === 'cpu' ? installed : null;
}

export function fusedKernelsActive(): boolean {
  return activeFusedKernels() !== null;
}
