import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { RnnkitError } from '../src/errors.js';
import { checkEnsembleMember, checkModelApp, loadAppModel } from '../src/app/model.js';
import { modelInfo } from '../src/app/cli.js';
import { readModelMeta, resolveModelDirArg, saveModelDir } from '../src/io/model-dir.js';
import { mlp, weightValues } from './fixtures/train-fixtures.js';

let root: string;
let textgenDir: string;
let forecastRun: string;
let bareDir: string;
let textgenWeights: number[][];

const extrasSchema = z.strictObject({ vocab: z.array(z.string()).min(1), units: z.number().int() });

beforeAll(async () => {
  await initBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-appmodel-'));
  textgenDir = path.join(root, 'textgen-model');
  const a = mlp(21);
  textgenWeights = weightValues(a);
  await saveModelDir(textgenDir, a, {
    app: { name: 'textgen', version: '0.3.0' },
    config: { epochs: 4, data: 'corpus.txt' },
    metrics: { epoch: 4, loss: 1.25 },
    extras: { vocab: ['a', 'b'], units: 8 },
  });
  a.dispose();
  // a training run directory (what --out holds): the model is in model/
  forecastRun = path.join(root, 'forecast-run');
  fs.mkdirSync(forecastRun);
  fs.writeFileSync(path.join(forecastRun, 'metrics.jsonl'), '');
  const b = mlp(22);
  await saveModelDir(path.join(forecastRun, 'model'), b, { app: { name: 'forecast', version: '0.3.0' }, extras: { vocab: ['x'], units: 8 } });
  b.dispose();
  bareDir = path.join(root, 'bare');
  const c = mlp(23);
  await saveModelDir(bareDir, c);
  c.dispose();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(RnnkitError);
  return err as Error;
}

describe('checkModelApp / loadAppModel', () => {
  it('another app\'s model gives the shared wrong-app message, from both functions', async () => {
    const message = `${textgenDir}: holds a textgen model (use rnnkit-textgen), not a forecast model`;
    expect((await rejection(checkModelApp(textgenDir, 'forecast'))).message).toBe(message);
    const before = tf.memory().numTensors;
    expect((await rejection(loadAppModel(textgenDir, 'forecast', extrasSchema))).message).toBe(message);
    expect(tf.memory().numTensors).toBe(before); // refused before any weights were loaded
  });

  it('a model saved without an app is refused by every app', async () => {
    expect((await rejection(checkModelApp(bareDir, 'textgen'))).message).toBe(
      `${bareDir}: holds a model saved without an app, not a textgen model`,
    );
  });

  it('a run directory holding model/ resolves to model/', async () => {
    const modelDir = path.join(forecastRun, 'model');
    expect(resolveModelDirArg(forecastRun)).toBe(modelDir);
    expect(await checkModelApp(forecastRun, 'forecast')).toBe(modelDir);
    expect((await readModelMeta(forecastRun)).dir).toBe(modelDir);
    const loaded = await loadAppModel(forecastRun, 'forecast', extrasSchema);
    expect(loaded.dir).toBe(modelDir);
    expect(loaded.extras).toEqual({ vocab: ['x'], units: 8 });
    loaded.model.dispose();
    // the wrong-app error names the model directory, not the run directory
    expect((await rejection(checkModelApp(forecastRun, 'textgen'))).message).toBe(
      `${modelDir}: holds a forecast model (use rnnkit-forecast), not a textgen model`,
    );
  });

  it('a model directory is used as it is', async () => {
    expect(await checkModelApp(textgenDir, 'textgen')).toBe(textgenDir);
    const loaded = await loadAppModel(textgenDir, 'textgen', extrasSchema);
    expect(loaded.dir).toBe(textgenDir);
    expect(loaded.extras).toEqual({ vocab: ['a', 'b'], units: 8 });
    expect(loaded.config).toEqual({ epochs: 4, data: 'corpus.txt' });
    expect(loaded.meta.app).toEqual({ name: 'textgen', version: '0.3.0' });
    expect(weightValues(loaded.model)).toEqual(textgenWeights);
    loaded.model.dispose();
  });

  it('a directory that is neither gives "not found" or names model.json', async () => {
    expect((await rejection(checkModelApp(path.join(root, 'nope'), 'textgen'))).message).toMatch(/model directory not found: .*nope/);
    const empty = fs.mkdtempSync(path.join(root, 'empty-'));
    expect((await rejection(checkModelApp(empty, 'textgen'))).message).toMatch(/rnnkit\.json: missing/);
  });

  it('extras that do not fit the app\'s schema name rnnkit.json and the field, and free the model', async () => {
    const strictExtras = z.strictObject({ vocab: z.array(z.string()).min(3), units: z.number().int() });
    const before = tf.memory().numTensors;
    const err = await rejection(loadAppModel(textgenDir, 'textgen', strictExtras));
    expect(err.message).toMatch(new RegExp(`^${textgenDir.replace(/[.]/g, '\\.')}/rnnkit\\.json \\(extras\\): field "vocab": .*>=3`));
    expect(tf.memory().numTensors).toBe(before);
    const fewer = z.strictObject({ vocab: z.array(z.string()) });
    expect((await rejection(loadAppModel(textgenDir, 'textgen', fewer))).message).toMatch(/rnnkit\.json \(extras\): unknown field "units"/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('modelInfo reports app, config, training data, metrics and layers', async () => {
    const info = await modelInfo(forecastRun);
    expect(info.dir).toBe(path.join(forecastRun, 'model'));
    expect(info.app).toEqual({ name: 'forecast', version: '0.3.0' });
    expect(info.trainedOn).toBeNull();
    expect(info.parameters).toBe(3 * 8 + 8 + 8 + 1);
    expect(info.layers.map((l) => l.params)).toEqual([32, 9]);
    const tg = await modelInfo(textgenDir);
    expect(tg).toMatchObject({ trainedOn: 'corpus.txt', metrics: { epoch: 4, loss: 1.25 }, config: { epochs: 4 } });
  });
});

describe('checkEnsembleMember', () => {
  it('passes equal settings and names the first one that differs, with both values', () => {
    const first = { dir: 'runs/a/model' };
    const member = { dir: 'runs/b/model' };
    expect(() => checkEnsembleMember(first, member, { dataset: ['x', 'x'], classes: [['p', 'q'], ['p', 'q']] })).not.toThrow();
    expect(() => checkEnsembleMember(first, member, { dataset: ['x', 'x'], 'split.seed': [1, 2], classes: [['p'], ['q']] })).toThrow(
      new RnnkitError("--ensemble runs/b/model: split.seed 2 differs from --model runs/a/model's 1; an ensemble combines models scored on the same validation and test examples"),
    );
  });
});
