import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from './errors.js';
import { runModel } from './run-model.js';
import { nextSeed } from './random.js';
import { BahdanauAttention, bahdanauAttention, luongAttention, type LuongAttention } from './layers/attention.js';
import { paddingMask } from './layers/padding-mask.js';
import { bidirectional, recurrent } from './layers/recurrent.js';
import { CELLS, CELL_TYPES, isCellType, type CellType } from './layers/recurrent-kernel.js';
import type { StepFunction, StepOutput } from './decode/step.js';
import { fusedSeq2SeqStepFunction } from './decode/fused-seq2seq-step.js';
import { BOS, EOS } from './data/vocab.js';
import { padSequences } from './data/pad.js';
import type { Batch } from './train/types.js';
import { sparseCategoricalCrossentropy } from './train/losses.js';

/**
 * Encoder-decoder with attention (Luong-style), trained with teacher forcing and decoded step by step.
 *
 *   src ids → embedding (PAD 0 masked) → uni/bidirectional GRU|LSTM → encoder outputs [B, S, E]
 *   encoder final states (forward ‖ backward, through a tanh Dense bridge when sizes differ) → decoder initial states
 *   target ids (shifted right, BOS first) → embedding → decoder RNN → outputs [B, T, U]
 *   attention(query = decoder outputs, values = encoder outputs, source mask) → context [B, T, E]
 *   [context ‖ decoder output] → Dense tanh ("attentional" vector) → Dense softmax → probs [B, T, V]
 *
 * `encoder` and `decoderStep` are separate models built from the same layer objects as `train`, so they share its
 * weights: decoding runs the encoder once, then one decoder step per token with carried states.
 *
 * Building on the attention output (e.g. a pointer-generator): `parts.train` and `parts.step` hold the symbolic
 * tensors of both graphs (context, attention weights, decoder outputs, attentional vector, probs). Build your own
 * models from them with the same inputs, e.g.
 *   const joined = tf.layers.concatenate().apply([parts.train.context, parts.train.decoderOutputs]);
 *   const pGen = tf.layers.dense({ units: 1, activation: 'sigmoid' }).apply(joined);
 *   // your layer: pGen·probs + (1 − pGen)·(attention weights scattered onto the source ids)
 *   const final = copyMix.apply([parts.train.probs, parts.train.attentionWeights, pGen, parts.train.src]);
 *   tf.model({ inputs: [parts.train.src, parts.train.tgtIn], outputs: final });
 * and the same on `parts.step` (inputs token, ...contextInputs, ...states) for a one-step model. A copy
 * mechanism also needs the source ids at each step: give that step model an extra src-ids input and carry the ids
 * in your own StepFunction's states after the context (rows are gathered the same way in beam search).
 *
 * The step's "context" is what `encodeForDecoding` computes once per source: the encoder outputs, the source mask
 * and, with Bahdanau attention, the attention keys (the encoder outputs' projection, which would otherwise be
 * recomputed at every decoder step).
 * Layers shared with `train` keep sharing weights, so training your model trains the step model too.
 */

export interface Seq2SeqConfig {
  srcVocab: number;
  tgtVocab: number;
  embedDim: number;
  encoderCell: CellType;
  encoderUnits: number;
  bidirectional: boolean;
  /** Default: the encoder output size (encoderUnits, doubled when bidirectional). */
  decoderUnits?: number;
  attention: 'bahdanau' | 'dot' | 'general';
  /** One embedding for source and target (requires srcVocab === tgtVocab). */
  sharedEmbedding?: boolean;
  /** Dropout on embeddings and on the attentional vector in training. */
  dropout?: number;
  /** Seed for every initializer and dropout layer; default: core's shared PRNG (see setSeed). */
  seed?: number;
}

/** Symbolic tensors of one graph (train: whole target sequence; step: one token). */
export interface Seq2SeqGraph {
  decoderOutputs: tf.SymbolicTensor;
  /** [B, T, E] */
  context: tf.SymbolicTensor;
  /** [B, T, S] */
  attentionWeights: tf.SymbolicTensor;
  /** [B, T, decoderUnits] — input of the output softmax layer. */
  attentional: tf.SymbolicTensor;
  /** [B, T, V] */
  probs: tf.SymbolicTensor;
  /** Decoder states after the last step (h, or h and c). */
  decoderStates: tf.SymbolicTensor[];
}

