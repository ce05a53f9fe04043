import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meanSquaredError } from '../src/train/losses.js';
import { train } from '../src/train/trainer.js';
import { linearData, mlp, rowSource } from './fixtures/train-fixtures.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-callbacks-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const { xs, ys } = linearData(64);

describe('callbacks can stop training', () => {
  it("onBatchEnd 'stop' ends the epoch after that step (validated, logged, checkpointed) and then training", async () => {
    const model = mlp(1);
    const dir = path.join(root, 'batch');
    const res = await train(model, { train: rowSource(xs, ys, 8), val: rowSource(xs, ys, 16, false) }, meanSquaredError, {
      epochs: 5, learningRate: 0.02, progress: 'none', seed: 1, checkpointDir: dir,
      callbacks: { onBatchEnd: (info) => (info.epoch === 2 && info.step === 3 ? 'stop' : undefined) },
    });
    expect(res.stopReason).toBe('callback');
    expect(res.history).toHaveLength(2);
    expect(res.history[1]).toMatchObject({ epoch: 2, steps: 3, partial: true });
    expect(res.history[1].val_loss).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, 'last', 'train-state.json'))).toBe(true);
    model.dispose();
  });

  it("onEpochEnd 'stop' ends training after that epoch", async () => {
    const model = mlp(1);
    const res = await train(model, { train: rowSource(xs, ys, 8) }, meanSquaredError, {
      epochs: 5, learningRate: 0.02, progress: 'none', seed: 1,
      callbacks: { onEpochEnd: (log) => (log.epoch === 3 ? 'stop' : undefined) },
    });
    expect(res.stopReason).toBe('callback');
    expect(res.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(res.history[2].partial).toBeUndefined();
    model.dispose();
  });
});
