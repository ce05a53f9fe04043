// The fused decoding step: embedding → one-direction recurrent layers (one timestep) → dense →
// log-softmax in one native call (see native/decode.h). Decoders call it once per generated token
// instead of running the step model's ~14 tfjs kernels; the caller decides whether a model has this
// shape (core's fusedStepFunction) and falls back to the model otherwise.
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import type { CellType } from './recurrent.js';
import { cpuBackend, float32Of } from './tensor-data.js';

const CELL_ID: Record<CellType, number> = { lstm: 0, gru: 1, simple: 2 };

export interface DecodeLayerArgs {
  cell: CellType;
  /** [D, G*U] (D: the embedding width for the first layer, else the previous layer's units) */
  kernel: tf.Tensor;
  /** [U, G*U] */
  recurrentKernel: tf.Tensor;
  /** [G*U] or null */
  bias: tf.Tensor | null;
  /** [N, U] */
  h: tf.Tensor;
  /** [N, U] for LSTM, else null */
  c: tf.Tensor | null;
}

export interface DecodeStepArgs {
  /** [N] token ids, each in [0, vocab). */
  tokens: Int32Array;
  /** [vocab, embedDim] */
  embedding: tf.Tensor;
  layers: DecodeLayerArgs[];
  /** [last U, outDim] */
  dense: tf.Tensor;
  /** [outDim] or null */
  denseBias: tf.Tensor | null;
}

export interface DecodeStepResult {
  /** [N, outDim] log-softmax of the dense layer's pre-activation. */
  logProbs: tf.Tensor2D;
  /** Each layer's new h, then its new c for an LSTM, in layer order. */
  states: tf.Tensor2D[];
}

/** One decoding step; the caller owns (and disposes) the returned tensors. */
export function decodeStep(args: DecodeStepArgs): DecodeStepResult {
  const backend = cpuBackend();
  const read = (t: tf.Tensor | null): Float32Array | null => (t === null ? null : float32Of(t, backend));
  const [vocab, embedDim] = args.embedding.shape;
  const N = args.tokens.length;
  const layers = args.layers.map((l) => ({
    cell: CELL_ID[l.cell],
    units: l.h.shape[1] as number,
    kernel: read(l.kernel),
    recurrentKernel: read(l.recurrentKernel),
    bias: read(l.bias),
    h: read(l.h),
    c: l.cell === 'lstm' ? read(l.c) : null,
  }));
  const outDim = args.dense.shape[1] as number;
  const r = addon().decodeStep(args.tokens, read(args.embedding) as Float32Array, vocab, embedDim, layers,
    read(args.dense) as Float32Array, read(args.denseBias), outDim);
  const units = args.layers.flatMap((l) => (l.cell === 'lstm' ? [l.h.shape[1], l.h.shape[1]] : [l.h.shape[1]]));
  return {
    logProbs: tf.tensor2d(r.logProbs, [N, outDim]),
    states: r.states.map((s, i) => tf.tensor2d(s, [N, units[i] as number])),
  };
}

/**
 * Indices of the `k` largest entries of `row` that are not -Infinity, largest first, ties by the lower index
 * (beam search's candidates per beam; the same result as core's JS loop, one native pass instead).
 */
export function topIndices(row: Float32Array, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 0) throw new Error(`topIndices: k must be a non-negative integer, got ${k}`);
  return addon().topIndices(row, k);
}