export interface Seq2SeqModels {
  /** [src int32 [B, S], tgtIn int32 [B, T]] → probs [B, T, tgtVocab]. */
  train: tf.LayersModel;
  /** src → [encoderOutputs [B, S, E], srcMask [B, S], ...initialDecoderStates]. */
  encoder: tf.LayersModel;
  /** [token int32 [B, 1], ...context, ...states] → [probs [B, V], attention [B, S], ...newStates]. */
  decoderStep: tf.LayersModel;
  config: Seq2SeqConfig;
  /** Number of decoder state tensors (1 for GRU, 2 for LSTM). */
  decoderStateCount: number;
  /** Number of context tensors: encoderOutputs and srcMask, plus the attention keys with Bahdanau attention. */
  contextCount: number;
  /** The attention layer (shared by the three models). */
  attention: BahdanauAttention | LuongAttention;
  parts: {
    train: Seq2SeqGraph & { src: tf.SymbolicTensor; tgtIn: tf.SymbolicTensor; encoderOutputs: tf.SymbolicTensor; srcMask: tf.SymbolicTensor };
    step: Seq2SeqGraph & {
      token: tf.SymbolicTensor;
      encoderOutputs: tf.SymbolicTensor;
      srcMask: tf.SymbolicTensor;
      /** The step's context inputs in order: encoderOutputs, srcMask and, with Bahdanau attention, the keys. */
      contextInputs: tf.SymbolicTensor[];
      states: tf.SymbolicTensor[];
    };
  };
}

function checkConfig(cfg: Seq2SeqConfig): void {
  const positive = ['srcVocab', 'tgtVocab', 'embedDim', 'encoderUnits', 'decoderUnits'] as const;
  for (const field of positive) {
    const v = cfg[field];
    if (v === undefined && field === 'decoderUnits') continue;
    if (!Number.isInteger(v) || (v as number) <= 0) {
      throw new RnnkitError(`Seq2SeqConfig.${field} must be a positive integer, got ${String(v)}`);
    }
  }
  if (!isCellType(cfg.encoderCell)) {
    throw new RnnkitError(`Seq2SeqConfig.encoderCell must be one of ${CELL_TYPES.join(', ')}, got '${String(cfg.encoderCell)}'`);
  }
  if (!['bahdanau', 'dot', 'general'].includes(cfg.attention)) {
    throw new RnnkitError(`Seq2SeqConfig.attention must be 'bahdanau', 'dot' or 'general', got '${String(cfg.attention)}'`);
  }
  if (cfg.sharedEmbedding && cfg.srcVocab !== cfg.tgtVocab) {
    throw new RnnkitError(`Seq2SeqConfig.sharedEmbedding needs srcVocab === tgtVocab, got ${cfg.srcVocab} and ${cfg.tgtVocab}`);
  }
  const dropout = cfg.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new RnnkitError(`Seq2SeqConfig.dropout must be in [0, 1), got ${dropout}`);
  const encoderSize = cfg.encoderUnits * (cfg.bidirectional ? 2 : 1);
  if (cfg.attention === 'dot' && cfg.decoderUnits !== undefined && cfg.decoderUnits !== encoderSize) {
    throw new RnnkitError(`Seq2SeqConfig: dot attention needs decoderUnits (${cfg.decoderUnits}) equal to the encoder ` +
      `output size (${encoderSize}); use attention 'general' or 'bahdanau'`);
  }
}

/**
 * The Seq2Seq shape of rnnkit's text-to-text apps (summarize, chatbot): one vocabulary and one embedding shared by
 * source and target, a bidirectional encoder of `units` per direction, and a decoder of twice that (the size of the
 * encoder's concatenated outputs, so every attention kind fits).
 */
export function sharedVocabSeq2SeqConfig(opts: {
  vocabSize: number;
  embedDim: number;
  cell: CellType;
  units: number;
  attention: Seq2SeqConfig['attention'];
  dropout: number;
  seed?: number;
}): Seq2SeqConfig {
  return {
    srcVocab: opts.vocabSize,
    tgtVocab: opts.vocabSize,
    embedDim: opts.embedDim,
    encoderCell: opts.cell,
    encoderUnits: opts.units,
    bidirectional: true,
    decoderUnits: 2 * opts.units,
    attention: opts.attention,
    sharedEmbedding: true,
    dropout: opts.dropout,
    seed: opts.seed,
  };
}

