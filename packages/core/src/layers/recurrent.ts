import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { RnnkitError } from '../errors.js';
import { nextSeed } from '../random.js';
import { CELLS, CELL_TYPES, isCellType, runRecurrent, type CellDescriptor, type CellType, type RecurrentSequenceResult } from './recurrent-kernel.js';

/**
 * Recurrent layers (SimpleRNN, LSTM, GRU; uni- or bidirectional) as serializable tfjs layers.
 *
 * Apps build recurrent layers only through `recurrent`, `bidirectional` and `stackedRecurrent`, and the layers hand
 * the time loop to `runRecurrent`, so a faster kernel replaces the implementation without touching any app.
 *
 * Inputs: `x` [batch, time, features] or `[x, ...initialStates]` (h, or h and c for LSTM; for bidirectional first the
 * forward then the backward states). Masks from an Embedding with `maskZero` (or `tf.layers.masking`) are honoured:
 * masked steps carry the states and repeat the previous output.
 */

export type { CellType };
export type MergeMode = 'concat' | 'sum' | 'ave' | 'mul';

export interface RecurrentOptions {
  cell: CellType;
  units: number;
  returnSequences?: boolean;
  returnState?: boolean;
  /** Process the sequence from the end; like Keras, returned sequences are then in processing (reversed) order. */
  goBackwards?: boolean;
  /** Fraction of the input features dropped in training (one mask per sequence, shared by all steps). */
  dropout?: number;
  /** Fraction of the recurrent state dropped before the recurrent matmul in training (one mask per sequence). */
  recurrentDropout?: number;
  name?: string;
  /** Seed for the weight initializers; defaults to the next seed of core's shared PRNG (see `setSeed`). */
  seed?: number;
}

export interface BidirectionalOptions extends Omit<RecurrentOptions, 'goBackwards'> {
  mergeMode?: MergeMode;
}

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Record<string, any>;
type LayerVariable = tf.LayerVariable;

interface RecurrentLayerConfig extends LayerArgs, BidirectionalOptions {
  goBackwards?: boolean;
}

const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'ave', 'mul'];

function checkOptions(cfg: RecurrentLayerConfig, bidirectional: boolean): void {
  const where = cfg.name ? `recurrent layer '${cfg.name}'` : 'recurrent layer';
  if (!isCellType(cfg.cell)) {
    throw new RnnkitError(`${where}: unknown cell '${String(cfg.cell)}' (expected ${CELL_TYPES.map((c) => `'${c}'`).join(', ')})`);
  }
  if (!Number.isInteger(cfg.units) || cfg.units <= 0) {
    throw new RnnkitError(`${where}: units must be a positive integer, got ${String(cfg.units)}`);
  }
  for (const field of ['dropout', 'recurrentDropout'] as const) {
    const rate = cfg[field] ?? 0;
    if (!(rate >= 0 && rate < 1)) throw new RnnkitError(`${where}: ${field} must be in [0, 1), got ${rate}`);
  }
  if (bidirectional) {
    if (cfg.goBackwards) throw new RnnkitError(`${where}: goBackwards makes no sense for a bidirectional layer`);
    if (!MERGE_MODES.includes(cfg.mergeMode ?? 'concat')) {
      throw new RnnkitError(`${where}: unknown mergeMode '${String(cfg.mergeMode)}' (expected ${MERGE_MODES.join(', ')})`);
    }
  }
}

/** A [rows, cols] matrix with orthonormal rows (or columns, whichever are fewer), from a seeded Gaussian. */
function orthogonalMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const n = Math.min(rows, cols);
  const m = Math.max(rows, cols);
  const random = seedrandom.alea(String(seed));
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const vectors = Array.from({ length: n }, () => Float64Array.from({ length: m }, gaussian));
  // Modified Gram-Schmidt in plain JS: tf.linalg.qr is far slower for recurrent kernels of a few hundred units.
  for (let i = 0; i < n; i++) {
    const v = vectors[i];
    for (let j = 0; j < i; j++) {
      const u = vectors[j];
      let dot = 0;
      for (let k = 0; k < m; k++) dot += u[k] * v[k];
      for (let k = 0; k < m; k++) v[k] -= dot * u[k];
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < m; k++) v[k] /= norm;
  }
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      // Vectors are rows when rows <= cols, else columns.
      if (rows <= cols) values[i * cols + k] = vectors[i][k];
      else values[k * cols + i] = vectors[i][k];
    }
  }
  return tf.tensor2d(values, [rows, cols]);
}

