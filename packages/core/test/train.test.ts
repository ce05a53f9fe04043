import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import { setSeed } from '../src/random.js';
import { meanSquaredError, sparseCategoricalCrossentropy } from '../src/train/losses.js';
import { stepDecay } from '../src/train/schedules.js';
import { train } from '../src/train/trainer.js';
import type { BatchSource, TrainConfig } from '../src/train/types.js';
import { linearData, maxAbsDiff, mlp, rowSource, weightValues } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-train-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const base: TrainConfig = { epochs: 3, learningRate: 0.02, progress: 'none', seed: 1 };
const { xs, ys } = linearData(64);
const source = () => rowSource(xs, ys, 8);

async function trainError(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RnnkitError);
  return err as Error;
}

describe('train', () => {
  it('learns a linear map: loss falls far below its starting value', async () => {
    const model = mlp(1);
    const res = await train(model, { train: source(), val: rowSource(xs.slice(0, 16), ys.slice(0, 16), 8, false) }, meanSquaredError, {
      ...base,
      epochs: 30,
    });
    expect(res.history).toHaveLength(30);
    expect(res.stopReason).toBe('completed');
    expect(res.history[29].loss).toBeLessThan(0.05 * res.history[0].loss);
    expect(res.history[29].val_loss).toBeLessThan(0.05);
    expect(res.monitor).toBe('val_loss');
    model.dispose();
  });

  it('does not leak tensors: numTensors is flat across 20 steps and back to the start afterwards', async () => {
    const model = mlp(2);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(model, { train: source() }, meanSquaredError, {
      ...base,
      epochs: 3,
      clipNorm: 1,
      clipValue: 5,
      l2: 1e-3,
      callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(24);
    // after step 1 the optimizer has created its slots; from then on nothing may accumulate
    expect(new Set(counts.slice(1, 21)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('same seed → identical loss history; another seed → a different one', async () => {
    const run = async (seed: number) => {
      setSeed(seed);
      const model = mlp(3);
      const res = await train(model, { train: source() }, meanSquaredError, { ...base, seed });
      model.dispose();
      return res.history.map((h) => h.loss);
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('clipNorm bounds the update and reports the pre-clip gradient norm', async () => {
    const model = mlp(4);
    const norms: number[] = [];
    await train(model, { train: source() }, meanSquaredError, {
      ...base,
      epochs: 1,
      optimizer: 'sgd',
      learningRate: 0.1,
      clipNorm: 0.01,
      callbacks: { onBatchEnd: (i) => void norms.push(i.gradNorm!) },
    });
    expect(norms).toHaveLength(8);
    expect(Math.min(...norms)).toBeGreaterThan(0.01); // so every step was clipped
    model.dispose();
  });

  it('applies the schedule to the optimizer each epoch', async () => {
    const model = mlp(5);
    const seen: number[] = [];
    const res = await train(model, { train: source() }, meanSquaredError, {
      ...base,
      epochs: 4,
      learningRate: 0.1,
      schedule: stepDecay({ factor: 0.5, everyEpochs: 1 }),
      callbacks: { onBatchEnd: (i) => void seen.push(i.lr) },
    });
    expect(res.history.map((h) => h.lr)).toEqual([0.1, 0.05, 0.025, 0.0125]);
    expect(seen[seen.length - 1]).toBe(0.0125);
    model.dispose();
  });

  it('early stopping stops when val loss worsens and restores the best weights', async () => {
    // validation targets are the negation of the training targets, so learning the training set makes val worse
    const model = mlp(6);
    const val = rowSource(xs, ys.map(([y]) => [-y]), 16, false);
    const snapshots: number[][][] = [];
    const res = await train(model, { train: source(), val }, meanSquaredError, {
      ...base,
      epochs: 20,
      learningRate: 0.05,
      earlyStopping: { patience: 2 },
      callbacks: { onEpochEnd: (_log, m) => void snapshots.push(weightValues(m)) },
    });
    const vals = res.history.map((h) => h.val_loss!);
    expect(res.stoppedEarly).toBe(true);
    expect(res.stopReason).toBe('early-stopping');
    expect(res.history.length).toBe(res.bestEpoch + 2);
    expect(res.best).toBe(Math.min(...vals));
    expect(vals[vals.length - 1]).toBeGreaterThan(res.best!);
    expect(weightValues(model)).toEqual(snapshots[res.bestEpoch - 1]);
    expect(maxAbsDiff(weightValues(model), snapshots[snapshots.length - 1])).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it('time and step budgets cut epochs short', async () => {
    const model = mlp(7);
    const res = await train(model, { train: source() }, meanSquaredError, { ...base, epochs: 2, maxStepsPerEpoch: 3 });
    expect(res.history.map((h) => h.steps)).toEqual([3, 3]);
    const timed = await train(model, { train: source() }, meanSquaredError, {
      ...base,
      epochs: 50,
      maxSeconds: 0.001,
    });
    expect(timed.stopReason).toBe('time-budget');
    expect(timed.history).toHaveLength(1);
    expect(timed.history[0].partial).toBe(true);
    model.dispose();
  });

  it('writes a JSONL metrics log with step and epoch lines', async () => {
    const model = mlp(8);
    const file = path.join(root, 'logs', 'metrics.jsonl');
    await train(model, { train: source(), val: source() }, meanSquaredError, { ...base, epochs: 2, metricsLog: file, logEverySteps: 4 });
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => l.type === 'step');
    const epochs = lines.filter((l) => l.type === 'epoch');
    expect(steps.map((l) => l.global_step)).toEqual([4, 8, 12, 16]);
    expect(epochs.map((l) => l.epoch)).toEqual([1, 2]);
    for (const l of [...steps, ...epochs]) {
      expect(typeof l.loss).toBe('number');
      expect(typeof l.lr).toBe('number');
      expect(typeof l.elapsed_s).toBe('number');
    }
    expect(typeof epochs[0].val_loss).toBe('number');
    expect(lines[lines.length - 1]).toMatchObject({ type: 'end', stop_reason: 'completed' });
    model.dispose();
  });

  it('trains a masked sequence model ([B,T] targets and mask) without leaking', async () => {
    // next-token prediction on the cycle 1 2 3 4 1 2 ...; the last two positions of every row are padding
    const T = 6;
    const rows = Array.from({ length: 16 }, (_, r) => Array.from({ length: T + 1 }, (_, t) => ((r + t) % 4) + 1));
    const seqSource: BatchSource = {
      numBatches: () => 2,
      *batches() {
        for (let b = 0; b < 16; b += 8) {
          const chunk = rows.slice(b, b + 8);
          yield {
            xs: tf.tensor2d(chunk.map((r) => r.slice(0, T)), undefined, 'int32'),
            ys: tf.tensor2d(chunk.map((r) => r.slice(1)), undefined, 'int32'),
            weights: tf.tensor2d(chunk.map(() => [1, 1, 1, 1, 0, 0])),
            size: chunk.length,
          };
        }
      },
    };
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 5, outputDim: 4, inputLength: T, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 1 }) }),
        tf.layers.lstm({ units: 8, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    const counts: number[] = [];
    const res = await train(
      model,
      { train: seqSource },
      (yTrue, yPred, w) => sparseCategoricalCrossentropy(yTrue, yPred, w, { fromLogits: true }),
      { ...base, epochs: 20, learningRate: 0.08, clipNorm: 5, callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) } },
    );
    expect(res.history[0].loss).toBeGreaterThan(1.3); // ~ln 5 untrained
    expect(res.history[19].loss).toBeLessThan(0.1);
    expect(new Set(counts.slice(1)).size).toBe(1);
    model.dispose();
  });

  it('supports the forward form for multi-output models', async () => {
    const input = tf.input({ shape: [3] });
    const hidden = tf.layers.dense({ units: 8, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
    const reg = tf.layers.dense({ units: 1 }).apply(hidden) as tf.SymbolicTensor;
    const cls = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: [reg, cls] });
    const res = await train(
      model,
      { train: source() },
      {
        forward: (m, batch, training) =>
          tf.tidy(() => {
            const [yReg, yCls] = m.apply(batch.xs, { training }) as tf.Tensor[];
            const ys = batch.ys as tf.Tensor;
            const sign = ys.greater(0).toInt().reshape([-1]);
            return tf.add(meanSquaredError(ys, yReg), sparseCategoricalCrossentropy(sign, yCls)) as tf.Scalar;
          }),
      },
      { ...base, epochs: 5 },
    );
    expect(res.history[4].loss).toBeLessThan(res.history[0].loss);
    model.dispose();
  });
});

describe('train reports bad input clearly', () => {
  it('empty dataset', async () => {
    const empty: BatchSource = { numBatches: () => 0, batches: () => [] };
    const err = await trainError(train(mlp(9), { train: empty }, meanSquaredError, base));
    expect(err.message).toMatch(/training data is empty/);
    const lying: BatchSource = { numBatches: () => 3, batches: () => [] };
    expect((await trainError(train(mlp(9), { train: lying }, meanSquaredError, base))).message).toMatch(/no batches in epoch 1/);
  });

  it('targets that do not match the model output name both shapes', async () => {
    const model = mlp(10, 3, 2); // two outputs per row, but targets have one
    const err = await trainError(train(model, { train: source() }, meanSquaredError, base));
    expect(err.message).toMatch(/epoch 1, step 1: .*targets shape \[8,1\] does not match predictions shape \[8,2\]/);
    model.dispose();
  });

  it('inputs that do not match the model name the location', async () => {
    const model = mlp(10, 5); // expects 5 features, gets 3
    const before = tf.memory().numTensors;
    const err = await trainError(train(model, { train: source() }, meanSquaredError, base));
    expect(err.message).toMatch(/epoch 1, step 1: batch input 0 has shape \[8,3\] but the model's input ".*" expects \[any,5\]/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('NaN loss stops with epoch/step and a hint, without touching the weights', async () => {
    const bad = xs.map((row, i) => (i === 20 ? [NaN, row[1], row[2]] : row));
    const model = mlp(11);
    const before = tf.memory().numTensors;
    const weights: number[][][] = [];
    const err = await trainError(
      train(model, { train: rowSource(bad, ys, 8, false) }, meanSquaredError, {
        ...base,
        callbacks: { onBatchEnd: () => void weights.push(weightValues(model)) },
      }),
    );
    // row 20 lives in batch 3 (rows 16..23) of the unshuffled source
    expect(err.message).toMatch(/epoch 1, step 3: loss is NaN: training diverged\. Try a lower learningRate .*clipNorm/);
    expect(weightValues(model)).toEqual(weights[1]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('invalid config values name the field', async () => {
    const err = await trainError(train(mlp(12), { train: source() }, meanSquaredError, { ...base, learningRate: -1 }));
    expect(err.message).toMatch(/learningRate must be a positive number/);
  });
});