export function buildSeq2Seq(cfg: Seq2SeqConfig): Seq2SeqModels {
  checkConfig(cfg);
  let seedCounter = cfg.seed;
  const seed = (): number => (seedCounter === undefined ? nextSeed() : seedCounter++);
  const cell = cfg.encoderCell;
  const encoderSize = cfg.encoderUnits * (cfg.bidirectional ? 2 : 1);
  const decoderUnits = cfg.decoderUnits ?? encoderSize;
  const dropoutRate = cfg.dropout ?? 0;
  const statesPerDirection = CELLS[cell].states;

  const embedding = (vocab: number, name: string) =>
    tf.layers.embedding({ inputDim: vocab, outputDim: cfg.embedDim, maskZero: true, name,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed() }) });
  const dropout = (name: string) => (dropoutRate > 0 ? tf.layers.dropout({ rate: dropoutRate, seed: seed(), name }) : null);
  const dense = (units: number, activation: 'tanh' | 'softmax', name: string) =>
    tf.layers.dense({ units, activation, name, kernelInitializer: tf.initializers.glorotUniform({ seed: seed() }) });
  const applyOptional = (layer: tf.layers.Layer | null, x: tf.SymbolicTensor) => (layer ? (layer.apply(x) as tf.SymbolicTensor) : x);

  // Layers (each created once; all three models call these same objects).
  const srcEmbedding = embedding(cfg.srcVocab, 'src_embedding');
  const tgtEmbedding = cfg.sharedEmbedding ? srcEmbedding : embedding(cfg.tgtVocab, 'tgt_embedding');
  const srcDropout = dropout('src_dropout');
  const tgtDropout = dropout('tgt_dropout');
  const encoderOpts = { cell, units: cfg.encoderUnits, returnSequences: true, returnState: true, name: 'encoder', seed: seed() };
  const encoderLayer = cfg.bidirectional ? bidirectional({ ...encoderOpts, mergeMode: 'concat' }) : recurrent(encoderOpts);
  const srcMaskLayer = paddingMask({ name: 'src_mask' });
  // Forward and backward final states are joined per state kind (h with h, c with c).
  const stateConcats = cfg.bidirectional
    ? Array.from({ length: statesPerDirection }, (_, i) => tf.layers.concatenate({ name: `encoder_state_concat_${i}` }))
    : null;
  const bridges = decoderUnits !== encoderSize
    ? Array.from({ length: statesPerDirection }, (_, i) => dense(decoderUnits, 'tanh', `bridge_${i}`))
    : null;
  const decoderLayer = recurrent({ cell, units: decoderUnits, returnSequences: true, returnState: true, name: 'decoder', seed: seed() });
  const attentionLayer = cfg.attention === 'bahdanau'
    ? bahdanauAttention({ units: decoderUnits, name: 'attention', seed: seed() })
    : luongAttention({ score: cfg.attention, name: 'attention', seed: seed() });
  const contextConcat = tf.layers.concatenate({ name: 'context_concat' });
  const attentionalDense = dense(decoderUnits, 'tanh', 'attentional');
  const attentionalDropout = dropout('attentional_dropout');
  const outputDense = dense(cfg.tgtVocab, 'softmax', 'output');

  /** Decoder + attention + output layers on target ids [B, T] (T = 1 for a step). */
  const decode = (tgtIds: tf.SymbolicTensor, initialStates: tf.SymbolicTensor[], encoderOutputs: tf.SymbolicTensor,
    srcMask: tf.SymbolicTensor, attentionKeys: tf.SymbolicTensor | null): Seq2SeqGraph => {
    const embedded = applyOptional(tgtDropout, tgtEmbedding.apply(tgtIds) as tf.SymbolicTensor);
    const [decoderOutputs, ...decoderStates] = decoderLayer.apply([embedded, ...initialStates]) as tf.SymbolicTensor[];
    const attentionInputs = attentionKeys ? [decoderOutputs, encoderOutputs, srcMask, attentionKeys] : [decoderOutputs, encoderOutputs, srcMask];
    const [context, attentionWeights] = attentionLayer.apply(attentionInputs) as tf.SymbolicTensor[];
    const joined = contextConcat.apply([context, decoderOutputs]) as tf.SymbolicTensor;
    const attentional = applyOptional(attentionalDropout, attentionalDense.apply(joined) as tf.SymbolicTensor);
    const probs = outputDense.apply(attentional) as tf.SymbolicTensor;
    return { decoderOutputs, context, attentionWeights, attentional, probs, decoderStates };
  };

  // Training graph.
  const src = tf.input({ shape: [null], dtype: 'int32', name: 'src' });
  const tgtIn = tf.input({ shape: [null], dtype: 'int32', name: 'tgt_in' });
  const srcEmbedded = applyOptional(srcDropout, srcEmbedding.apply(src) as tf.SymbolicTensor);
  const [encoderOutputs, ...encoderStates] = encoderLayer.apply(srcEmbedded) as tf.SymbolicTensor[];
  const srcMask = srcMaskLayer.apply(src) as tf.SymbolicTensor;
  const initialStates = Array.from({ length: statesPerDirection }, (_, i) => {
    let state = stateConcats
      ? (stateConcats[i].apply([encoderStates[i], encoderStates[statesPerDirection + i]]) as tf.SymbolicTensor)
      : encoderStates[i];
    if (bridges) state = bridges[i].apply(state) as tf.SymbolicTensor;
    return state;
  });
  const trainGraph = decode(tgtIn, initialStates, encoderOutputs, srcMask, null);
  const train = tf.model({ inputs: [src, tgtIn], outputs: trainGraph.probs, name: 'seq2seq_train' });
  const encoder = tf.model({ inputs: src, outputs: [encoderOutputs, srcMask, ...initialStates], name: 'seq2seq_encoder' });

  // One-step graph: same layers, states and encoder outputs fed in.
  const token = tf.input({ shape: [1], dtype: 'int32', name: 'token' });
  const stepEncoderOutputs = tf.input({ shape: [null, encoderSize], name: 'encoder_outputs' });
  const stepSrcMask = tf.input({ shape: [null], name: 'src_mask_in' });
  const stepKeys = attentionLayer instanceof BahdanauAttention ? tf.input({ shape: [null, decoderUnits], name: 'attention_keys' }) : null;
  const stepContext = stepKeys ? [stepEncoderOutputs, stepSrcMask, stepKeys] : [stepEncoderOutputs, stepSrcMask];
  const stepStates = initialStates.map((_, i) => tf.input({ shape: [decoderUnits], name: `decoder_state_${i}` }));
  const stepGraph = decode(token, stepStates, stepEncoderOutputs, stepSrcMask, stepKeys);
  const stepProbs = tf.layers.reshape({ targetShape: [cfg.tgtVocab], name: 'step_probs' }).apply(stepGraph.probs) as tf.SymbolicTensor;
  const stepAttention = tf.layers.reshape({ targetShape: [-1], name: 'step_attention' }).apply(stepGraph.attentionWeights) as tf.SymbolicTensor;
  const decoderStep = tf.model({
    inputs: [token, ...stepContext, ...stepStates],
    outputs: [stepProbs, stepAttention, ...stepGraph.decoderStates],
    name: 'seq2seq_decoder_step',
  });

  return {
    train,
    encoder,
    decoderStep,
    config: { ...cfg },
    decoderStateCount: statesPerDirection,
    contextCount: stepContext.length,
    attention: attentionLayer,
    parts: {
      train: { ...trainGraph, src, tgtIn, encoderOutputs, srcMask },
      step: { ...stepGraph, token, encoderOutputs: stepEncoderOutputs, srcMask: stepSrcMask, contextInputs: stepContext, states: stepStates },
    },
  };
}

