import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/io/model-dir.js';
import { meanSquaredError } from '../src/train/losses.js';
import { train } from '../src/train/trainer.js';
import type { TrainConfig } from '../src/train/types.js';
import { blend, WeightAverage } from '../src/train/weight-average.js';
import { linearData, maxAbsDiff, mlp, rowSource, weightValues } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ema-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const { xs, ys } = linearData(48);
const data = () => ({ train: rowSource(xs, ys, 8), val: rowSource(xs.slice(0, 16), ys.slice(0, 16), 8, false) });
const cfg: TrainConfig = { epochs: 3, learningRate: 0.05, progress: 'none', seed: 4, weightAveraging: { decay: 0.9 } };

/** The moving average the trainer should keep, computed here in plain numbers from the weights after every step. */
function expectedAverage(start: number[][], steps: number[][][], decay: number): number[][] {
  const avg = start.map((w) => [...w]);
  steps.forEach((weights, n) => {
    const d = Math.min(decay, (1 + n) / (10 + n));
    weights.forEach((w, i) => w.forEach((v, j) => (avg[i][j] = d * avg[i][j] + (1 - d) * v)));
  });
  return avg;
}

describe('blend', () => {
  it('gives the same float32 bits as tfjs mul, mul, add, in one tensor, for values of every magnitude', () => {
    let state = 12345;
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = (n: number) => Float32Array.from({ length: n }, (_, i) => (next() - 0.5) * 10 ** ((i % 13) - 6));
    const a = tf.tensor2d(values(6000), [100, 60]);
    const w = tf.tensor2d(values(6000), [100, 60]);
    for (const d of [0.1, 0.5, 0.9, 0.999, 1 / 3]) {
      const before = tf.memory().numTensors;
      const fused = blend(a, w, d);
      const ops = tf.tidy(() => tf.add(tf.mul(a, d), tf.mul(w, 1 - d)));
      expect(fused.shape).toEqual([100, 60]);
      const got = fused.dataSync();
      const want = ops.dataSync();
      let differing = 0;
      for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want[i])) differing += 1;
      expect(differing).toBe(0);
      tf.dispose([fused, ops]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([a, w]);
  });
});

describe('WeightAverage', () => {
  it('averages with the ramped decay, swaps in and out, and leaves no tensors behind', () => {
    const v = tf.variable(tf.tensor1d([0, 10]));
    const before = tf.memory().numTensors;
    const avg = new WeightAverage([v], 0.5);
    const set = (values: number[]) => tf.tidy(() => v.assign(tf.tensor1d(values)));
    set([4, 2]);
    avg.update(); // d = min(0.5, 1/10) = 0.1: 0.1 · [0, 10] + 0.9 · [4, 2]
    set([8, 0]);
    avg.update(); // d = min(0.5, 2/11)
    const d = 2 / 11;
    const expected = [0.1 * 0 + 0.9 * 4, 0.1 * 10 + 0.9 * 2].map((a, i) => d * a + (1 - d) * [8, 0][i]);
    avg.swapIn();
    expect(Array.from(v.dataSync())).toEqual(expected.map((x) => expect.closeTo(x, 5)));
    expect(() => avg.update()).toThrow(/swapped in/);
    avg.swapOut();
    expect(Array.from(v.dataSync())).toEqual([8, 0]);
    for (let i = 0; i < 5; i++) {
      avg.update();
      avg.swapIn();
      avg.swapOut();
    }
    avg.dispose();
    expect(tf.memory().numTensors).toBe(before);
    v.dispose();
    expect(() => new WeightAverage([], 1)).toThrow('weightAveraging.decay must be in (0, 1), got 1');
  });
});

