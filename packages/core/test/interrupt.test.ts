import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meanSquaredError } from '../src/train/losses.js';
import { train } from '../src/train/trainer.js';
import type { TrainConfig } from '../src/train/types.js';
import { linearData, mlp, rowSource, weightValues } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-interrupt-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const { xs, ys } = linearData(48);
const data = () => ({ train: rowSource(xs, ys, 8), val: rowSource(xs.slice(0, 16), ys.slice(0, 16), 8) });
const cfg: TrainConfig = { epochs: 3, learningRate: 0.05, optimizer: 'sgd', progress: 'none', seed: 9 };

describe('SIGINT / SIGTERM during training', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: finishes the step, saves last/, returns interrupted, and resume matches an uninterrupted run`, async () => {
      const reference = mlp(1);
      await train(reference, data(), meanSquaredError, cfg);

      const dir = path.join(root, signal);
      const listenersBefore = process.listenerCount(signal);
      const model = mlp(1);
      let sentAt = 0;
      const res = await train(model, data(), meanSquaredError, {
        ...cfg,
        checkpointDir: dir,
        callbacks: {
          onBatchEnd: (info) => {
            if (info.epoch === 2 && info.step === 3) {
              sentAt = info.globalStep;
              // a real signal to this process: Node would exit unless the trainer's handler is installed
              process.kill(process.pid, signal);
            }
          },
        },
      });
      expect(res.interrupted).toBe(true);
      expect(res.stopReason).toBe('interrupted');
      expect(process.listenerCount(signal)).toBe(listenersBefore);
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'train-state.json'), 'utf8'));
      expect(state.epoch).toBe(1); // 0-based: the second epoch, mid-way
      // the signal is handled on the next trip through the event loop: at most one more step runs
      expect(state.globalStep - sentAt).toBeLessThanOrEqual(1);
      expect(state.stepInEpoch).toBe(state.globalStep - 6);
      expect(weightValues(model)).not.toEqual(weightValues(reference));
      model.dispose();

      const resumed = mlp(2);
      const after = await train(resumed, data(), meanSquaredError, { ...cfg, checkpointDir: dir, resume: true });
      expect(after.interrupted).toBe(false);
      expect(after.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
      expect(weightValues(resumed)).toEqual(weightValues(reference));
      [reference, resumed].forEach((m) => m.dispose());
    });
  }

  it('without a checkpointDir it still stops cleanly and leaks nothing', async () => {
    const model = mlp(3);
    const before = tf.memory().numTensors;
    const res = await train(model, data(), meanSquaredError, {
      ...cfg,
      epochs: 50,
      callbacks: { onBatchEnd: (i) => void (i.globalStep === 2 && process.emit('SIGINT', 'SIGINT')) },
    });
    expect(res.interrupted).toBe(true);
    expect(res.history).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
