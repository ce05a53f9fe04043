// Row-wise ("lazy") Adam for embedding tables (TrainConfig.sparseRows, FusedAdamOptimizer.applyRowSparseGradients):
// rows the batches never read keep their values bit for bit, and when every row is read the update is dense Adam's.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { adamOptimizer } from '../src/train/adam.js';
import { meanSquaredError } from '../src/train/losses.js';
import { subwordEmbedding } from '../src/layers/subword-embedding.js';
import { WeightAverage } from '../src/train/weight-average.js';
import { train } from '../src/train/trainer.js';
import { distinctRows } from '../src/train/compact-rows.js';
import type { Batch, BatchSource, TrainConfig } from '../src/train/types.js';
import { maxAbsDiff, weightValues } from './fixtures/train-fixtures.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';
const VOCAB = 40;
const WIDTH = 6;
const LENGTH = 5;

beforeAll(async () => {
  await initBackend({ backend: 'cpu', quiet: true });
});

/** Embedding → flatten → dense, seeded. */
function tableModel(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: VOCAB, outputDim: WIDTH, inputLength: LENGTH,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Batches of token rows drawn (fixed LCG) from `tokens`, with a target that depends on them; no shuffling. */
function tokenSource(tokens: number[], batches: number, batchSize: number): BatchSource {
  let s = 5;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  const rows = Array.from({ length: batches * batchSize }, () => Array.from({ length: LENGTH }, () => tokens[next() % tokens.length]));
  // Every row of `tokens` is read by the first batch when the batch is at least as long as the list.
  tokens.forEach((t, i) => (rows[Math.floor(i / LENGTH)][i % LENGTH] = t));
  const targets = rows.map((r) => [r.reduce((a, t) => a + Math.cos(t), 0) / LENGTH]);
  return {
    numBatches: () => batches,
    *batches(): Iterable<Batch> {
      for (let b = 0; b < batches; b++) {
        const part = rows.slice(b * batchSize, (b + 1) * batchSize);
        yield { xs: tf.tensor2d(part, undefined, 'int32'), ys: tf.tensor2d(targets.slice(b * batchSize, (b + 1) * batchSize)), size: part.length };
      }
    },
  };
}

async function trainTable(tokens: number[], sparse: boolean, extra: Partial<TrainConfig> = {}): Promise<{ before: number[][]; after: number[][] }> {
  const model = tableModel(3);
  const table = model.layers[0].trainableWeights[0].name;
  const before = weightValues(model);
  await train(model, { train: tokenSource(tokens, 4, 8) }, meanSquaredError, {
    epochs: 2, learningRate: 0.05, progress: 'none', handleSignals: false, seed: 1, ...extra,
    ...(sparse ? { sparseRows: (batch: Batch) => [{ variable: table, ids: batch.xs as tf.Tensor }] } : {}),
  });
  const after = weightValues(model);
  model.dispose();
  return { before, after };
}

const rowOf = (table: number[], row: number, width = WIDTH) => table.slice(row * width, (row + 1) * width);

describe.skipIf(optedOut)('row-wise (lazy) Adam on embedding tables', () => {
  it('changes only the rows the batches read, and every one of them', async () => {
    const read = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];
    const { before, after } = await trainTable(read, true);
    for (let row = 0; row < VOCAB; row++) {
      if (read.includes(row)) expect(rowOf(after[0], row), `row ${row} is read`).not.toEqual(rowOf(before[0], row));
      else expect(rowOf(after[0], row), `row ${row} is never read`).toEqual(rowOf(before[0], row));
    }
    // The other variables are updated as usual.
    expect(after[1]).not.toEqual(before[1]);
  });

  it("leaves out rows that a later batch skips, which dense Adam keeps moving", async () => {
    // Two epochs over the same batches: between the batches that read a row, dense Adam moves it by momentum.
    const source = (): BatchSource => {
      const firstOnly = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5]];
      const secondOnly = [[6, 7, 8, 9, 10], [6, 7, 8, 9, 10]];
      return {
        numBatches: () => 2,
        *batches() {
          for (const part of [firstOnly, secondOnly]) yield { xs: tf.tensor2d(part, undefined, 'int32'), ys: tf.tensor2d([[1], [1]]), size: 2 };
        },
      };
    };
    const run = async (sparse: boolean) => {
      const m = tableModel(3);
      let afterFirst: number[] = [];
      await train(m, { train: source() }, meanSquaredError, {
        epochs: 1, learningRate: 0.05, progress: 'none', handleSignals: false, seed: 1,
        ...(sparse ? { sparseRows: (batch: Batch) => [{ variable: m.layers[0].trainableWeights[0].name, ids: batch.xs as tf.Tensor }] } : {}),
        callbacks: { onBatchEnd: ({ step }) => { if (step === 1) afterFirst = weightValues(m)[0]; } },
      });
      const after = weightValues(m)[0];
      m.dispose();
      return { afterFirst, after };
    };
    const sparse = await run(true);
    const dense = await run(false);
    // Row 1 was read by the first batch only: lazy Adam leaves it where the first step put it, dense Adam does not.
    expect(rowOf(sparse.after, 1)).toEqual(rowOf(sparse.afterFirst, 1));
    expect(rowOf(dense.after, 1)).not.toEqual(rowOf(dense.afterFirst, 1));
    // After the first step, both agree (every row with a gradient so far was read).
    expect(sparse.afterFirst).toEqual(dense.afterFirst);
  });

  it('is dense Adam, bit for bit, when every batch reads every row', async () => {
    const all = Array.from({ length: VOCAB }, (_, i) => i);
    // Every batch reads every row: each batch's first rows hold all ids.
    const source = (): BatchSource => {
      const base = tokenSource(all, 4, 8);
      return {
        numBatches: () => 4,
        *batches() {
          for (const batch of base.batches(0)) {
            const rows = (batch.xs as tf.Tensor).arraySync() as number[][];
            all.forEach((t, i) => (rows[Math.floor(i / LENGTH)][i % LENGTH] = t));
            tf.dispose(batch.xs as tf.Tensor);
            yield { ...batch, xs: tf.tensor2d(rows, undefined, 'int32') };
          }
        },
      };
    };
    const run = async (sparse: boolean, clipNorm: number, averaged = false) => {
      const m = tableModel(4);
      await train(m, { train: source() }, meanSquaredError, {
        epochs: 3, learningRate: 0.05, clipNorm, progress: 'none', handleSignals: false, seed: 1,
        ...(averaged ? { weightAveraging: { decay: 0.9 } } : {}),
        ...(sparse ? { sparseRows: (batch: Batch) => [{ variable: m.layers[0].trainableWeights[0].name, ids: batch.xs as tf.Tensor }] } : {}),
      });
      const w = weightValues(m);
      m.dispose();
      return w;
    };
    // No clipping: the same float32 operations in the same order.
    expect(await run(true, 1e6)).toEqual(await run(false, 1e6));
    // With weight averaging: the model ends with the average, row by row the same bits as the dense average.
    expect(await run(true, 1e6, true)).toEqual(await run(false, 1e6, true));
    // Clipping (norm 0.01 binds every step): the norm is summed in another order, so the last bits may differ.
    const clippedSparse = await run(true, 0.01);
    const clippedDense = await run(false, 0.01);
    expect(maxAbsDiff(clippedSparse, clippedDense)).toBeLessThan(1e-6);
    expect(maxAbsDiff(clippedSparse, await run(false, 1e6))).toBeGreaterThan(1e-3);
  });

  it('takes a table\'s gradient as the rows read (no [rows × width] scatter), with the dense gradient\'s bits', async () => {
    // Words (padding-masked, as sentiment's) plus hashed n-grams (id 0 = padding) into a GRU. Batches read a few rows
    // of each table, some with padding and some without (row 0 then is not read and must not move).
    const BUCKETS = 97;
    const K = 3;
    const model = (): { model: tf.LayersModel; tables: string[] } => {
      const tokens = tf.input({ shape: [LENGTH], dtype: 'int32' });
      const ngrams = tf.input({ shape: [LENGTH, K], dtype: 'int32' });
      const wordLayer = tf.layers.embedding({
        inputDim: VOCAB, outputDim: WIDTH, maskZero: true,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 7 }),
      });
      const subwordLayer = subwordEmbedding({ buckets: BUCKETS, outputDim: WIDTH, seed: 8 });
      const both = subwordLayer.apply([wordLayer.apply(tokens) as tf.SymbolicTensor, ngrams]) as tf.SymbolicTensor;
      const state = tf.layers.gru({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 10 }) }).apply(both) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }).apply(state) as tf.SymbolicTensor;
      const built = tf.model({ inputs: [tokens, ngrams], outputs: out });
      return { model: built, tables: [wordLayer, subwordLayer].map((l) => l.trainableWeights[0].name) };
    };
    const source: BatchSource = {
      numBatches: () => 3,
      *batches() {
        for (let b = 0; b < 3; b++) {
          let s = 11 + b;
          const next = (n: number) => (s = (s * 1103515245 + 12345) % 2 ** 31) % n;
          // Batch 1 has no padding at all (row 0 of either table is not read).
          const pad = (t: number) => b !== 1 && t >= 3 + b;
          const tokens = Array.from({ length: 4 }, () => Array.from({ length: LENGTH }, (_, t) => (pad(t) ? 0 : 1 + next(12 + 8 * b))));
          const ngrams = tokens.map((row) => row.map((w) => Array.from({ length: K }, (_, k) => (w === 0 || (k === 2 && b !== 1) ? 0 : 1 + next(30 + 20 * b)))));
          yield {
            xs: [tf.tensor2d(tokens, undefined, 'int32'), tf.tensor3d(ngrams, undefined, 'int32')],
            ys: tf.tensor2d(tokens.map((r) => [r.reduce((a, t) => a + Math.sin(t), 0) / LENGTH])),
            size: 4,
          };
        }
      },
    };
    const run = async (compact: boolean, averaged = true) => {
      const { model: m, tables: [words, subwords] } = model();
      const before = weightValues(m);
      const profile = await tf.profile(() => train(m, { train: source }, meanSquaredError, {
        epochs: 2, learningRate: 0.05, clipNorm: 0.05, clipValue: 0.01, ...(averaged ? { weightAveraging: { decay: 0.9 } } : {}),
        progress: 'none', handleSignals: false, seed: 1,
        // A copy of the ids (not the batch's own input) is read through the dense gradient, as before.
        sparseRows: (batch: Batch) => {
          const [tokens, ngrams] = batch.xs as tf.Tensor[];
          return [{ variable: words, ids: compact ? tokens : tokens.clone() }, { variable: subwords, ids: compact ? ngrams : ngrams.clone() }];
        },
      }).then(() => 0));
      const scatteredRows = profile.kernels.filter((k) => k.name === 'UnsortedSegmentSum').map((k) => k.outputShapes[0]?.[0]);
      const after = weightValues(m);
      m.dispose();
      return { before, after, scatteredRows };
    };
    const compact = await run(true);
    const dense = await run(false);
    expect(compact.after).toEqual(dense.after);
    expect(maxAbsDiff(compact.after, compact.before)).toBeGreaterThan(1e-3);
    // The dense path scatters into whole tables; the compact one only into the rows a batch reads.
    expect(dense.scatteredRows).toContain(VOCAB);
    expect(dense.scatteredRows).toContain(BUCKETS + 1);
    expect(compact.scatteredRows.length).toBeGreaterThan(0);
    expect(compact.scatteredRows.every((rows) => rows !== undefined && rows < 40)).toBe(true);
    // Without the average (whose rounding touches every row), rows no batch reads keep their bits: words 29..,
    // n-grams 71.. (the weights are words, n-grams, GRU, dense).
    const plain = await run(true, false);
    expect(plain.after).toEqual((await run(false, false)).after);
    for (let row = 29; row < VOCAB; row++) expect(rowOf(plain.after[0], row)).toEqual(rowOf(plain.before[0], row));
    for (let row = 71; row <= BUCKETS; row++) expect(rowOf(plain.after[1], row)).toEqual(rowOf(plain.before[1], row));
    expect(rowOf(plain.after[1], 5)).not.toEqual(rowOf(plain.before[1], 5));
  });

  it('writes a table in place only while no other tensor shares its values', () => {
    const table = tf.variable(tf.zeros([5, 2]), true, 'in_place_table');
    const optimizer = adamOptimizer(0.1);
    const step = () => optimizer.applyRowSparseGradients([['in_place_table', null]], new Map([['in_place_table', { rows: Int32Array.from([1, 3]), values: Float32Array.from([1, 1, -1, -1]) }]]));
    step();
    const made = table.dataSync();
    step(); // in place: the array the first step made, held by the table alone
    expect(table.dataSync()).toBe(made);
    const snapshot = tf.clone(table); // shares the array, as early stopping's best copy does
    const seen = Array.from(snapshot.dataSync());
    step();
    expect(Array.from(snapshot.dataSync())).toEqual(seen);
    expect(Array.from(table.dataSync())).not.toEqual(seen);
    snapshot.dispose();
    const held = Array.from(table.dataSync());
    step(); // the copy the previous step made is the table's own again
    expect(Array.from(table.dataSync())).not.toEqual(held);
    expect(rowOf(Array.from(table.dataSync()), 0, 2)).toEqual([0, 0]);
    optimizer.dispose();
    table.dispose();
  });

  it('keeps the tensor count flat', async () => {
    await trainTable([1, 2, 3], true);
    const before = tf.memory().numTensors;
    await trainTable([1, 2, 3], true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is refused with another optimizer, with l2, or for a variable the model lacks', async () => {
    await expect(trainTable([1], true, { optimizer: 'sgd' })).rejects.toThrow(/sparseRows .*needs optimizer 'adam'/);
    await expect(trainTable([1], true, { l2: 1e-4 })).rejects.toThrow(/sparseRows and l2/);
    const model = tableModel(3);
    await expect(train(model, { train: tokenSource([1], 1, 2) }, meanSquaredError, {
      epochs: 1, learningRate: 0.05, progress: 'none', handleSignals: false,
      sparseRows: (batch) => [{ variable: 'no_such_table', ids: batch.xs as tf.Tensor }],
    })).rejects.toThrow(/no trainable variable named "no_such_table"/);
    model.dispose();
  });
});

