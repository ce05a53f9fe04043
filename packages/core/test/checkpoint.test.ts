import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../src/io/model-dir.js';
import { meanSquaredError } from '../src/train/losses.js';
import { reduceOnPlateau } from '../src/train/schedules.js';
import { train } from '../src/train/trainer.js';
import type { TrainConfig } from '../src/train/types.js';
import { linearData, maxAbsDiff, mlp, rowSource, weightValues } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-ckpt-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const { xs, ys } = linearData(48);
// train and val sources shuffle with core's global generator, so equivalence also needs its state restored
const data = () => ({ train: rowSource(xs, ys, 8), val: rowSource(xs.slice(0, 16), ys.slice(0, 16), 8) });

async function uninterrupted(cfg: TrainConfig) {
  const model = mlp(1);
  const res = await train(model, data(), meanSquaredError, cfg);
  const w = weightValues(model);
  model.dispose();
  return { res, w };
}

describe('checkpoints and resume', () => {
  it('writes last/ and best/ as loadable model dirs with train state and optimizer slots', async () => {
    const dir = path.join(root, 'layout');
    const model = mlp(1);
    const checkpointRecord = { app: { name: 'demo', version: '0.0.1' }, config: { epochs: 2 }, extras: { vocab: ['a', 'b'] } };
    const res = await train(model, data(), meanSquaredError, {
      epochs: 2, learningRate: 0.01, progress: 'none', seed: 3, checkpointDir: dir, checkpointRecord,
    });
    for (const sub of ['last', 'best']) {
      expect(fs.readdirSync(path.join(dir, sub)).sort()).toEqual(
        ['model.json', 'optimizer.bin', 'optimizer.json', 'rnnkit.json', 'train-state.json', 'weights.bin'],
      );
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['best', 'last']); // no temp or backup dirs left behind
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'train-state.json'), 'utf8'));
    expect(state).toMatchObject({ epoch: 2, stepInEpoch: 0, globalStep: 12, optimizer: 'adam' });
    expect(state.history).toHaveLength(2);
    const last = await loadModelDir(path.join(dir, 'last'));
    expect(last.extras).toEqual({ vocab: ['a', 'b'] });
    expect(last.meta).toMatchObject({ app: { name: 'demo', version: '0.0.1' }, config: { epochs: 2 } });
    expect(last.meta.metrics).toMatchObject({ epoch: 2, loss: res.history[1].loss, val_loss: res.history[1].val_loss });
    expect(weightValues(last.model)).toEqual(weightValues(model));
    // best/ records the same run and the epoch log it was taken after (the best val_loss so far)
    const best = await loadModelDir(path.join(dir, 'best'));
    expect(best.extras).toEqual({ vocab: ['a', 'b'] });
    expect(best.meta.app).toEqual({ name: 'demo', version: '0.0.1' });
    expect(best.meta.metrics).toMatchObject({ epoch: res.bestEpoch, val_loss: res.best });
    [model, last.model, best.model].forEach((m) => m.dispose());
  });

  for (const optimizer of ['sgd', 'adam', 'rmsprop'] as const) {
    it(`resume continues from the saved epoch and matches an uninterrupted run (${optimizer})`, async () => {
      const cfg: TrainConfig = {
        epochs: 4, learningRate: optimizer === 'sgd' ? 0.05 : 0.01, optimizer, progress: 'none', seed: 5,
        schedule: reduceOnPlateau({ factor: 0.5, patience: 1 }),
      };
      const full = await uninterrupted(cfg);

      const dir = path.join(root, `resume-${optimizer}`);
      const first = mlp(1);
      await train(first, data(), meanSquaredError, { ...cfg, epochs: 2, checkpointDir: dir });
      const epoch2 = weightValues(first);
      first.dispose();

      // a fresh process would rebuild the model with other random weights: resume must overwrite them all
      const second = mlp(99);
      const epochsSeen: number[] = [];
      const res = await train(second, data(), meanSquaredError, {
        ...cfg,
        schedule: reduceOnPlateau({ factor: 0.5, patience: 1 }),
        checkpointDir: dir,
        resume: true,
        callbacks: { onEpochEnd: (log) => void epochsSeen.push(log.epoch) },
      });
      expect(epochsSeen).toEqual([3, 4]);
      expect(res.epochsRun).toBe(2);
      expect(res.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
      const diff = maxAbsDiff(weightValues(second), full.w);
      // Every optimizer restores bit-identically (Adam saves its beta^t products, see adam.ts).
      expect(diff).toBe(0);
      expect(res.history.map((h) => [h.loss, h.val_loss, h.lr])).toEqual(full.res.history.map((h) => [h.loss, h.val_loss, h.lr]));
      // the run really moved: resumed weights are far from the fresh model's and from the epoch-2 checkpoint
      expect(maxAbsDiff(full.w, epoch2)).toBeGreaterThan(1e-3);
      second.dispose();
    });
  }

  it('checkpointEverySteps: a run killed mid-epoch resumes there with the same batches and dropout masks, bit-identically', async () => {
    // Dropout draws a fresh mask from core's PRNG on every step (run-model.ts), so the PRNG state at the step matters.
    const withDropout = (seed: number) => {
      const x = tf.input({ shape: [3] });
      const h = tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(x);
      const d = tf.layers.dropout({ rate: 0.3, seed: 1 }).apply(h);
      const y = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(d);
      return tf.model({ inputs: x, outputs: y as tf.SymbolicTensor });
    };
    const cfg: TrainConfig = { epochs: 2, learningRate: 0.01, progress: 'none', seed: 8, checkpointEverySteps: 2 };
    const full = withDropout(1);
    const fullRes = await train(full, data(), meanSquaredError, cfg);

    const dir = path.join(root, 'mid-epoch');
    const killed = withDropout(1);
    // A "kill" after step 4 of epoch 2 (global step 10): the last checkpoint is the one after global step 10.
    const crash = new Error('killed');
    await expect(train(killed, data(), meanSquaredError, {
      ...cfg, checkpointDir: dir, callbacks: { onBatchEnd: (info) => { if (info.globalStep === 11) throw crash; } },
    })).rejects.toThrow('killed');
    killed.dispose();
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'train-state.json'), 'utf8'));
    expect(state).toMatchObject({ epoch: 1, stepInEpoch: 4, globalStep: 10 });
    expect(state.rngStateInEpoch).toBeDefined();

    const resumed = withDropout(99);
    const res = await train(resumed, data(), meanSquaredError, { ...cfg, checkpointDir: dir, resume: true });
    expect(maxAbsDiff(weightValues(resumed), weightValues(full))).toBe(0);
    expect(res.history.map((h) => [h.loss, h.val_loss])).toEqual(fullRes.history.map((h) => [h.loss, h.val_loss]));
    [full, resumed].forEach((m) => m.dispose());
  });

  it('resume without a checkpoint starts fresh; resume after the last epoch trains nothing more', async () => {
    const dir = path.join(root, 'fresh');
    const model = mlp(1);
    const metricsLog = path.join(root, 'fresh.jsonl');
    fs.writeFileSync(metricsLog, '{"type":"epoch","from":"an unrelated older run"}\n');
    const cfg: TrainConfig = { epochs: 1, learningRate: 0.01, progress: 'none', seed: 1, checkpointDir: dir, resume: true, metricsLog };
    const a = await train(model, data(), meanSquaredError, cfg);
    expect(a.epochsRun).toBe(1);
    const types = () => fs.readFileSync(metricsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l).type);
    expect(types()).toEqual(['start', 'epoch', 'end']); // fresh run: the old log was replaced
    const before = weightValues(model);
    const b = await train(model, data(), meanSquaredError, cfg);
    expect(b.epochsRun).toBe(0);
    expect(b.history).toHaveLength(1);
    expect(weightValues(model)).toEqual(before);
    expect(types()).toEqual(['start', 'epoch', 'end', 'start', 'end']); // resumed run: appended
    model.dispose();
  });

  it('resume with a different optimizer is refused, naming train-state.json', async () => {
    const dir = path.join(root, 'fresh');
    const model = mlp(1);
    await expect(
      train(model, data(), meanSquaredError, { epochs: 2, learningRate: 0.01, optimizer: 'sgd', progress: 'none', checkpointDir: dir, resume: true }),
    ).rejects.toThrow(/train-state\.json: the checkpoint was trained with optimizer "adam" but the config asks for "sgd"/);
    model.dispose();
  });

  it('leaves no tensors behind across save and resume', async () => {
    const dir = path.join(root, 'leak');
    const model = mlp(1);
    const before = tf.memory().numTensors;
    const cfg: TrainConfig = { epochs: 1, learningRate: 0.01, progress: 'none', seed: 1, checkpointDir: dir, earlyStopping: { patience: 3 } };
    await train(model, data(), meanSquaredError, cfg);
    await train(model, data(), meanSquaredError, { ...cfg, epochs: 2, resume: true });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