/**
 * The three models for `cfg` with the weights of a trained `train` model (e.g. one loaded with loadModelDir), so
 * that a saved Seq2Seq gets its encoder and decoderStep back. `cfg` must be the config it was built with.
 */
export function seq2seqFromTrained(cfg: Seq2SeqConfig, trained: tf.LayersModel): Seq2SeqModels {
  const models = buildSeq2Seq(cfg);
  const weights = trained.getWeights();
  const expected = models.train.weights;
  if (weights.length !== expected.length) {
    throw new RnnkitError(`saved Seq2Seq model has ${weights.length} weights, Seq2SeqConfig builds ${expected.length}: ` +
      'the config does not match the saved model');
  }
  weights.forEach((w, i) => {
    if (w.shape.join() !== expected[i].shape.join()) {
      throw new RnnkitError(`saved Seq2Seq weight ${expected[i].originalName} has shape [${w.shape.join(', ')}], ` +
        `Seq2SeqConfig gives [${expected[i].shape.join(', ')}]: the config does not match the saved model`);
    }
  });
  models.train.setWeights(weights);
  return models;
}

/** Pads source id rows with 0 (after the tokens) into an int32 [B, S] tensor; ids must be in [1, vocab). */
export function sourceBatch(srcIds: number[][], srcVocab: number): tf.Tensor2D {
  if (srcIds.length === 0) throw new RnnkitError('source batch is empty');
  const maxLen = Math.max(...srcIds.map((row) => row.length));
  const data = new Int32Array(srcIds.length * maxLen);
  srcIds.forEach((row, r) => {
    if (row.length === 0) throw new RnnkitError(`source row ${r} is empty`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id <= 0 || id >= srcVocab) {
        throw new RnnkitError(`source row ${r}, position ${t}: id ${id} is outside [1, ${srcVocab - 1}] (0 is padding)`);
      }
      data[r * maxLen + t] = id;
    });
  });
  return tf.tensor2d(data, [srcIds.length, maxLen], 'int32');
}

