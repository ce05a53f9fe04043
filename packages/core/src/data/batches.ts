import seedrandom from 'seedrandom';
import { RnnkitError } from '../errors.js';
import { nextSeed, type Rng } from '../random.js';
import type { Batch, BatchSource } from '../train/types.js';

/** 0..n-1 in a random order (Fisher–Yates driven by `rng`, so a seeded rng gives a reproducible order). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RnnkitError(`shuffledIndices: n must be an integer >= 0, got ${n}`);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** Where a batch sits in training: its epoch and its index within the epoch (both 0-based). */
export interface BatchPosition {
  epoch: number;
  batch: number;
}

export interface ArrayBatchSourceOptions {
  /** Number of examples. */
  size: number;
  batchSize: number;
  /**
   * Builds the tensors of one batch from example indices; called lazily, one batch at a time. `at` says which batch
   * of which epoch it is, so random data augmentation can be seeded by position (same seed, same batch: same
   * augmented images, also after a resume).
   */
  makeBatch: (indices: Int32Array, at: BatchPosition) => Batch;
  /** Reshuffle every epoch (default true). Validation/test sources should pass false. */
  shuffle?: boolean;
  /** Seed of the per-epoch shuffles; default: drawn from the global seeded generator (see setSeed). */
  seed?: number;
  /** Skip the last partial batch (default false). */
  dropRemainder?: boolean;
}

/**
 * A BatchSource over examples held in memory. The order of epoch e depends only on (seed, e), not on how many
 * epochs ran before, so a run resumed at epoch e sees the same batches as an uninterrupted one.
 */
export function arrayBatchSource(opts: ArrayBatchSourceOptions): BatchSource {
  const { size, batchSize, makeBatch } = opts;
  if (!Number.isInteger(size) || size < 1) throw new RnnkitError(`arrayBatchSource: the dataset is empty (size ${size})`);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RnnkitError(`arrayBatchSource: batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const shuffle = opts.shuffle ?? true;
  const dropRemainder = opts.dropRemainder ?? false;
  const seed = opts.seed ?? nextSeed();
  const numBatches = dropRemainder ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
  if (numBatches === 0) {
    throw new RnnkitError(`arrayBatchSource: ${size} examples make no full batch of ${batchSize} with dropRemainder`);
  }
  const identity = Int32Array.from({ length: size }, (_, i) => i);
  return {
    numBatches: () => numBatches,
    *batches(epoch: number): Iterable<Batch> {
      const order = shuffle ? shuffledIndices(size, seedrandom.alea(`${seed}:${epoch}`)) : identity;
      for (let b = 0; b < numBatches; b++) {
        yield makeBatch(order.subarray(b * batchSize, Math.min(size, (b + 1) * batchSize)), { epoch, batch: b });
      }
    },
  };
}

/**
 * Copies the rows `indices` of a row-major array with `rowLength` values per row — the usual body of a
 * `makeBatch` (e.g. `tf.tensor3d(takeRows(windows.x, lookback * features, idx), [idx.length, lookback, features])`).
 */
export function takeRows<T extends Float32Array | Int32Array>(data: T, rowLength: number, indices: ArrayLike<number>): T {
  const rows = data.length / rowLength;
  if (!Number.isInteger(rows)) throw new RnnkitError(`takeRows: data length ${data.length} is not a multiple of rowLength ${rowLength}`);
  const out = new (data.constructor as new (n: number) => T)(indices.length * rowLength);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (r < 0 || r >= rows) throw new RnnkitError(`takeRows: row ${r} is out of range [0, ${rows})`);
    out.set(data.subarray(r * rowLength, (r + 1) * rowLength), i * rowLength);
  }
  return out;
}

/** Joins typed arrays of one kind end to end (e.g. per-chunk predictions, per-ticker windows, weight files). */
export function concatTypedArrays<T extends Float32Array | Int32Array | Uint8Array>(parts: readonly T[], empty: T): T {
  const out = new (empty.constructor as new (n: number) => T)(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * One epoch's batches of examples of similar length: the examples are shuffled by `rng`, cut into pools of
 * `poolBatches` batches, each pool is sorted by length (stably, so equal lengths keep the shuffled order) and cut
 * into batches, and the batch order is shuffled by `rng` too. A recurrent layer (and a softmax over every target
 * position) computes every padded step, so a batch as long as its longest member costs up to twice what its real
 * tokens need; the pools keep the batches random enough for SGD. Seed `rng` by (seed, epoch) so a resumed run sees
 * the same batches.
 */
export function lengthBucketedBatches(lengths: ArrayLike<number>, batchSize: number, rng: Rng, poolBatches: number): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RnnkitError(`lengthBucketedBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(poolBatches) || poolBatches < 1) {
    throw new RnnkitError(`lengthBucketedBatches: poolBatches must be an integer >= 1, got ${poolBatches}`);
  }
  const n = lengths.length;
  const order = shuffledIndices(n, rng);
  const batches: Int32Array[] = [];
  const pool = batchSize * poolBatches;
  for (let start = 0; start < n; start += pool) {
    const members = Array.from(order.subarray(start, Math.min(n, start + pool)));
    members.sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < members.length; i += batchSize) batches.push(Int32Array.from(members.slice(i, i + batchSize)));
  }
  return Array.from(shuffledIndices(batches.length, rng), (b) => batches[b]);
}

/** Batches of consecutive examples in length order (ties by index): the least padding, for evaluation. */
export function lengthSortedBatches(lengths: ArrayLike<number>, batchSize: number): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RnnkitError(`lengthSortedBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: Int32Array[] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(Int32Array.from(order.slice(i, i + batchSize)));
  return batches;
}

export interface BucketedBatchSourceOptions {
  /** Length of each example (the sort key: any number, e.g. a combined source and target length). */
  lengths: ArrayLike<number>;
  batchSize: number;
  makeBatch: (indices: Int32Array, at: BatchPosition) => Batch;
  /** true: lengthBucketedBatches, new each epoch; false: lengthSortedBatches. Default true. */
  shuffle?: boolean;
  /** Seed of the per-epoch orders; default: drawn from the global seeded generator (see setSeed). */
  seed?: number;
  /** Batches per sorted pool (default 50). */
  poolBatches?: number;
}

/** A BatchSource of length-bucketed batches (see lengthBucketedBatches); epoch e's order depends on (seed, e) only. */
export function bucketedBatchSource(opts: BucketedBatchSourceOptions): BatchSource {
  const { lengths, batchSize, makeBatch } = opts;
  if (lengths.length < 1) throw new RnnkitError('bucketedBatchSource: the dataset is empty');
  const shuffle = opts.shuffle ?? true;
  const seed = opts.seed ?? nextSeed();
  const poolBatches = opts.poolBatches ?? 50;
  const fixed = shuffle ? null : lengthSortedBatches(lengths, batchSize);
  const numBatches = Math.ceil(lengths.length / batchSize);
  return {
    numBatches: () => numBatches,
    *batches(epoch: number): Iterable<Batch> {
      const batches = fixed ?? lengthBucketedBatches(lengths, batchSize, seedrandom.alea(`${seed}:${epoch}`), poolBatches);
      for (let b = 0; b < batches.length; b++) yield makeBatch(batches[b], { epoch, batch: b });
    },
  };
}
