import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { CELLS, RnnkitError, cellSchema, nextSeed, recurrent, stackedRecurrent, type CellType } from '@rnnkit/core/browser';

/**
 * The character language model, in two shapes that share one set of weights:
 *
 *   training model  tokens [B, T] → logits [B, T, V]
 *     Embedding → stacked LSTM/GRU (every layer returns its whole sequence, dropout on each layer's input)
 *     → dropout → Dense to V logits at every timestep (Dense on a 3D input applies per timestep).
 *
 *   step model      [tokens [B, T], h1, (c1), h2, (c2), ...] → [logits [B, T, V], new h1, (c1), ...]
 *     The same layers with the recurrent state passed in and out, so generation feeds one character at a time
 *     and carries the state (O(length) work), instead of re-running the whole prefix for every new character.
 *
 * The output is logits, not softmax probabilities: the loss applies log-softmax itself (fromLogits), which is
 * numerically safer than log(softmax(...)), and sampling works on log-probabilities anyway.
 */

export type TextgenCell = CellType;

export interface TextgenModelConfig {
  vocabSize: number;
  embedDim: number;
  cell: TextgenCell;
  /** Units per recurrent layer, bottom first. */
  units: number[];
  /** Dropout on each recurrent layer's input and on the last layer's output. */
  dropout: number;
}


const RNN_NAME = 'rnn';

export function buildTrainingModel(cfg: TextgenModelConfig): tf.LayersModel {
  checkConfig(cfg);
  const tokens = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  const embedded = embeddingLayer(cfg).apply(tokens) as tf.SymbolicTensor;
  let h = stackedRecurrent(embedded, {
    cell: cfg.cell,
    units: cfg.units,
    dropout: cfg.dropout,
    returnSequences: true,
    name: RNN_NAME,
  });
  if (cfg.dropout > 0) h = tf.layers.dropout({ rate: cfg.dropout, seed: nextSeed(), name: 'output_dropout' }).apply(h) as tf.SymbolicTensor;
  const logits = outputLayer(cfg).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: tokens, outputs: logits, name: 'textgen' });
}

/** Number of state tensors of one recurrent layer (LSTM carries h and c, GRU only h). */
export function statesPerLayer(cell: TextgenCell): number {
  return CELLS[cell].states;
}

/** The step model, with its weights copied from `trained` (shapes are checked by setWeights). */
export function buildStepModel(cfg: TextgenModelConfig, trained: tf.LayersModel): tf.LayersModel {
  checkConfig(cfg);
  const tokens = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  let h = embeddingLayer(cfg).apply(tokens) as tf.SymbolicTensor;
  const stateInputs: tf.SymbolicTensor[] = [];
  const stateOutputs: tf.SymbolicTensor[] = [];
  cfg.units.forEach((units, i) => {
    const inputs = Array.from({ length: statesPerLayer(cfg.cell) }, (_, s) =>
      tf.input({ shape: [units], name: `state_${i + 1}_${s === 0 ? 'h' : 'c'}` }),
    );
    const layer = recurrent({ cell: cfg.cell, units, returnSequences: true, returnState: true, name: `${RNN_NAME}_${i + 1}` });
    const [sequence, ...states] = layer.apply([h, ...inputs]) as tf.SymbolicTensor[];
    h = sequence;
    stateInputs.push(...inputs);
    stateOutputs.push(...states);
  });
  const logits = outputLayer(cfg).apply(h) as tf.SymbolicTensor;
  const step = tf.model({ inputs: [tokens, ...stateInputs], outputs: [logits, ...stateOutputs], name: 'textgen_step' });
  // Both models list their weights in the same layer order (embedding, recurrent layers, dense); dropout has none.
  step.setWeights(trained.getWeights());
  return step;
}

/** All-zero initial states for `batch` independent sequences, in the step model's input order. */
export function zeroStates(cfg: TextgenModelConfig, batch: number): tf.Tensor2D[] {
  return cfg.units.flatMap((units) => Array.from({ length: statesPerLayer(cfg.cell) }, () => tf.zeros([batch, units]) as tf.Tensor2D));
}

function embeddingLayer(cfg: TextgenModelConfig): tf.layers.Layer {
  return tf.layers.embedding({
    inputDim: cfg.vocabSize,
    outputDim: cfg.embedDim,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }),
    name: 'embedding',
  });
}

function outputLayer(cfg: TextgenModelConfig): tf.layers.Layer {
  return tf.layers.dense({
    units: cfg.vocabSize,
    kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
    name: 'logits',
  });
}

function checkConfig(cfg: TextgenModelConfig): void {
  if (cfg.units.length === 0) throw new RnnkitError('--units must list at least one layer size');
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new RnnkitError(`--dropout must be in [0, 1), got ${cfg.dropout}`);
}

/** The model config as saved in rnnkit.json (extras.model); the loader validates it strictly. */
export const textgenModelConfigSchema = z.strictObject({
  vocabSize: z.number().int().min(1),
  embedDim: z.number().int().min(1),
  cell: cellSchema,
  units: z.array(z.number().int().min(1)).min(1),
  dropout: z.number().min(0).lt(1),
});
