import * as tf from '@tensorflow/tfjs';
import { buildSeq2Seq, cellSchema, sharedVocabSeq2SeqConfig, type Seq2SeqModels } from '@rnnkit/core/browser';
import { z } from 'zod';

/**
 * The summarizer network, a pointer-generator (See et al. 2017) on core's attention seq2seq:
 *   1. one word embedding for article and summary (same language; it also lets copied ids mean the same word);
 *   2. a bidirectional recurrent encoder (GRU by default; any core cell) over the article;
 *   3. a decoder RNN over the summary so far (teacher forcing in training), started from the encoder's final states;
 *   4. attention of each decoder output over the encoder outputs → context vector and attention weights a_t;
 *   5. [context, decoder output] → tanh dense → softmax: P_vocab;
 *   6. the generation switch p_gen = sigmoid(w · [context, decoder output, decoder input embedding] + b).
 * The final distribution over the vocabulary extended with the article's unknown words is
 *   P(w) = p_gen · P_vocab(w) + (1 − p_gen) · Σ_{i: source_i = w} a_t,i,
 * so a name or number the vocabulary lacks can still be produced by copying it. That mixing is done outside the
 * layers graph (pointer.ts), in the loss for training and in the step function for decoding, because it needs the
 * article's extended ids; the models here output its three ingredients [P_vocab, a_t, p_gen].
 */

/** The network's settings (recorded in the model directory; the loader rebuilds the network from them). */
export const modelConfigSchema = z.strictObject({
  embedDim: z.number().int().min(1),
  /** Units per encoder direction; the decoder has twice as many. */
  units: z.number().int().min(1),
  cell: cellSchema,
  attention: z.enum(['bahdanau', 'dot', 'general']),
  dropout: z.number().min(0).max(0.95),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

export const DEFAULT_MODEL_CONFIG: ModelConfig = { embedDim: 128, units: 128, cell: 'gru', attention: 'bahdanau', dropout: 0.1 };

export interface Summarizer {
  config: ModelConfig;
  vocabSize: number;
  seq2seq: Seq2SeqModels;
  /** [src [B,S], tgtIn [B,T]] → [P_vocab [B,T,V], attention [B,T,S], p_gen [B,T,1]] (the weights trained and saved). */
  train: tf.LayersModel;
  /** [token [N,1], ...context (see Seq2SeqModels), ...states] → [P_vocab [N,V], attention [N,S], p_gen [N,1], ...newStates]. */
  step: tf.LayersModel;
}

export function buildSummarizer(cfg: ModelConfig, vocabSize: number, seed?: number): Summarizer {
  const seq2seq = buildSeq2Seq(
    sharedVocabSeq2SeqConfig({ vocabSize, embedDim: cfg.embedDim, cell: cfg.cell, units: cfg.units, attention: cfg.attention, dropout: cfg.dropout, seed }),
  );
  const embedding = seq2seq.train.getLayer('src_embedding');
  const switchInputs = tf.layers.concatenate({ name: 'p_gen_inputs' });
  const switchDense = tf.layers.dense({
    units: 1,
    activation: 'sigmoid',
    name: 'p_gen',
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + 1000 }),
  });
  const pGen = (g: { context: tf.SymbolicTensor; decoderOutputs: tf.SymbolicTensor }, tokens: tf.SymbolicTensor) =>
    switchDense.apply(switchInputs.apply([g.context, g.decoderOutputs, embedding.apply(tokens) as tf.SymbolicTensor])) as tf.SymbolicTensor;

  const t = seq2seq.parts.train;
  const train = tf.model({ inputs: [t.src, t.tgtIn], outputs: [t.probs, t.attentionWeights, pGen(t, t.tgtIn)], name: 'summarizer' });

  const s = seq2seq.parts.step;
  const flat = (x: tf.SymbolicTensor, size: number, name: string) =>
    tf.layers.reshape({ targetShape: [size], name }).apply(x) as tf.SymbolicTensor;
  const step = tf.model({
    inputs: [s.token, ...s.contextInputs, ...s.states],
    outputs: [flat(s.probs, vocabSize, 'step_p_vocab'), flat(s.attentionWeights, -1, 'step_attention'),
      flat(pGen(s, s.token), 1, 'step_p_gen'), ...s.decoderStates],
    name: 'summarizer_step',
  });
  return { config: { ...cfg }, vocabSize, seq2seq, train, step };
}

/** Frees the summarizer's weights (the step model has step-only layers of its own, so both are disposed). */
export function disposeSummarizer(s: Summarizer): void {
  s.train.dispose();
  s.step.dispose();
}
