import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { nextSeed } from '../random.js';
import { activeFusedKernels } from './fused-kernels.js';

/**
 * Attention layers for encoder-decoder models, serializable like any tfjs layer.
 *
 * Call with `[query, values]` or `[query, values, valuesMask]`:
 *   query [B, Tq, Dq] (all decoder steps at once, or Tq = 1 for step-by-step decoding),
 *   values [B, S, Dv] (encoder outputs), valuesMask [B, S] float 1 = real token, 0 = padding.
 * BahdanauAttention also takes `[query, values, valuesMask, keys]`, keys = `projectValues(values)` computed once
 * per source: a decoder stepping token by token then skips re-projecting the same encoder outputs every step.
 * Outputs `[context [B, Tq, Dv], weights [B, Tq, S]]`; the weights are what attention heatmaps show.
 * Masked source positions get a score of -1e9 before the softmax, so their weight is 0 (unless all are masked).
 */

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Record<string, any>;

const MASKED_SCORE = -1e9;

interface AttentionInputs {
  query: tf.Tensor3D;
  values: tf.Tensor3D;
  mask: tf.Tensor2D | null;
  /** Precomputed projection of the values (BahdanauAttention only). */
  keys: tf.Tensor3D | null;
}

function splitInputs(layer: string, inputs: tf.Tensor | tf.Tensor[], acceptsKeys: boolean): AttentionInputs {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length < 2 || list.length > (acceptsKeys ? 4 : 3)) {
    throw new RnnkitError(`attention layer '${layer}': expected [query, values] or [query, values, mask]` +
      `${acceptsKeys ? ' or [query, values, mask, keys]' : ''}, got ${list.length} input(s)`);
  }
  const [query, values, mask, keys] = list;
  if (query.rank !== 3 || values.rank !== 3 || query.shape[0] !== values.shape[0]) {
    throw new RnnkitError(`attention layer '${layer}': expected query [B, Tq, Dq] and values [B, S, Dv], got ` +
      `[${query.shape.join(', ')}] and [${values.shape.join(', ')}]`);
  }
  if (mask && (mask.rank !== 2 || mask.shape[0] !== values.shape[0] || mask.shape[1] !== values.shape[1])) {
    throw new RnnkitError(`attention layer '${layer}': mask must be [${values.shape[0]}, ${values.shape[1]}], ` +
      `got [${mask.shape.join(', ')}]`);
  }
  if (keys && (keys.rank !== 3 || keys.shape[0] !== values.shape[0] || keys.shape[1] !== values.shape[1])) {
    throw new RnnkitError(`attention layer '${layer}': keys must be [${values.shape[0]}, ${values.shape[1]}, units], ` +
      `got [${keys.shape.join(', ')}]`);
  }
  return { query: query as tf.Tensor3D, values: values as tf.Tensor3D, mask: (mask as tf.Tensor2D) ?? null, keys: (keys as tf.Tensor3D) ?? null };
}

function shapesOf(inputShape: tf.Shape | tf.Shape[], layer: string): { query: tf.Shape; values: tf.Shape } {
  const shapes = inputShape as tf.Shape[];
  if (!Array.isArray(shapes[0]) || shapes.length < 2) {
    throw new RnnkitError(`attention layer '${layer}': expected [query, values] or [query, values, mask] inputs`);
  }
  const [query, values] = shapes;
  if (query.length !== 3 || values.length !== 3 || query[2] == null || values[2] == null) {
    throw new RnnkitError(`attention layer '${layer}': expected query [B, Tq, Dq] and values [B, S, Dv] with known ` +
      `feature sizes, got [${query.join(', ')}] and [${values.join(', ')}]`);
  }
  return { query, values };
}

/** Softmax over source positions of [B, Tq, S] scores, then the weighted sum of values. */
function attend(scores: tf.Tensor3D, values: tf.Tensor3D, mask: tf.Tensor2D | null): tf.Tensor[] {
  const masked = mask ? tf.add(scores, tf.mul(tf.expandDims(tf.sub(1, mask), 1), MASKED_SCORE)) : scores;
  const weights = tf.softmax(masked, -1) as tf.Tensor3D;
  return [tf.matMul(weights, values), weights];
}

