import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { CELL_TYPES, nextSeed, stackedRecurrent, tidyValues } from '@rnnkit/core/browser';
import { featureConfigSchema, normalizationSchema } from './features.js';

/**
 * The classifier (browser-safe): normalized feature frames [B, T, D], zero-padded at the end → masking (an
 * all-zero frame is padding; a real normalized frame is never exactly zero in every feature) → recurrent layers,
 * bidirectional by default, last state (forward after the last real frame, backward after the first) → dropout →
 * dense softmax over the ten digits.
 */

export const modelConfigSchema = z.strictObject({
  featureDim: z.number().int().min(1).max(512),
  cell: z.enum(CELL_TYPES),
  units: z.array(z.number().int().min(1).max(8192)).min(1).max(8),
  bidirectional: z.boolean(),
  dropout: z.number().min(0).max(0.9),
  numClasses: z.number().int().min(2).max(1000),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

export function buildModel(cfg: ModelConfig): tf.LayersModel {
  const frames = tf.input({ shape: [null, cfg.featureDim], name: 'frames' });
  const masked = tf.layers.masking({ maskValue: 0, name: 'padding' }).apply(frames) as tf.SymbolicTensor;
  let h = stackedRecurrent(masked, { cell: cfg.cell, units: cfg.units, bidirectional: cfg.bidirectional, dropout: cfg.dropout, name: 'rnn' });
  if (cfg.dropout > 0) h = tf.layers.dropout({ rate: cfg.dropout, seed: nextSeed(), name: 'state_dropout' }).apply(h) as tf.SymbolicTensor;
  const probs = tf.layers
    .dense({ units: cfg.numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }), name: 'digit_probs' })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: frames, outputs: probs, name: `spoken_digits_${cfg.cell}` });
}

/** What a model directory records besides the weights; the predictor (Node or page) rebuilds features from it. */
export const extrasSchema = z.strictObject({
  model: modelConfigSchema,
  features: featureConfigSchema,
  normalization: normalizationSchema,
  classNames: z.array(z.string().min(1).max(100)).min(2).max(1000),
  /** How the training data was split (shown by info; evaluate rebuilds the same test part). */
  split: z.union([z.strictObject({ kind: z.literal('official') }), z.strictObject({ kind: z.literal('speaker'), speaker: z.string().min(1).max(100) })]),
  /** The recordings folder trained on. */
  data: z.string(),
})
  .refine((e) => e.classNames.length === e.model.numClasses, { message: 'classNames must have one name per class', path: ['classNames'] })
  .refine((e) => e.normalization.mean.length === e.model.featureDim, { message: 'normalization must have model.featureDim features', path: ['normalization'] })
  .refine((e) => 2 * e.features.numCeps === e.model.featureDim, { message: 'model.featureDim must be 2 × features.numCeps', path: ['model', 'featureDim'] });
export type Extras = z.output<typeof extrasSchema>;

/** Normalized feature matrices → one zero-padded batch [B, maxFrames, D] (zeros are what the masking layer skips). */
export function framesTensor(mats: readonly { data: Float32Array; frames: number; dim: number }[]): tf.Tensor3D {
  const dim = mats[0].dim;
  const maxT = Math.max(...mats.map((m) => m.frames));
  const data = new Float32Array(mats.length * maxT * dim);
  mats.forEach((m, i) => data.set(m.data, i * maxT * dim));
  return tf.tensor3d(data, [mats.length, maxT, dim]);
}

/** Class probabilities [B × numClasses] of normalized feature matrices, in batches of `batchSize`. */
export function predictProbs(model: tf.LayersModel, mats: readonly { data: Float32Array; frames: number; dim: number }[], batchSize = 128): Float32Array {
  const k = model.outputs[0].shape[1] as number;
  const out = new Float32Array(mats.length * k);
  for (let s = 0; s < mats.length; s += batchSize) {
    const part = mats.slice(s, s + batchSize);
    const probs = tidyValues(() => model.predict(framesTensor(part)) as tf.Tensor);
    out.set(probs, s * k);
  }
  return out;
}