describe('distinctRows', () => {
  it('lists the rows read once each, increasing; clamps ids out of range, or refuses them when strict', () => {
    const ids = [7, 0, 3, 7, 3];
    expect([...distinctRows(ids, 10)]).toEqual([0, 3, 7]);
    expect([...(distinctRows(ids, 10, true) ?? [])]).toEqual([0, 3, 7]);
    // The dense path reads an id past either end as the nearest row.
    expect([...distinctRows([12, -4, 5], 10)]).toEqual([0, 5, 9]);
    expect(distinctRows([12, 5], 10, true)).toBeNull();
    expect(distinctRows([-1, 5], 10, true)).toBeNull();
    expect(distinctRows([2.5], 10, true)).toBeNull();
    expect(distinctRows([], 10).length).toBe(0);
  });
});

describe('WeightAverage row by row', () => {
  /** A table whose rows change at some steps only; both averages see the same weights at every step. */
  it("equals the dense average when the steps a row missed are folded in later", () => {
    const rowsOfTable = 12;
    const width = 3;
    const denseTable = tf.variable(tf.randomUniform([rowsOfTable, width], -1, 1, 'float32', 9), true, 'dense_table');
    const lazyTable = tf.variable(denseTable.clone(), true, 'lazy_table');
    const dense = new WeightAverage([denseTable], 0.95);
    const lazy = new WeightAverage([lazyTable], 0.95);
    let s = 3;
    const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
    const check = () => {
      dense.swapIn();
      lazy.swapIn();
      const diff = maxAbsDiff([Array.from(denseTable.dataSync())], [Array.from(lazyTable.dataSync())]);
      dense.swapOut();
      lazy.swapOut();
      return diff;
    };
    for (let step = 0; step < 200; step++) {
      const rows = Int32Array.from(new Set(Array.from({ length: 3 }, () => next() % rowsOfTable))).sort();
      lazy.catchUpRows(new Map([['lazy_table', rows]]));
      const moved = (denseTable.dataSync() as Float32Array).slice();
      for (const row of rows) for (let k = 0; k < width; k++) moved[row * width + k] += ((next() % 1000) - 500) / 1000;
      denseTable.assign(tf.tensor(moved, [rowsOfTable, width]));
      lazyTable.assign(tf.tensor(moved.slice(), [rowsOfTable, width]));
      dense.update();
      lazy.update(new Map([['lazy_table', rows]]));
      // Reading the average mid-way (validation, checkpoints) folds every row in; training goes on afterwards.
      if (step === 57 || step === 120) expect(check()).toBeLessThan(1e-5);
    }
    expect(check()).toBeLessThan(1e-5);
    tf.dispose([denseTable, lazyTable]);
    dense.dispose();
    lazy.dispose();
  });

  it('refuses a step on a row that was not caught up', () => {
    const table = tf.variable(tf.zeros([4, 2]), true, 'refused_table');
    const average = new WeightAverage([table], 0.9);
    average.update(new Map([['refused_table', Int32Array.from([1])]]));
    average.update();
    expect(() => average.update(new Map([['refused_table', Int32Array.from([2])]]))).toThrow(/row 2 of "refused_table" was not caught up/);
    table.dispose();
    average.dispose();
  });
});
