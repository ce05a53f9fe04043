// One decoding step of an attention Seq2Seq decoder in one native call (see native/seq2seq-step.h):
// embedding → decoder cell (one timestep) → attention with the source mask → [context ‖ output] →
// Dense tanh → Dense → log-softmax. Beam search calls it once per generated token instead of running
// the step model's ~50 tfjs kernels; core's seq2seqStepFunction decides whether a model has this shape
// and falls back to the model otherwise.
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import type { DecodeLayerArgs } from './decode.js';
import type { CellType } from './recurrent.js';
import { cpuBackend, float32Of } from './tensor-data.js';

const CELL_ID: Record<CellType, number> = { lstm: 0, gru: 1, simple: 2 };
const ATTENTION_ID = { bahdanau: 0, dot: 1, general: 2 } as const;

/** Score weights of each attention kind. */
export type Seq2SeqStepAttention =
  | {
      kind: 'bahdanau';
      /** [units, A] */
      queryKernel: tf.Tensor;
      /** [A] or null */
      queryBias: tf.Tensor | null;
      /** [A] (or [A, 1]) */
      scoreVector: tf.Tensor;
      /** [N, S, A]: the encoder outputs' projection */
      keys: tf.Tensor;
    }
  | { kind: 'dot' }
  | {
      kind: 'general';
      /** [units, valuesDim] */
      kernel: tf.Tensor;
    };

/** The decoder cell's weights and incoming state are a decoding layer's (kernel [embedDim, G*units]). */
export interface Seq2SeqStepArgs extends DecodeLayerArgs {
  /** [N] token ids, each in [0, vocab). */
  tokens: Int32Array;
  /** [vocab, embedDim] */
  embedding: tf.Tensor;
  /** Token 0 is a masked step (states carried, output = the carried h), as an Embedding with maskZero gives. */
  maskZero: boolean;
  attention: Seq2SeqStepAttention;
  /** [N, S, valuesDim] encoder outputs */
  values: tf.Tensor;
  /** [N, S] 1 = real source token, 0 = padding; or null */
  srcMask: tf.Tensor | null;
  /** [valuesDim + units, attentionalUnits]: the Dense tanh over [context ‖ decoder output] */
  attentionalKernel: tf.Tensor;
  attentionalBias: tf.Tensor | null;
  /** [attentionalUnits, outDim] */
  outputKernel: tf.Tensor;
  outputBias: tf.Tensor | null;
}

export interface Seq2SeqStepResult {
  /** [N, outDim] log-softmax of the output layer's pre-activation. */
  logProbs: tf.Tensor2D;
  /** [N, S] attention weights. */
  attention: tf.Tensor2D;
  /** The decoder's new h, then c for an LSTM. */
  states: tf.Tensor2D[];
}

/** One Seq2Seq decoding step; the caller owns (and disposes) the returned tensors. */
export function seq2seqStep(args: Seq2SeqStepArgs): Seq2SeqStepResult {
  const backend = cpuBackend();
  const read = (t: tf.Tensor | null): Float32Array | null => (t === null ? null : float32Of(t, backend));
  const N = args.tokens.length;
  const [vocab, embedDim] = args.embedding.shape;
  const units = args.recurrentKernel.shape[0];
  const [, S, valuesDim] = args.values.shape;
  const outDim = args.outputKernel.shape[1] as number;
  const a = args.attention;
  const r = addon().seq2seqStep(args.tokens, read(args.h) as Float32Array, args.cell === 'lstm' ? read(args.c) : null, {
    vocab,
    embedDim,
    embedding: read(args.embedding) as Float32Array,
    maskZero: args.maskZero,
    cell: CELL_ID[args.cell],
    units,
    kernel: read(args.kernel) as Float32Array,
    recurrentKernel: read(args.recurrentKernel) as Float32Array,
    bias: read(args.bias),
    attention: ATTENTION_ID[a.kind],
    S,
    valuesDim,
    values: read(args.values) as Float32Array,
    srcMask: read(args.srcMask),
    attentionUnits: a.kind === 'bahdanau' ? (a.queryKernel.shape[1] as number) : 0,
    keys: a.kind === 'bahdanau' ? read(a.keys) : null,
    queryKernel: a.kind === 'bahdanau' ? read(a.queryKernel) : a.kind === 'general' ? read(a.kernel) : null,
    queryBias: a.kind === 'bahdanau' ? read(a.queryBias) : null,
    scoreVector: a.kind === 'bahdanau' ? read(a.scoreVector) : null,
    attentionalUnits: args.attentionalKernel.shape[1] as number,
    attentionalKernel: read(args.attentionalKernel) as Float32Array,
    attentionalBias: read(args.attentionalBias),
    outDim,
    outputKernel: read(args.outputKernel) as Float32Array,
    outputBias: read(args.outputBias),
  });
  const states = [tf.tensor2d(r.h, [N, units])];
  if (r.c) states.push(tf.tensor2d(r.c, [N, units]));
  return { logProbs: tf.tensor2d(r.logProbs, [N, outDim]), attention: tf.tensor2d(r.attention, [N, S]), states };
}