/** Variational dropout mask (scaled by 1/keep) that broadcasts over `shape`'s size-1 axes. */
function dropoutMask(shape: number[], rate: number): tf.Tensor {
  return tf.tidy(() =>
    tf.div(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', nextSeed()), rate), 'float32'), 1 - rate),
  );
}

/**
 * The float [B, T] mask for `x` from a Keras-style mask argument, or null.
 * tfjs's graph executor keeps the last mask it saw in a kwargs object shared by all layers, so a mask whose shape
 * does not match this input belongs to another layer and is ignored.
 */
function sequenceMask(maskArg: unknown, x: tf.Tensor): tf.Tensor2D | null {
  const mask = (Array.isArray(maskArg) ? maskArg[0] : maskArg) as tf.Tensor | null | undefined;
  if (mask == null || mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) return null;
  return tf.cast(mask, 'float32') as tf.Tensor2D;
}

interface DirectionWeights {
  kernel: LayerVariable;
  recurrentKernel: LayerVariable;
  bias: LayerVariable;
}

/** Shared implementation of the one- and two-direction layers; `mergeMode` null means one direction. */
abstract class RecurrentBase extends tf.layers.Layer {
  readonly cell: CellType;
  readonly units: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | undefined;
  readonly mergeMode: MergeMode | null;
  private directionWeights: DirectionWeights[] = [];
  private inputDim = 0;

  protected constructor(cfg: RecurrentLayerConfig, mergeMode: MergeMode | null) {
    checkOptions(cfg, mergeMode !== null);
    super(cfg);
    this.cell = cfg.cell;
    this.units = cfg.units;
    this.returnSequences = cfg.returnSequences ?? false;
    this.returnState = cfg.returnState ?? false;
    this.goBackwards = cfg.goBackwards ?? false;
    this.dropout = cfg.dropout ?? 0;
    this.recurrentDropout = cfg.recurrentDropout ?? 0;
    this.seed = cfg.seed;
    this.mergeMode = mergeMode;
    this.supportsMasking = true;
  }

  private get directions(): number {
    return this.mergeMode === null ? 1 : 2;
  }

  /** States per direction: h (and c for LSTM). */
  private get statesPerDirection(): number {
    return CELLS[this.cell].states;
  }

  private get outputDim(): number {
    return this.mergeMode === 'concat' ? 2 * this.units : this.units;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (xShape.length !== 3 || xShape[2] == null) {
      throw new RnnkitError(
        `layer '${this.name}': expected input [batch, time, features] with known features, got [${xShape.join(', ')}]`,
      );
    }
    this.inputDim = xShape[2];
    const descriptor: CellDescriptor = CELLS[this.cell];
    const gates = descriptor.gates * this.units;
    const prefixes = this.directions === 1 ? [''] : ['forward_', 'backward_'];
    this.directionWeights = prefixes.map((prefix, d) => {
      const seed = this.seed === undefined ? undefined : this.seed + 2 * d;
      const kernel = this.addWeight(`${prefix}kernel`, [this.inputDim, gates], 'float32',
        tf.initializers.glorotUniform({ seed: seed ?? nextSeed() }));
      const recurrentKernel = this.addWeight(`${prefix}recurrent_kernel`, [this.units, gates], 'float32',
        tf.initializers.zeros());
      const recurrentSeed = seed === undefined ? nextSeed() : seed + 1;
      tf.tidy(() => {
        recurrentKernel.write(orthogonalMatrix(this.units, gates, recurrentSeed));
      });
      const bias = this.addWeight(`${prefix}bias`, [gates], 'float32', tf.initializers.zeros());
      const initialBias = descriptor.initialBias;
      if (initialBias) {
        tf.tidy(() => {
          bias.write(initialBias(this.units));
        });
      }
      return { kernel, recurrentKernel, bias };
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const output: tf.Shape = this.returnSequences ? [xShape[0], xShape[1], this.outputDim] : [xShape[0], this.outputDim];
    if (!this.returnState) return output;
    const states = Array.from({ length: this.directions * this.statesPerDirection }, (): tf.Shape => [xShape[0], this.units]);
    return [output, ...states];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const inputMask = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const outputMask = this.returnSequences ? inputMask : null;
    if (!this.returnState) return outputMask as tf.Tensor;
    const stateMasks = new Array(this.directions * this.statesPerDirection).fill(null);
    return [outputMask, ...stateMasks] as tf.Tensor[];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0];
      if (x.rank !== 3 || x.shape[2] !== this.inputDim) {
        throw new RnnkitError(
          `layer '${this.name}': expected input [batch, time, ${this.inputDim}], got [${x.shape.join(', ')}]`,
        );
      }
      const batch = x.shape[0];
      const perDirection = this.statesPerDirection;
      const initialStates = list.slice(1);
      if (initialStates.length !== 0 && initialStates.length !== this.directions * perDirection) {
        throw new RnnkitError(`layer '${this.name}': expected ${this.directions * perDirection} initial state ` +
          `tensors (${this.cell}, ${this.directions} direction(s)), got ${initialStates.length}`);
      }
      for (const s of initialStates) {
        if (s.rank !== 2 || s.shape[0] !== batch || s.shape[1] !== this.units) {
          throw new RnnkitError(`layer '${this.name}': initial state must be [${batch}, ${this.units}], ` +
            `got [${s.shape.join(', ')}]`);
        }
      }
      const mask = sequenceMask(kwargs?.mask, x);
      const training = kwargs?.training === true;
      const zeros = (): tf.Tensor2D => tf.zeros([batch, this.units]);

      const runs: RecurrentSequenceResult[] = this.directionWeights.map((w, d) => {
        const xIn = training && this.dropout > 0 ? tf.mul(x, dropoutMask([batch, 1, this.inputDim], this.dropout)) : x;
        const dropped = training && this.recurrentDropout > 0
          ? (dropoutMask([batch, this.units], this.recurrentDropout) as tf.Tensor2D) : null;
        const state = (i: number): tf.Tensor2D => (initialStates[d * perDirection + i] as tf.Tensor2D) ?? zeros();
        return runRecurrent({
          cell: this.cell,
          x: xIn as tf.Tensor3D,
          h0: state(0),
          c0: CELLS[this.cell].states === 2 ? state(1) : null,
          kernel: w.kernel.read() as tf.Tensor2D,
          recurrentKernel: w.recurrentKernel.read() as tf.Tensor2D,
          bias: w.bias.read() as tf.Tensor1D,
          mask,
          goBackwards: d === 1 || this.goBackwards,
          recurrentDropoutMask: dropped,
        });
      });

      let output: tf.Tensor;
      if (this.mergeMode === null) {
        const run = runs[0];
        // Keras returns a backwards layer's sequence in processing order; runRecurrent aligns it with the input.
        output = !this.returnSequences ? run.h : this.goBackwards ? tf.reverse(run.outputs, 1) : run.outputs;
      } else {
        const pick = (r: RecurrentSequenceResult): tf.Tensor => (this.returnSequences ? r.outputs : r.h);
        output = merge(this.mergeMode, pick(runs[0]), pick(runs[1]));
      }
      if (!this.returnState) return output;
      const states = runs.flatMap((r) => (r.c ? [r.h, r.c] : [r.h]));
      return [output, ...states];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      cell: this.cell,
      units: this.units,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
    };
    if (this.mergeMode === null) config.goBackwards = this.goBackwards;
    else config.mergeMode = this.mergeMode;
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}

function merge(mode: MergeMode, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  switch (mode) {
    case 'concat':
      return tf.concat([a, b], -1);
    case 'sum':
      return tf.add(a, b);
    case 'ave':
      return tf.mul(tf.add(a, b), 0.5);
    case 'mul':
      return tf.mul(a, b);
  }
}

/** One-direction SimpleRNN / LSTM / GRU layer. */
export class RnnkitRecurrent extends RecurrentBase {
  static className = 'RnnkitRecurrent';
  constructor(cfg: RecurrentLayerConfig) {
    super(cfg, null);
  }
}

/** Forward and backward layer over the same input; the backward outputs are re-aligned to input time order. */
export class RnnkitBidirectional extends RecurrentBase {
  static className = 'RnnkitBidirectional';
  constructor(cfg: RecurrentLayerConfig) {
    super(cfg, cfg.mergeMode ?? 'concat');
  }
}

tf.serialization.registerClass(RnnkitRecurrent);
tf.serialization.registerClass(RnnkitBidirectional);

export function recurrent(opts: RecurrentOptions): tf.layers.Layer {
  return new RnnkitRecurrent(opts);
}

/** returnState gives [output, ...forwardStates, ...backwardStates]. */
export function bidirectional(opts: BidirectionalOptions): tf.layers.Layer {
  return new RnnkitBidirectional(opts);
}

export interface StackedRecurrentOptions {
  cell: CellType;
  /** Units of each layer, bottom first. */
  units: number[];
  /** true (= 'concat') or a merge mode makes every layer bidirectional. */
  bidirectional?: boolean | MergeMode;
  dropout?: number;
  recurrentDropout?: number;
  /** Whether the last layer returns the whole sequence (the layers below always do). */
  returnSequences?: boolean;
  name?: string;
}

/** N recurrent layers on top of each other; returns the last layer's output. */
export function stackedRecurrent(x: tf.SymbolicTensor, opts: StackedRecurrentOptions): tf.SymbolicTensor {
  if (opts.units.length === 0) throw new RnnkitError('stackedRecurrent: units must list at least one layer size');
  const mergeMode = opts.bidirectional === true ? 'concat' : opts.bidirectional || null;
  let h = x;
  opts.units.forEach((units, i) => {
    const layerOpts = {
      cell: opts.cell,
      units,
      returnSequences: i < opts.units.length - 1 || (opts.returnSequences ?? false),
      dropout: opts.dropout,
      recurrentDropout: opts.recurrentDropout,
      name: opts.name ? `${opts.name}_${i + 1}` : undefined,
    };
    const layer = mergeMode ? bidirectional({ ...layerOpts, mergeMode }) : recurrent(layerOpts);
    h = layer.apply(h) as tf.SymbolicTensor;
  });
  return h;
}