/** Base: two outputs, no mask propagation (the source mask is an explicit input). */
abstract class AttentionBase extends tf.layers.Layer {
  protected valuesDim = 0;
  protected readonly acceptsKeys: boolean = false;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const { query, values } = shapesOf(inputShape, this.name);
    return [[query[0], query[1], values[2]], [query[0], query[1], values[1]]];
  }

  override computeMask(): tf.Tensor[] {
    return [null, null] as unknown as tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const { query, values, mask, keys } = splitInputs(this.name, inputs, this.acceptsKeys);
      if (values.shape[2] !== this.valuesDim) {
        throw new RnnkitError(`attention layer '${this.name}': values have ${values.shape[2]} features, ` +
          `the layer was built for ${this.valuesDim}`);
      }
      return attend(this.scores(query, values, keys), values, mask);
    });
  }

  /** Unnormalized scores [B, Tq, S]; `keys` only for layers that accept precomputed keys. */
  protected abstract scores(query: tf.Tensor3D, values: tf.Tensor3D, keys: tf.Tensor3D | null): tf.Tensor3D;
}

export interface BahdanauAttentionOptions {
  /** Size of the hidden layer in which query and values are compared. */
  units: number;
  name?: string;
  seed?: number;
}

/**
 * Additive attention: score(q, k) = v · tanh(W1 q + W2 k + b). With tf ops, memory grows with B·Tq·S·units; the fused
 * native op (cpu backend with @rnnkit/native) computes the same scores without that tensor.
 */
export class BahdanauAttention extends AttentionBase {
  static className = 'BahdanauAttention';
  readonly units: number;
  readonly seed: number | undefined;
  private queryKernel!: tf.LayerVariable;
  private valuesKernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private scoreVector!: tf.LayerVariable;
  protected override readonly acceptsKeys = true;

  constructor(cfg: BahdanauAttentionOptions & LayerArgs) {
    if (!Number.isInteger(cfg.units) || cfg.units <= 0) {
      throw new RnnkitError(`BahdanauAttention: units must be a positive integer, got ${String(cfg.units)}`);
    }
    super(cfg);
    this.units = cfg.units;
    this.seed = cfg.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { query, values } = shapesOf(inputShape, this.name);
    this.valuesDim = values[2] as number;
    const init = (offset: number) => tf.initializers.glorotUniform({ seed: this.seed === undefined ? nextSeed() : this.seed + offset });
    this.queryKernel = this.addWeight('query_kernel', [query[2] as number, this.units], 'float32', init(0));
    this.valuesKernel = this.addWeight('values_kernel', [this.valuesDim, this.units], 'float32', init(1));
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    this.scoreVector = this.addWeight('score_vector', [this.units, 1], 'float32', init(2));
    this.built = true;
  }

