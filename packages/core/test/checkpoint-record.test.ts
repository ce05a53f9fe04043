import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { RnnkitError } from '../src/errors.js';
import type { ModelRecord } from '../src/io/model-dir.js';
import { fingerprintFiles } from '../src/train/data-fingerprint.js';
import { meanSquaredError } from '../src/train/losses.js';
import { train } from '../src/train/trainer.js';
import type { TrainConfig } from '../src/train/types.js';
import { linearData, mlp, rowSource, weightValues } from './fixtures/train-fixtures.js';

/** What a run records (checkpoints' rnnkit.json, metrics.jsonl's start line) and what resume checks against it. */

let root: string;
beforeAll(async () => {
  await initBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-record-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const { xs, ys } = linearData(32);
const data = () => ({ train: rowSource(xs, ys, 8), val: rowSource(xs.slice(0, 8), ys.slice(0, 8), 8) });
const app = { name: 'toy', version: '1.0.0' };
const vocabA = ['<pad>', 'a', 'b', 'c'];
const vocabB = ['<pad>', 'c', 'b', 'a']; // same words, another order: same shapes, garbage weights
const record = (vocab: string[], extra: Record<string, unknown> = {}): ModelRecord => ({ app, config: { epochs: 2 }, extras: { vocab, ...extra } });

async function firstRun(name: string, cfg: Partial<TrainConfig> = {}): Promise<{ dir: string; weights: number[][] }> {
  const dir = path.join(root, name);
  const model = mlp(1);
  await train(model, data(), meanSquaredError, {
    epochs: 2, learningRate: 0.01, progress: 'none', seed: 4, checkpointDir: dir, checkpointRecord: record(vocabA), ...cfg,
  });
  const weights = weightValues(model);
  model.dispose();
  return { dir, weights };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(RnnkitError);
  return err as Error;
}

describe('resume checks that the checkpoint belongs to this run', () => {
  it('refuses a checkpoint whose extras differ, naming the field; the same extras resume', async () => {
    const { dir, weights } = await firstRun('vocab');
    const lastMeta = path.join(dir, 'last', 'rnnkit.json');

    const other = mlp(2);
    const before = weightValues(other);
    const err = await rejection(train(other, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabB),
    }));
    expect(err.message).toMatch(new RegExp(`^${lastMeta.replace(/[.]/g, '\\.')}: field "extras\\.vocab" differs from this run's`));
    expect(err.message).toMatch(/start a fresh run in another --out/);
    expect(weightValues(other)).toEqual(before); // refused before the checkpoint's weights were copied in
    other.dispose();

    // an extras field the run has and the checkpoint lacks is a difference too
    const third = mlp(3);
    const err2 = await rejection(train(third, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA, { scaler: { min: 0 } }),
    }));
    expect(err2.message).toMatch(/field "extras\.scaler" differs/);
    third.dispose();

    const same = mlp(4);
    const epochsSeen: number[] = [];
    const res = await train(same, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA),
      callbacks: { onEpochEnd: (log) => void epochsSeen.push(log.epoch) },
    });
    expect(epochsSeen).toEqual([3]);
    expect(res.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(weightValues(same)).not.toEqual(weights); // trained on from the checkpoint's weights
    same.dispose();
  });

  it('refuses a checkpoint of another app, naming both', async () => {
    const { dir } = await firstRun('other-app');
    const model = mlp(2);
    const err = await rejection(train(model, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true,
      checkpointRecord: { app: { name: 'chatbot', version: '1.0.0' }, extras: { vocab: vocabA } },
    }));
    expect(err.message).toMatch(/last\/rnnkit\.json: the checkpoint belongs to a toy model, not to chatbot/);
    model.dispose();
  });

  it('with early stopping, a different vocabulary is still refused by name, not by a shape error', async () => {
    const { dir } = await firstRun('vocab-early', { earlyStopping: { patience: 5 } });
    const wider = mlp(2, 4); // a bigger vocabulary makes a bigger input layer
    const err = await rejection(train(wider, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, earlyStopping: { patience: 5 },
      checkpointRecord: record([...vocabA, 'd']),
    }));
    wider.dispose();
    expect(err.message).toMatch(/field "extras\.vocab" differs/);
  });
});