/**
 * A teacher-forcing batch for a Seq2Seq's `train` model: xs = [source ids, BOS + target], ys = target + EOS,
 * weights 1 on real target positions and 0 on padding. Rows are padded (with 0) only to the batch's own longest
 * sequence, so batches of short pairs stay cheap. Targets are given without BOS/EOS.
 */
export function teacherForcingBatch(srcIds: readonly (readonly number[])[], tgtIds: readonly (readonly number[])[]): Batch {
  if (srcIds.length !== tgtIds.length) {
    throw new RnnkitError(`teacherForcingBatch: ${srcIds.length} source rows but ${tgtIds.length} target rows`);
  }
  if (srcIds.length === 0) throw new RnnkitError('teacherForcingBatch: the batch is empty');
  const b = srcIds.length;
  const src = padSequences(srcIds);
  const tgtIn = padSequences(tgtIds.map((t) => [BOS, ...t]));
  const tgtOut = padSequences(tgtIds.map((t) => [...t, EOS]));
  return {
    xs: [tf.tensor2d(src.ids, [b, src.maxLen], 'int32'), tf.tensor2d(tgtIn.ids, [b, tgtIn.maxLen], 'int32')],
    ys: tf.tensor2d(tgtOut.ids, [b, tgtOut.maxLen], 'int32'),
    weights: tf.tensor2d(tgtOut.mask, [b, tgtOut.maxLen]),
    size: b,
  };
}

/**
 * Summed negative log-likelihood (nats) of the targets under teacher forcing, and the number of target tokens scored
 * (EOS included), over `src`/`tgt` pairs in batches: a held-out perplexity is exp(nll / tokens).
 */
export function teacherForcedNll(
  model: tf.LayersModel, srcIds: readonly (readonly number[])[], tgtIds: readonly (readonly number[])[], batchSize = 64,
): { nll: number; tokens: number } {
  let nll = 0;
  let tokens = 0;
  for (let start = 0; start < srcIds.length; start += batchSize) {
    const batch = teacherForcingBatch(srcIds.slice(start, start + batchSize), tgtIds.slice(start, start + batchSize));
    const [sum, count] = tf.tidy(() => {
      const [probs] = runModel(model, batch.xs);
      const w = batch.weights as tf.Tensor;
      const total = tf.sum(w);
      return [tf.mul(sparseCategoricalCrossentropy(batch.ys as tf.Tensor, probs, w), total).dataSync()[0], total.dataSync()[0]];
    });
    tf.dispose([...(batch.xs as tf.Tensor[]), batch.ys as tf.Tensor, batch.weights as tf.Tensor]);
    nll += sum;
    tokens += count;
  }
  return { nll, tokens };
}

/**
 * Runs the encoder once; returns the initial decoding states `[...decoderStates, ...context]`, context being
 * `encoderOutputs, srcMask` and, with Bahdanau attention, the attention keys (batch-first, the layout
 * `seq2seqStepFunction` steps with). The caller owns (and disposes) them.
 */
