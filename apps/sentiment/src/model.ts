import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { CELL_TYPES, RnnkitError, maskedPooling, nextSeed, paddingMask, stackedRecurrent, subwordEmbedding, subwordSettingsSchema } from '@rnnkit/core/browser';

/**
 * The classifier (browser-safe: tfjs and @rnnkit/core/browser only):
 *
 *   token ids [B, T] → embedding (id 0 = padding, masked) [+ mean of the word's hashed character n-gram embeddings,
 *   from a second input [B, T, K], when `subwords` is set] → stacked LSTM/GRU, optionally bidirectional, with
 *   dropout on each layer's input → pooling → dropout → dense softmax over the classes.
 *
 * Pooling is either `attention` (a learned score per position, softmax over the real tokens, weighted sum of the
 * recurrent outputs; the weights are what `predict` shows per word) or `last` (the final state: for a
 * bidirectional layer the forward state after the last token and the backward state after the first) or `concat`:
 * attention pooling, the max and the mean over the real positions, side by side (three views of the sequence: the
 * weighted words, each feature's strongest evidence anywhere, and the overall tone; the classifier sees 3× the width).
 */

export const POOLINGS = ['attention', 'last', 'concat'] as const;
export type Pooling = (typeof POOLINGS)[number];

export const modelConfigSchema = z.strictObject({
  vocabSize: z.number().int().min(5).max(1_000_000),
  embedDim: z.number().int().min(1).max(4096),
  cell: z.enum(CELL_TYPES),
  units: z.array(z.number().int().min(1).max(8192)).min(1).max(16),
  bidirectional: z.boolean(),
  pooling: z.enum(POOLINGS),
  /** Size of the attention scorer's hidden layer (attention pooling only). */
  attentionUnits: z.number().int().min(1).max(8192),
  dropout: z.number().min(0).max(0.9),
  numClasses: z.number().int().min(2).max(1000),
  /** Tokens read per text; longer texts are cut to their first maxLen tokens. */
  maxLen: z.number().int().min(1).max(100_000),
  /**
   * Each token's vector adds the mean of its hashed character n-gram embeddings (absent: word embeddings only);
   * recorded with the model so a predictor hashes words the same way.
   */
  subwords: subwordSettingsSchema.optional(),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

const MASKED_SCORE = -1e9;

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/**
 * Attention pooling: score_t = v · tanh(W h_t + b), weights = softmax over the unmasked positions, output
 * Σ_t weight_t h_t. Inputs [values [B, T, D], mask [B, T] (1 = token, 0 = padding)]; outputs [pooled [B, D],
 * weights [B, T]]. (Core's attention layers attend from a query sequence; pooling has no query, so this is the
 * app's own small layer.)
 */
export class AttentionPooling extends tf.layers.Layer {
  static className = 'RnnkitAttentionPooling';
  readonly units: number;
  readonly seed: number | undefined;
  private kernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private scoreVector!: tf.LayerVariable;

  constructor(cfg: { units: number; seed?: number } & LayerArgs) {
    if (!Number.isInteger(cfg.units) || cfg.units <= 0) throw new RnnkitError(`AttentionPooling: units must be a positive integer, got ${String(cfg.units)}`);
    super(cfg);
    this.units = cfg.units;
    this.seed = cfg.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const values = (inputShape as tf.Shape[])[0];
    if (!Array.isArray(values) || values.length !== 3 || values[2] == null) {
      throw new RnnkitError(`layer '${this.name}': expected [values [B, T, D], mask [B, T]] inputs`);
    }
    const init = (offset: number) => tf.initializers.glorotUniform({ seed: this.seed === undefined ? nextSeed() : this.seed + offset });
    this.kernel = this.addWeight('kernel', [values[2], this.units], 'float32', init(0));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.scoreVector = this.addWeight('score_vector', [this.units, 1], 'float32', init(1));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const values = (inputShape as tf.Shape[])[0];
    return [[values[0], values[2]], [values[0], values[1]]];
  }

  override computeMask(): tf.Tensor[] {
    return [null, null] as unknown as tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [values, mask] = inputs as tf.Tensor[];
      if (!values || !mask || values.rank !== 3 || mask.rank !== 2) throw new RnnkitError(`layer '${this.name}': expected [values [B, T, D], mask [B, T]]`);
      const [batch, time, dim] = values.shape;
      const hidden = tf.tanh(tf.add(tf.matMul(tf.reshape(values, [batch * time, dim]), this.kernel.read()), this.bias.read()));
      const scores = tf.reshape(tf.matMul(hidden, this.scoreVector.read()), [batch, time]);
      const masked = tf.add(scores, tf.mul(tf.sub(1, mask), MASKED_SCORE));
      const weights = tf.softmax(masked, -1);
      const pooled = tf.reshape(tf.matMul(tf.expandDims(weights, 1), values), [batch, dim]);
      return [pooled, weights];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { units: this.units };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}

tf.serialization.registerClass(AttentionPooling);

export const ATTENTION_LAYER = 'attention_pool';
export const SUBWORD_LAYER = 'subword_embedding';

export function buildClassifier(cfg: ModelConfig): tf.LayersModel {
  const tokens = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  let embedded = tf.layers
    .embedding({
      inputDim: cfg.vocabSize,
      outputDim: cfg.embedDim,
      maskZero: true,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: nextSeed() }),
      name: 'embedding',
    })
    .apply(tokens) as tf.SymbolicTensor;
  const inputs = [tokens];
  if (cfg.subwords) {
    const ngrams = tf.input({ shape: [null, null], dtype: 'int32', name: 'subwords' });
    inputs.push(ngrams);
    const layer = subwordEmbedding({ buckets: cfg.subwords.buckets, outputDim: cfg.embedDim, seed: nextSeed(), name: SUBWORD_LAYER });
    embedded = layer.apply([embedded, ngrams]) as tf.SymbolicTensor;
  }
  const sequence = stackedRecurrent(embedded, {
    cell: cfg.cell,
    units: cfg.units,
    bidirectional: cfg.bidirectional,
    dropout: cfg.dropout,
    returnSequences: cfg.pooling !== 'last',
    name: 'rnn',
  });
  let pooled = sequence;
  if (cfg.pooling !== 'last') {
    const mask = paddingMask({ name: 'padding_mask' }).apply(tokens) as tf.SymbolicTensor;
    const layer = new AttentionPooling({ units: cfg.attentionUnits, seed: nextSeed(), name: ATTENTION_LAYER });
    [pooled] = layer.apply([sequence, mask]) as tf.SymbolicTensor[];
    if (cfg.pooling === 'concat') {
      const max = maskedPooling({ mode: 'max', name: 'max_pool' }).apply([sequence, mask]) as tf.SymbolicTensor;
      const mean = maskedPooling({ mode: 'mean', name: 'mean_pool' }).apply([sequence, mask]) as tf.SymbolicTensor;
      pooled = tf.layers.concatenate({ name: 'pooled' }).apply([pooled, max, mean]) as tf.SymbolicTensor;
    }
  }
  if (cfg.dropout > 0) pooled = tf.layers.dropout({ rate: cfg.dropout, seed: nextSeed(), name: 'pooled_dropout' }).apply(pooled) as tf.SymbolicTensor;
  const probs = tf.layers
    .dense({ units: cfg.numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: 'class_probs' })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: inputs.length === 1 ? tokens : inputs, outputs: probs, name: `sentiment_${cfg.cell}_${cfg.pooling}` });
}

/**
 * The same network with the attention weights [B, T] as a second output (it shares the trained model's layers and
 * weights), or null for a last-state model.
 */
export function withAttentionOutput(model: tf.LayersModel): tf.LayersModel | null {
  const layer = model.layers.find((l) => l.name === ATTENTION_LAYER);
  if (!layer) return null;
  const [, weights] = layer.getOutputAt(0) as tf.SymbolicTensor[];
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0], weights], name: `${model.name}_with_attention` });
}
