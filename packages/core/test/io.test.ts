import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../src/io/atomic.js';
import { loadModelDir, loadWeightsInto, saveModelDir, sha256Hex } from '../src/io/model-dir.js';
import { RNNKIT_VERSION } from '../src/version.js';
import { mlp, weightValues } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-io-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A model with an LSTM, an embedding and two dense heads' worth of weights (all tfjs-layers classes). */
function seqModel(): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const emb = tf.layers.embedding({ inputDim: 12, outputDim: 4, embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 3 }) }).apply(input);
  const h = tf.layers.lstm({ units: 6, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(emb);
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const listDir = (dir: string) => fs.readdirSync(dir).sort();

async function expectError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(RnnkitError);
  expect((err as Error).message).toMatch(pattern);
}

describe('atomic writes', () => {
  it('writeFileAtomic replaces content and leaves no temp files', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'atomic-'));
    const file = path.join(dir, 'a.json');
    await writeFileAtomic(file, '{"v":1}');
    await writeFileAtomic(file, new Uint8Array([123, 125]));
    writeFileAtomicSync(path.join(dir, 'b.txt'), 'hello');
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(fs.readFileSync(path.join(dir, 'b.txt'), 'utf8')).toBe('hello');
    expect(listDir(dir)).toEqual(['a.json', 'b.txt']);
  });

  it('a failed write leaves the old file intact and no temp file', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'atomic-fail-'));
    const file = path.join(dir, 'keep.txt');
    fs.writeFileSync(file, 'old');
    // the target is a directory name: the final rename fails after the temp file was written
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'x'), '1');
    await expect(writeFileAtomic(path.join(dir, 'sub'), 'new')).rejects.toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(listDir(dir)).toEqual(['keep.txt', 'sub']);
  });
});

