// Builds each workload with @rnnkit/core's layers (the product path apps use), plus one batch of
// seeded random data and the loss the workload names.
import * as tf from '@tensorflow/tfjs';
import {
  buildSeq2Seq,
  meanSquaredError,
  recurrent,
  runModel,
  seededRng,
  sparseCategoricalCrossentropy,
  stackedRecurrent,
  fusedStepFunction,
  type Seq2SeqModels,
  type StepFunction,
} from '@rnnkit/core';
import type { RecurrentWorkload, Seq2SeqWorkload, Workload } from './workloads.js';

export interface BenchCase {
  model: tf.LayersModel;
  inputs: tf.Tensor[];
  targets: tf.Tensor;
  loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
  /** Present for seq2seq workloads (reused for the reply-latency measurement). */
  seq2seq?: Seq2SeqModels;
}

const SEED = 1234;

function randomIds(shape: number[], low: number, high: number, seed: number): tf.Tensor {
  return tf.floor(tf.randomUniform(shape, low, high, 'float32', seed)).toInt();
}

/**
 * Lengths of a masked workload's sequences: uniform integers from half the timesteps to all of them, drawn from a
 * fixed seed so that every run, and the PyTorch side (which gets this list), masks the same frames.
 */
export function maskedLengths(w: RecurrentWorkload, seed = SEED): number[] {
  const draw = seededRng(`${w.name}:${seed}`);
  const low = Math.ceil(w.timesteps / 2);
  return Array.from({ length: w.batch }, () => low + Math.floor(draw() * (w.timesteps - low + 1)));
}

/** Random frames [B, T, F] with every frame past its row's length zeroed (what the Masking layer skips). */
function paddedFrames(w: RecurrentWorkload, lengths: number[]): tf.Tensor {
  return tf.tidy(() => {
    const frames = tf.randomNormal([w.batch, w.timesteps, w.features as number], 0, 1, 'float32', SEED);
    const keep = tf.tensor2d(lengths.map((n) => Array.from({ length: w.timesteps }, (_, t) => (t < n ? 1 : 0))));
    return tf.mul(frames, keep.expandDims(2));
  });
}

function sequenceCase(w: RecurrentWorkload, lengths?: number[]): BenchCase {
  const tokens = w.vocab !== undefined;
  const input = tokens ? tf.input({ shape: [w.timesteps], dtype: 'int32' }) : tf.input({ shape: [w.timesteps, w.features as number] });
  const features = tokens
    ? (tf.layers.embedding({ inputDim: w.vocab as number, outputDim: w.embed as number }).apply(input) as tf.SymbolicTensor)
    : lengths
      // All-zero frames are padding: the recurrent layers carry their state over them (random frames are never all 0).
      ? (tf.layers.masking({ maskValue: 0 }).apply(input) as tf.SymbolicTensor)
      : input;
  const hidden = stackedRecurrent(features, {
    cell: w.cell,
    units: Array.from({ length: w.layers }, () => w.units),
    bidirectional: w.bidirectional,
    returnSequences: w.manyToMany,
  });
  const outputs = w.manyToMany ? (w.vocab as number) : (w.classes ?? 1);
  const classify = w.manyToMany || w.classes !== undefined;
  const head = tf.layers.dense({ units: outputs, activation: classify ? 'softmax' : 'linear' }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: head });

  const x = tokens
    ? randomIds([w.batch, w.timesteps], 0, w.vocab as number, SEED)
    : lengths
      ? paddedFrames(w, lengths)
      : tf.randomNormal([w.batch, w.timesteps, w.features as number], 0, 1, 'float32', SEED);
  const targets = w.manyToMany
    ? randomIds([w.batch, w.timesteps], 0, outputs, SEED + 1)
    : classify
      ? randomIds([w.batch], 0, outputs, SEED + 1)
      : tf.randomNormal([w.batch, 1], 0, 1, 'float32', SEED + 1);
  const loss = classify
    ? (y: tf.Tensor, p: tf.Tensor) => sparseCategoricalCrossentropy(y, p)
    : (y: tf.Tensor, p: tf.Tensor) => meanSquaredError(y, p);
  return { model, inputs: [x], targets, loss };
}

function seq2seqCase(w: Seq2SeqWorkload): BenchCase {
  const seq2seq = buildSeq2Seq({
    srcVocab: w.vocab,
    tgtVocab: w.vocab,
    embedDim: w.embed,
    encoderCell: w.encoderCell,
    encoderUnits: w.encoderUnits,
    bidirectional: w.bidirectional,
    decoderUnits: w.decoderUnits,
    attention: 'bahdanau',
    seed: SEED,
  });
  // Ids >= 4 skip PAD/UNK/BOS/EOS, so every position is a real token (nothing masked).
  const src = randomIds([w.batch, w.srcTimesteps], 4, w.vocab, SEED);
  const tgtIn = randomIds([w.batch, w.tgtTimesteps], 4, w.vocab, SEED + 1);
  const tgtOut = randomIds([w.batch, w.tgtTimesteps], 4, w.vocab, SEED + 2);
  return {
    model: seq2seq.train,
    inputs: [src, tgtIn],
    targets: tgtOut,
    loss: (y, p) => sparseCategoricalCrossentropy(y, p),
    seq2seq,
  };
}

/** `lengths` (masked workloads only): each row's real length, from `maskedLengths`. */
export function buildCase(w: Workload, lengths?: number[]): BenchCase {
  return w.kind === 'seq2seq' ? seq2seqCase(w) : sequenceCase(w, lengths);
}

/** A char-LM shaped like a text-generation workload, as a one-step model with carried LSTM/GRU state. */
export function charStepFunction(w: RecurrentWorkload): { step: StepFunction; initialStates: () => tf.Tensor[]; dispose: () => void } {
  if (w.vocab === undefined || w.embed === undefined) throw new Error(`workload ${w.name} has no vocabulary for sampling`);
  const token = tf.input({ shape: [1], dtype: 'int32' });
  const stateCount = w.cell === 'lstm' ? 2 : 1;
  const stateInputs = Array.from({ length: stateCount }, () => tf.input({ shape: [w.units] }));
  const embedded = tf.layers.embedding({ inputDim: w.vocab, outputDim: w.embed }).apply(token) as tf.SymbolicTensor;
  const [out, ...states] = recurrent({ cell: w.cell, units: w.units, returnState: true }).apply([embedded, ...stateInputs]) as tf.SymbolicTensor[];
  const probs = tf.layers.dense({ units: w.vocab, activation: 'softmax' }).apply(out) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [token, ...stateInputs], outputs: [probs, ...states] });
  const generic: StepFunction = {
    step(tokens, current) {
      const [logProbs, ...next] = tf.tidy(() => {
        const [p, ...s] = runModel(model, [tf.tensor2d(tokens, [tokens.length, 1], 'int32'), ...current]);
        return [tf.log(tf.maximum(p, 1e-30)), ...s];
      });
      return { logProbs: logProbs as tf.Tensor2D, states: next };
    },
  };
  // One native call per character when the addon has the fused decoding step (core falls back to `generic` otherwise).
  const step = fusedStepFunction(model, generic);
  return {
    step,
    initialStates: () => Array.from({ length: stateCount }, () => tf.zeros([1, w.units])),
    dispose: () => model.layers.forEach((l) => l.dispose()),
  };
}
