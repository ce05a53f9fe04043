import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { nextSeed } from '../random.js';

/**
 * Embeddings of hashed character n-grams (ids from `SubwordHasher`, data/subwords.ts): each word's vector is the
 * mean of its n-grams' rows, so a word the vocabulary lacks still gets a vector from the pieces it shares with known
 * words. Two forms:
 *
 *   ids [B, T, K]                          → mean n-gram vector [B, T, D]
 *   [vectors [B, T, D], ids [B, T, K]]     → vectors + mean n-gram vector (a word embedding plus its sub-words,
 *                                            fastText-style); the vectors' mask (padding) passes through
 *
 * Id 0 is padding: it is left out of the mean (a word with fewer than K n-grams, a padding position with none, whose
 * mean is 0). The table has buckets + 1 rows; row 0 is never read into a result, so it gets no gradient.
 * stock tfjs has no such layer: a model holding it cannot be exported to plain tfjs (export names it).
 */

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface SubwordEmbeddingArgs extends LayerArgs {
  /** Number of hash buckets (ids 1..buckets). */
  buckets: number;
  outputDim: number;
  /** Seed of the uniform(-0.05, 0.05) initialization (default: core's PRNG stream). */
  seed?: number;
}

export class SubwordEmbedding extends tf.layers.Layer {
  static className = 'RnnkitSubwordEmbedding';
  readonly buckets: number;
  readonly outputDim: number;
  readonly seed: number | undefined;
  private embeddings!: tf.LayerVariable;

  constructor(cfg: SubwordEmbeddingArgs) {
    for (const key of ['buckets', 'outputDim'] as const) {
      if (!Number.isInteger(cfg[key]) || cfg[key] <= 0) throw new RnnkitError(`SubwordEmbedding: ${key} must be a positive integer, got ${String(cfg[key])}`);
    }
    super(cfg);
    this.buckets = cfg.buckets;
    this.outputDim = cfg.outputDim;
    this.seed = cfg.seed;
    this.supportsMasking = true;
  }

  /** [vectors shape, ids shape] for the two-input form, [null, ids shape] for ids alone. */
  private shapes(inputShape: tf.Shape | tf.Shape[]): [tf.Shape | null, tf.Shape] {
    const pair = Array.isArray(inputShape[0]) || inputShape[0] === undefined;
    const [vectors, ids] = pair ? (inputShape as tf.Shape[]) : [null, inputShape as tf.Shape];
    if (!Array.isArray(ids) || ids.length !== 3 || (vectors !== null && (!Array.isArray(vectors) || vectors.length !== 3))) {
      throw new RnnkitError(`layer '${this.name}': expected n-gram ids [B, T, K] or [vectors [B, T, D], n-gram ids [B, T, K]]`);
    }
    if (vectors !== null && vectors[2] !== null && vectors[2] !== this.outputDim) {
      throw new RnnkitError(`layer '${this.name}': the vectors have ${vectors[2]} features but the n-gram embeddings ${this.outputDim}`);
    }
    return [vectors, ids];
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    this.shapes(inputShape);
    const seed = this.seed ?? nextSeed();
    this.embeddings = this.addWeight('embeddings', [this.buckets + 1, this.outputDim], 'float32', tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [, ids] = this.shapes(inputShape);
    return [ids[0], ids[1], this.outputDim];
  }

  override computeMask(inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // The two-input form keeps the word vectors' padding mask; ids alone carry none.
    const kept = Array.isArray(inputs) && Array.isArray(mask) ? mask[0] : null;
    return kept as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const [vectors, rawIds] = list.length === 2 ? list : [null, list[0]];
      if (!rawIds || rawIds.rank !== 3 || (vectors && (vectors.rank !== 3 || vectors.shape[2] !== this.outputDim))) {
        throw new RnnkitError(`layer '${this.name}': expected n-gram ids [B, T, K] or [vectors [B, T, ${this.outputDim}], n-gram ids [B, T, K]]`);
      }
      const [b, t, k] = rawIds.shape;
      if (vectors && (vectors.shape[0] !== b || vectors.shape[1] !== t)) {
        throw new RnnkitError(`layer '${this.name}': vectors [${vectors.shape.join(', ')}] and n-gram ids [${rawIds.shape.join(', ')}] differ in batch or time`);
      }
      const flat = tf.reshape(rawIds.dtype === 'int32' ? rawIds : tf.cast(rawIds, 'int32'), [b * t * k]);
      // Out-of-range ids would read garbage (or fail deep in gather): clamp, after the padding mask is taken.
      const present = tf.reshape(tf.cast(tf.notEqual(flat, 0), 'float32'), [b, t, k, 1]);
      const rows = tf.gather(this.embeddings.read(), tf.clipByValue(flat, 0, this.buckets));
      const summed = tf.sum(tf.mul(tf.reshape(rows, [b, t, k, this.outputDim]), present), 2);
      const mean = tf.div(summed, tf.maximum(tf.sum(present, 2), 1));
      return vectors ? tf.add(vectors, mean) : mean;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { buckets: this.buckets, outputDim: this.outputDim };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}

tf.serialization.registerClass(SubwordEmbedding);

export function subwordEmbedding(args: SubwordEmbeddingArgs): SubwordEmbedding {
  return new SubwordEmbedding(args);
}