describe('model directories', () => {
  it('round-trips a model: identical predictions, record (app, config, metrics, extras) and file layout', async () => {
    const model = seqModel();
    const dir = path.join(root, 'roundtrip');
    const extras = { model: { units: 6 }, vocab: ['<pad>', 'a', 'b'], scaler: { min: [0], max: [1] } };
    const app = { name: 'toy', version: '1.2.3' };
    const config = { epochs: 3, lr: 0.01, data: 'train.csv' };
    const metrics = { epoch: 3, loss: 0.5, val_loss: 0.75 };
    await saveModelDir(dir, model, { app, config, metrics, extras });
    expect(listDir(dir)).toEqual(['model.json', 'rnnkit.json', 'weights.bin']);
    const loaded = await loadModelDir(dir);
    expect(loaded.extras).toEqual(extras);
    expect(loaded.dir).toBe(dir);
    expect(loaded.meta).toMatchObject({
      format: 'rnnkit-model', formatVersion: 2, rnnkitVersion: RNNKIT_VERSION, tfjsVersion: tf.version.tfjs, app, config, metrics, extras,
    });
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    expect(loaded.meta.weights).toEqual({ sha256: sha256Hex(bin), bytes: bin.byteLength });
    expect(loaded.meta.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    // what the caller did not record is null (extras: empty), not missing
    const bare = path.join(root, 'roundtrip-bare');
    await saveModelDir(bare, model);
    const bareMeta = JSON.parse(fs.readFileSync(path.join(bare, 'rnnkit.json'), 'utf8'));
    expect(bareMeta).toMatchObject({ app: null, config: null, metrics: null, extras: {} });
    const x = tf.tensor2d([[1, 2, 3, 4, 5], [11, 0, 7, 7, 2]]);
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.model.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    loaded.model.dispose();
    model.dispose();
  });

  it('overwrites an existing directory completely and leaves no temp or backup siblings', async () => {
    const parent = fs.mkdtempSync(path.join(root, 'overwrite-'));
    const dir = path.join(parent, 'model');
    const first = mlp(1);
    const second = mlp(2);
    await saveModelDir(dir, first, { extras: { n: 1 } });
    fs.writeFileSync(path.join(dir, 'stale.txt'), 'from an older save');
    await saveModelDir(dir, second, { extras: { n: 2 } });
    expect(listDir(parent)).toEqual(['model']);
    expect(listDir(dir)).toEqual(['model.json', 'rnnkit.json', 'weights.bin']);
    const loaded = await loadModelDir(dir);
    expect(loaded.extras).toEqual({ n: 2 });
    expect(weightValues(loaded.model)).toEqual(weightValues(second));
    [first, second, loaded.model].forEach((m) => m.dispose());
  });

  it('falls back to the swap backup when a save was killed between its two renames', async () => {
    const parent = fs.mkdtempSync(path.join(root, 'backup-'));
    const dir = path.join(parent, 'model');
    const model = mlp(3);
    await saveModelDir(dir, model);
    fs.renameSync(dir, path.join(parent, '.model.old')); // state right after "move old aside"
    const loaded = await loadModelDir(dir);
    expect(weightValues(loaded.model)).toEqual(weightValues(model));
    await saveModelDir(dir, model); // the next save cleans up the backup
    expect(listDir(parent)).toEqual(['model']);
    [model, loaded.model].forEach((m) => m.dispose());
  });

  it('a save that fails midway leaves the previous model intact and no temp dir', async () => {
    const parent = fs.mkdtempSync(path.join(root, 'failed-save-'));
    const dir = path.join(parent, 'model');
    const model = mlp(8);
    await saveModelDir(dir, model, { extras: { v: 1 } });
    // a file in a missing subdirectory makes the write into the temp dir fail after model.json was written
    const other = mlp(9);
    await expect(saveModelDir(dir, other, { extras: { v: 2 } }, { files: { 'no/such/file': 'x' } })).rejects.toThrow();
    expect(listDir(parent)).toEqual(['model']);
    const loaded = await loadModelDir(dir);
    expect(loaded.extras).toEqual({ v: 1 });
    expect(weightValues(loaded.model)).toEqual(weightValues(model));
    [model, other, loaded.model].forEach((m) => m.dispose());
  });

  it('removes temp dirs left behind by killed saves (dead pid), keeps those of live processes', async () => {
    const parent = fs.mkdtempSync(path.join(root, 'stale-'));
    const dir = path.join(parent, 'model');
    const deadPid = 2 ** 22 + 12345; // above the largest pid Linux can hand out (2^22)
    fs.mkdirSync(path.join(parent, `.model.tmp-${deadPid}-abcd`));
    fs.mkdirSync(path.join(parent, `.model.tmp-${process.ppid}-beef`));
    const model = mlp(10);
    await saveModelDir(dir, model);
    expect(listDir(parent)).toEqual([`.model.tmp-${process.ppid}-beef`, 'model']);
    model.dispose();
  });

  it('loadWeightsInto copies saved weights into an existing model and checks shapes', async () => {
    const dir = path.join(root, 'into');
    const a = mlp(4);
    const b = mlp(5);
    await saveModelDir(dir, a);
    await loadWeightsInto(b, dir);
    expect(weightValues(b)).toEqual(weightValues(a));
    const wider = mlp(6, 4);
    await expectError(loadWeightsInto(wider, dir), /weights\.bin: weight 0 .* has shape \[3,8\] but the model's .* has shape \[4,8\]/);
    [a, b, wider].forEach((m) => m.dispose());
  });
});

describe('loading a bad model directory names the file', () => {
  let good: string;
  const copyOfGood = (name: string) => {
    const dir = path.join(root, name);
    fs.cpSync(good, dir, { recursive: true });
    return dir;
  };
  beforeAll(async () => {
    good = path.join(root, 'good');
    const model = mlp(7);
    await saveModelDir(good, model, { app: { name: 'test', version: '0.0.1' }, extras: { vocab: ['a'] } });
    model.dispose();
  });

  it('missing directory', async () => {
    await expectError(loadModelDir(path.join(root, 'nope')), /model directory not found: .*nope/);
  });

  it('missing model.json / weights.bin / rnnkit.json', async () => {
    for (const file of ['model.json', 'weights.bin', 'rnnkit.json']) {
      const dir = copyOfGood(`missing-${file}`);
      fs.rmSync(path.join(dir, file));
      await expectError(loadModelDir(dir), new RegExp(`${dir}/${file.replace('.', '\\.')}: missing`));
    }
  });

  it('invalid JSON in model.json and rnnkit.json', async () => {
    for (const file of ['model.json', 'rnnkit.json']) {
      const dir = copyOfGood(`corrupt-${file}`);
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      fs.writeFileSync(path.join(dir, file), text.slice(0, text.length / 2));
      await expectError(loadModelDir(dir), new RegExp(`${file.replace('.', '\\.')}: invalid JSON`));
    }
  });

  it('truncated or oversized weights.bin', async () => {
    const dir = copyOfGood('truncated');
    const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
    fs.writeFileSync(path.join(dir, 'weights.bin'), bin.subarray(0, bin.length - 10));
    // The size is checked against the manifest before the file is read. (The message should name model.json as it did
    // before format 2; src/io/model-dir.ts readBinaryFile says "the manifest": see the report.)
    await expectError(loadModelDir(dir), /weights\.bin: has \d+ bytes but (model\.json|the manifest) describes \d+ bytes of weights \(the file is truncated\)/);
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat([bin, Buffer.alloc(8)]));
    await expectError(loadModelDir(dir), /weights\.bin: .*does not belong to this manifest/);
  });

  it('weights that do not fit the topology', async () => {
    const dir = copyOfGood('mismatch');
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    // claim the first kernel is [8,3] instead of [3,8]: same byte count, wrong shape for the layer
    json.weightsManifest[0].weights[0].shape = [8, 3];
    fs.writeFileSync(file, JSON.stringify(json));
    await expectError(loadModelDir(dir), /weights\.bin: weights do not match the model described in model\.json \(.*Shape mismatch/);
  });

  it('an unregistered layer class', async () => {
    const dir = copyOfGood('unknown-layer');
    const file = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.modelTopology.config.layers[0].class_name = 'MyCustomCell';
    fs.writeFileSync(file, JSON.stringify(json));
    await expectError(loadModelDir(dir), /model\.json: Unknown layer: MyCustomCell.*registered before loading/);
  });
});