describe('train with weightAveraging', () => {
  it('hands back the moving average of the per-step weights, and validates it', async () => {
    const model = mlp(2);
    const start = weightValues(model);
    const steps: number[][][] = [];
    const validated: number[][][] = [];
    await train(model, data(), meanSquaredError, {
      ...cfg,
      callbacks: {
        onBatchEnd: () => void steps.push(weightValues(model)),
        onEpochEnd: (_log, m) => void validated.push(weightValues(m)),
      },
    });
    expect(steps).toHaveLength(18);
    const expected = expectedAverage(start, steps, 0.9);
    expect(maxAbsDiff(weightValues(model), expected)).toBeLessThan(1e-5);
    // The epoch-end model (validation, callbacks) is the average too, not the last step's weights.
    expect(maxAbsDiff(validated[2], expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(steps[17], expected)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('early stopping keeps and restores the average of the best epoch', async () => {
    const model = mlp(6);
    const val = rowSource(xs, ys.map(([y]) => [-y]), 16, false); // learning the training set makes this worse
    const snapshots: number[][][] = [];
    const res = await train(model, { train: data().train, val }, meanSquaredError, {
      ...cfg, epochs: 20, earlyStopping: { patience: 2 },
      callbacks: { onEpochEnd: (_log, m) => void snapshots.push(weightValues(m)) },
    });
    expect(res.stopReason).toBe('early-stopping');
    expect(weightValues(model)).toEqual(snapshots[res.bestEpoch - 1]);
    model.dispose();
  });

  it('checkpoints hold the average as the model and the training weights beside it; resume is bit-identical', async () => {
    const full = mlp(1);
    const fullRes = await train(full, data(), meanSquaredError, { ...cfg, epochs: 4 });

    const dir = path.join(root, 'resume');
    const first = mlp(1);
    const start = weightValues(first);
    const steps: number[][][] = [];
    // Killed after global step 17 (epoch 3, step 5); the last checkpoint is the mid-epoch one after step 16.
    await expect(train(first, data(), meanSquaredError, {
      ...cfg, epochs: 4, checkpointDir: dir, checkpointEverySteps: 4,
      callbacks: {
        onBatchEnd: (info) => {
          steps.push(weightValues(first));
          if (info.globalStep === 17) throw new Error('killed');
        },
      },
    })).rejects.toThrow('killed');
    first.dispose();
    expect(fs.readdirSync(path.join(dir, 'last')).sort()).toEqual([
      'model.json', 'optimizer.bin', 'optimizer.json', 'rnnkit.json', 'train-state.json', 'training-weights.bin', 'training-weights.json', 'weights.bin',
    ]);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'train-state.json'), 'utf8'));
    expect(state).toMatchObject({ epoch: 2, stepInEpoch: 4, globalStep: 16, weightAveraging: { decay: 0.9, updates: 16 } });
    // `last/` loads as the average of the first 16 steps (what an evaluation of it should see).
    const last = await loadModelDir(path.join(dir, 'last'));
    expect(maxAbsDiff(weightValues(last.model), expectedAverage(start, steps.slice(0, 16), 0.9))).toBeLessThan(1e-5);
    last.model.dispose();

    const resumed = mlp(77);
    const res = await train(resumed, data(), meanSquaredError, { ...cfg, epochs: 4, checkpointDir: dir, checkpointEverySteps: 4, resume: true });
    expect(maxAbsDiff(weightValues(resumed), weightValues(full))).toBe(0);
    expect(res.history.map((h) => [h.loss, h.val_loss])).toEqual(fullRes.history.map((h) => [h.loss, h.val_loss]));

    // Resuming with other averaging settings is refused naming the state file.
    await expect(train(resumed, data(), meanSquaredError, { ...cfg, epochs: 5, checkpointDir: dir, resume: true, weightAveraging: { decay: 0.99 } }))
      .rejects.toThrow(/train-state\.json: the checkpoint averaged with decay 0\.9 but this run asks for 0\.99/);
    const { weightAveraging: _, ...plain } = cfg;
    await expect(train(resumed, data(), meanSquaredError, { ...plain, epochs: 5, checkpointDir: dir, resume: true }))
      .rejects.toThrow(/train-state\.json: the checkpoint was trained with weight averaging but this run has none/);
    [full, resumed].forEach((m) => m.dispose());
  });

  it('leaves no tensors behind across training, checkpoints and resume', async () => {
    const dir = path.join(root, 'leak');
    const model = mlp(1);
    const before = tf.memory().numTensors;
    const leakCfg: TrainConfig = { ...cfg, epochs: 1, checkpointDir: dir, earlyStopping: { patience: 3 } };
    await train(model, data(), meanSquaredError, leakCfg);
    await train(model, data(), meanSquaredError, { ...leakCfg, epochs: 2, resume: true });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