  /** The values' projection W2·values [B, S, units]: pass it as the 4th input to skip recomputing it per call. */
  projectValues(values: tf.Tensor): tf.Tensor3D {
    if (!this.built) throw new RnnkitError(`attention layer '${this.name}': projectValues needs a built layer (call it once first)`);
    if (values.rank !== 3 || values.shape[2] !== this.valuesDim) {
      throw new RnnkitError(`attention layer '${this.name}': values must be [B, S, ${this.valuesDim}], got [${values.shape.join(', ')}]`);
    }
    const [batch, s, dv] = values.shape;
    return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(values, [batch * s, dv]), this.valuesKernel.read()), [batch, s, this.units]));
  }

  /** The weights `scores` uses besides the keys (for a fused decoding step that computes the same scores). */
  scoreWeights(): { queryKernel: tf.LayerVariable; bias: tf.LayerVariable; scoreVector: tf.LayerVariable } {
    if (!this.built) throw new RnnkitError(`attention layer '${this.name}': scoreWeights needs a built layer (call it once first)`);
    return { queryKernel: this.queryKernel, bias: this.bias, scoreVector: this.scoreVector };
  }

  protected scores(query: tf.Tensor3D, values: tf.Tensor3D, keys: tf.Tensor3D | null): tf.Tensor3D {
    const [batch, tq, dq] = query.shape;
    const s = values.shape[1];
    // The bias joins the (small) query projection before the [B, Tq, S, units] broadcast, not after it.
    const qFlat = tf.add(tf.matMul(tf.reshape(query, [batch * tq, dq]), this.queryKernel.read()), this.bias.read());
    if (keys && keys.shape[2] !== this.units) {
      throw new RnnkitError(`attention layer '${this.name}': keys have ${keys.shape[2]} features, expected ${this.units} (projectValues)`);
    }
    const kFlat = tf.reshape(keys ?? this.projectValues(values), [batch * s, this.units]);
    const fused = activeFusedKernels();
    if (fused) {
      // One native op instead of the [B, Tq, S, units] tensors below (and the gradient's several more of that size).
      return fused.additiveAttentionScores(tf.reshape(qFlat, [batch, tq, this.units]), tf.reshape(kFlat, [batch, s, this.units]),
        tf.reshape(this.scoreVector.read(), [this.units]));
    }
    const q = tf.reshape(qFlat, [batch, tq, 1, this.units]);
    const k = tf.reshape(kFlat, [batch, 1, s, this.units]);
    const hidden = tf.tanh(tf.add(q, k));
    const flat = tf.matMul(tf.reshape(hidden, [batch * tq * s, this.units]), this.scoreVector.read());
    return tf.reshape(flat, [batch, tq, s]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { units: this.units };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}

export type LuongScore = 'dot' | 'general';

export interface LuongAttentionOptions {
  /** 'dot': q · k (needs Dq = Dv); 'general': q · W k. */
  score?: LuongScore;
  name?: string;
  seed?: number;
}

/** Multiplicative attention (Luong et al. 2015). */
export class LuongAttention extends AttentionBase {
  static className = 'LuongAttention';
  readonly score: LuongScore;
  readonly seed: number | undefined;
  private kernel: tf.LayerVariable | null = null;

  constructor(cfg: LuongAttentionOptions & LayerArgs) {
    const score = cfg.score ?? 'general';
    if (score !== 'dot' && score !== 'general') {
      throw new RnnkitError(`LuongAttention: unknown score '${String(score)}' (expected 'dot' or 'general')`);
    }
    super(cfg);
    this.score = score;
    this.seed = cfg.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const { query, values } = shapesOf(inputShape, this.name);
    this.valuesDim = values[2] as number;
    if (this.score === 'dot' && query[2] !== values[2]) {
      throw new RnnkitError(`attention layer '${this.name}': dot score needs query and values of the same size, ` +
        `got ${query[2]} and ${values[2]} (use score 'general')`);
    }
    if (this.score === 'general') {
      this.kernel = this.addWeight('kernel', [query[2] as number, this.valuesDim], 'float32',
        tf.initializers.glorotUniform({ seed: this.seed ?? nextSeed() }));
    }
    this.built = true;
  }

  /** The 'general' score's kernel [Dq, Dv] (null for 'dot'), for a fused decoding step that computes the same scores. */
  scoreKernel(): tf.LayerVariable | null {
    if (!this.built) throw new RnnkitError(`attention layer '${this.name}': scoreKernel needs a built layer (call it once first)`);
    return this.kernel;
  }

  protected scores(query: tf.Tensor3D, values: tf.Tensor3D): tf.Tensor3D {
    let q: tf.Tensor3D = query;
    if (this.kernel) {
      const [batch, tq, dq] = query.shape;
      q = tf.reshape(tf.matMul(tf.reshape(query, [batch * tq, dq]), this.kernel.read()), [batch, tq, this.valuesDim]);
    }
    return tf.matMul(q, values, false, true);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { score: this.score };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}

tf.serialization.registerClass(BahdanauAttention);
tf.serialization.registerClass(LuongAttention);

export function bahdanauAttention(opts: BahdanauAttentionOptions): BahdanauAttention {
  return new BahdanauAttention(opts);
}

export function luongAttention(opts: LuongAttentionOptions = {}): LuongAttention {
  return new LuongAttention(opts);
}