describe('resume checks that the checkpoint was trained on the same data (dataFingerprint)', () => {
  const dataFile = (name: string, text: string) => {
    const file = path.join(root, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('refuses other bytes, naming the file, before any weight loads; the same bytes resume, even at another path', async () => {
    const file = dataFile('corpus.txt', 'abcabc\n');
    const { dir } = await firstRun('fingerprint', { dataFingerprint: fingerprintFiles([file]) });
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'last', 'train-state.json'), 'utf8')) as { dataFingerprint: unknown };
    expect(state.dataFingerprint).toEqual([{ file, bytes: 7, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);

    fs.writeFileSync(file, 'cbacba\n'); // the same characters: the vocabulary (here: the record) cannot tell
    const other = mlp(2);
    const before = weightValues(other);
    const err = await rejection(train(other, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA),
      dataFingerprint: fingerprintFiles([file]),
    }));
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: content differs from the data the checkpoint was trained on \\(SHA-256 [0-9a-f]{12}…, 7 bytes then; SHA-256 [0-9a-f]{12}…, 7 bytes now\\); resume with the original data`));
    expect(weightValues(other)).toEqual(before);

    const moved = dataFile('moved.txt', 'abcabc\n');
    const res = await train(other, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA),
      dataFingerprint: fingerprintFiles([moved]),
    });
    expect(res.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    other.dispose();
  });

  it('refuses another number of files, naming both lists', async () => {
    const a = dataFile('a.idx', 'a');
    const { dir } = await firstRun('fingerprint-count', { dataFingerprint: fingerprintFiles([a]) });
    const model = mlp(2);
    const err = await rejection(train(model, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA),
      dataFingerprint: fingerprintFiles([a, dataFile('b.idx', 'b')]),
    }));
    expect(err.message).toMatch(/last\/train-state\.json: the checkpoint was trained on 1 data file\(s\) \(a\.idx\), this run reads 2 \(a\.idx, b\.idx\)/);
    model.dispose();
  });

  it('a checkpoint written without a fingerprint still resumes (nothing to compare)', async () => {
    const { dir } = await firstRun('fingerprint-none');
    const model = mlp(2);
    const res = await train(model, data(), meanSquaredError, {
      epochs: 3, learningRate: 0.01, progress: 'none', checkpointDir: dir, resume: true, checkpointRecord: record(vocabA),
      dataFingerprint: fingerprintFiles([dataFile('late.txt', 'x')]),
    });
    expect(res.history).toHaveLength(3);
    model.dispose();
  });
});

describe('metrics.jsonl', () => {
  it('the first line is {"type":"start", ...startRecord}; a resume appends another start', async () => {
    const dir = path.join(root, 'log');
    const metricsLog = path.join(root, 'log', 'metrics.jsonl');
    const startRecord = { app, rnnkitVersion: '0.2.0', tfjsVersion: '4.22.0', config: { epochs: 2, lr: 0.01 } };
    const cfg: TrainConfig = {
      epochs: 2, learningRate: 0.01, progress: 'none', seed: 1, checkpointDir: path.join(dir, 'ckpt'), metricsLog, startRecord,
      logEverySteps: 1000,
    };
    const model = mlp(1);
    await train(model, data(), meanSquaredError, cfg);
    const lines = () => fs.readFileSync(metricsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const first = lines()[0];
    expect(first).toEqual({ type: 'start', resumed: false, time: expect.any(String), ...startRecord });
    expect(Number.isNaN(Date.parse(first.time as string))).toBe(false);
    expect(lines().map((l) => l.type)).toEqual(['start', 'epoch', 'epoch', 'end']);

    await train(model, data(), meanSquaredError, { ...cfg, epochs: 3, resume: true, startRecord: { ...startRecord, config: { epochs: 3 } } });
    const all = lines();
    expect(all.map((l) => l.type)).toEqual(['start', 'epoch', 'epoch', 'end', 'start', 'epoch', 'end']);
    expect(all[0]).toMatchObject({ resumed: false, config: { epochs: 2 } });
    expect(all[4]).toMatchObject({ type: 'start', resumed: true, app, config: { epochs: 3 } });
    model.dispose();
  });

  it('without a startRecord the start line still says when and whether it resumed', async () => {
    const metricsLog = path.join(root, 'bare.jsonl');
    const model = mlp(1);
    await train(model, data(), meanSquaredError, { epochs: 1, learningRate: 0.01, progress: 'none', metricsLog });
    const first = JSON.parse(fs.readFileSync(metricsLog, 'utf8').split('\n')[0]);
    expect(first).toEqual({ type: 'start', resumed: false, time: expect.any(String) });
    model.dispose();
  });
});