export function encodeForDecoding(models: Seq2SeqModels, srcIds: number[][]): tf.Tensor[] {
  return tf.tidy(() => {
    const src = sourceBatch(srcIds, models.config.srcVocab);
    const [encoderOutputs, srcMask, ...states] = runModel(models.encoder, src);
    const keys = models.attention instanceof BahdanauAttention ? [models.attention.projectValues(encoderOutputs)] : [];
    return [...states, encoderOutputs, srcMask, ...keys];
  });
}

/**
 * A `StepFunction` over `decoderStep` for core's greedy / sampling / beam decoding. States are
 * `[...decoderStates, ...context]` (see encodeForDecoding); the context passes through unchanged (decoders gather
 * its rows when reordering beams). `extras` holds the step's attention weights [N, S] (for heatmaps).
 *
 * `selectRows` (what beam search reorders beams with) copies the context only when the rows it selects differ from
 * those it holds: beams of one source share it, so after the first step (one row becoming `beamWidth`) it is not
 * copied again.
 *
 * With `@rnnkit/native` active, each step is one native call (decode/fused-seq2seq-step.ts) after a probe step has
 * shown it matches the step model; otherwise, and for any model the fused step does not recognize, the step runs
 * `decoderStep` through tfjs.
 */
export function seq2seqStepFunction(models: Seq2SeqModels): StepFunction {
  const stateCount = models.decoderStateCount;
  const expected = stateCount + models.contextCount;
  const vocab = models.config.tgtVocab;
  const generic: StepFunction = {
    step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
      const decoderStates = states.slice(0, stateCount);
      const context = states.slice(stateCount);
      const [logProbs, attention, ...newStates] = tf.tidy(() => {
        const token = tf.tensor2d(tokens, [tokens.length, 1], 'int32');
        const [probs, attn, ...next] = runModel(models.decoderStep, [token, ...context, ...decoderStates]);
        // Clip before the log so an underflowed probability gives a large finite penalty, not -Infinity.
        return [tf.log(tf.maximum(probs, 1e-30)), attn, ...next];
      });
      return { logProbs: logProbs as tf.Tensor2D, states: [...newStates, ...context], extras: attention };
    },
  };
  const inner = fusedSeq2SeqStepFunction(models, generic);
  // Which row of an earlier context tensor each row of a context tensor made by selectRows copies (a tensor not in
  // the map copies its own rows). Beams of one source keep selecting rows of that source, whose values do not change.
  const origins = new WeakMap<tf.Tensor, readonly number[]>();
  return {
    selectRows(states: tf.Tensor[], rows: number[]): tf.Tensor[] {
      return tf.tidy(() => {
        const index = tf.tensor1d(rows, 'int32');
        return states.map((s, i) => {
          if (i < stateCount) return tf.gather(s, index);
          const from = origins.get(s) ?? Array.from({ length: s.shape[0] }, (_, r) => r);
          const to = rows.map((r) => from[r]);
          // The same rows of the same source values: the tensor itself (tf.tidy keeps a returned input).
          if (to.length === from.length && to.every((o, r) => o === from[r])) return s;
          const gathered = tf.gather(s, index);
          origins.set(gathered, to);
          return gathered;
        });
      });
    },
    step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
      if (states.length !== expected) {
        throw new RnnkitError(`seq2seq step: expected ${expected} states ([...decoderStates, encoderOutputs, srcMask` +
          `${models.contextCount > 2 ? ', attentionKeys' : ''}], as encodeForDecoding returns them), got ${states.length}`);
      }
      if (tokens.length !== states[0].shape[0]) {
        throw new RnnkitError(`seq2seq step: ${tokens.length} tokens for a batch of ${states[0].shape[0]}`);
      }
      for (let i = 0; i < tokens.length; i++) {
        if (!(tokens[i] >= 0 && tokens[i] < vocab)) {
          throw new RnnkitError(`seq2seq step: token ${tokens[i]} (row ${i}) is outside the target vocabulary [0, ${vocab - 1}]`);
        }
      }
      return inner.step(tokens, states);
    },
  };
}

/**
 * Frees every weight of a Seq2Seq. The encoder's layers all belong to the train model, but the step model has
 * step-only layers of its own, so disposing `train` alone leaks them.
 */
export function disposeSeq2Seq(models: Seq2SeqModels): void {
  models.decoderStep.dispose();
  models.train.dispose();
}
