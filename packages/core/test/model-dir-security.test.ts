import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { RnnkitError } from '../src/errors.js';
import { loadModelDir, loadWeightsInto, readModelMeta, readTensorFiles, saveModelDir, tensorsToFiles } from '../src/io/model-dir.js';
import { mlp, weightValues } from './fixtures/train-fixtures.js';

/**
 * What a model directory may not make the loader do: read outside the directory, block on a device, accept weights
 * other than those rnnkit.json was written for, or accept a rnnkit.json it does not understand.
 */

let root: string;
let good: string;
let goodWeights: number[][];

beforeAll(async () => {
  await initBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-security-'));
  good = path.join(root, 'good');
  const model = mlp(11);
  goodWeights = weightValues(model);
  await saveModelDir(good, model, { app: { name: 'toy', version: '1.0.0' }, extras: { vocab: ['a', 'b'] } });
  model.dispose();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let copies = 0;
function copyOfGood(): string {
  const dir = path.join(root, `copy-${copies++}`);
  fs.cpSync(good, dir, { recursive: true });
  return dir;
}

function editJson(file: string, edit: (json: Record<string, any>) => void): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(json);
  fs.writeFileSync(file, JSON.stringify(json));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(RnnkitError);
  return err as Error;
}

/**
 * These loads take milliseconds. Following /dev/zero would never end (or fail only after buffering 2 GiB), so a
 * short per-test timeout is what proves the file was not read; it leaves room for a loaded CI machine.
 */
const READ_TIMEOUT = 10_000;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('weights paths in model.json are confined to the model directory', () => {
  // Each path points at something the loader would happily read if it followed it: a real file with exactly the
  // right bytes (outside the directory, or in a subdirectory), or a device that never ends.
  const bytes = () => fs.readFileSync(path.join(good, 'weights.bin'));
  const cases: { path: string; setup?: (dir: string) => void }[] = [
    { path: '../../etc/passwd' },
    { path: '../outside.bin', setup: () => fs.writeFileSync(path.join(root, 'outside.bin'), bytes()) },
    { path: '/dev/zero' },
    { path: path.join(os.tmpdir(), 'abs.bin'), setup: () => fs.writeFileSync(path.join(os.tmpdir(), 'abs.bin'), bytes()) },
    {
      path: 'sub/x.bin',
      setup: (dir) => {
        fs.mkdirSync(path.join(dir, 'sub'));
        fs.writeFileSync(path.join(dir, 'sub', 'x.bin'), bytes());
      },
    },
    { path: 'sub\\x.bin' },
    { path: '..' },
    { path: '.' },
    { path: '' },
    { path: 'weights.bin\0.txt' },
  ];
  afterAll(() => fs.rmSync(path.join(os.tmpdir(), 'abs.bin'), { force: true }));

  for (const c of cases) {
    it(`refuses ${JSON.stringify(c.path)}, naming model.json and the path`, { timeout: READ_TIMEOUT }, async () => {
      const dir = copyOfGood();
      c.setup?.(dir);
      const modelFile = path.join(dir, 'model.json');
      editJson(modelFile, (json) => {
        json.weightsManifest[0].paths = [c.path];
      });
      const err = await rejection(loadModelDir(dir));
      expect(err.message).toMatch(
        new RegExp(`^${escape(modelFile)}: weights path ${escape(JSON.stringify(c.path))} must be a file name inside the model directory$`),
      );
      // loadWeightsInto (resume) goes through the same check
      const model = mlp(1);
      await expect(loadWeightsInto(model, dir)).rejects.toThrow(/model\.json: weights path .* must be a file name inside the model directory/);
      expect(weightValues(model)).not.toEqual(goodWeights);
      model.dispose();
    });
  }

  it('refuses a bad path in a second weights group before reading anything of it', { timeout: READ_TIMEOUT }, async () => {
    const dir = copyOfGood();
    const modelFile = path.join(dir, 'model.json');
    editJson(modelFile, (json) => {
      json.weightsManifest.push({ paths: ['/dev/zero'], weights: [{ name: 'extra', shape: [1_000_000_000], dtype: 'float32' }] });
    });
    const err = await rejection(loadModelDir(dir));
    expect(err.message).toBe(`${modelFile}: weights path "/dev/zero" must be a file name inside the model directory`);
  });

  it('a weights.bin that is a symlink to a device or a directory is refused without reading it', { timeout: READ_TIMEOUT }, async () => {
    const dir = copyOfGood();
    const bin = path.join(dir, 'weights.bin');
    fs.rmSync(bin);
    fs.symlinkSync('/dev/zero', bin);
    expect((await rejection(loadModelDir(dir))).message).toBe(`${bin}: not a regular file (weights listed in ${path.join(dir, 'model.json')})`);
    fs.rmSync(bin);
    fs.mkdirSync(bin);
    expect((await rejection(loadModelDir(dir))).message).toMatch(/weights\.bin: not a regular file/);
  });

  it('a model.json or rnnkit.json that is a device is refused without reading it', { timeout: READ_TIMEOUT }, async () => {
    for (const name of ['model.json', 'rnnkit.json']) {
      const dir = copyOfGood();
      const file = path.join(dir, name);
      fs.rmSync(file);
      fs.symlinkSync('/dev/zero', file);
      expect((await rejection(loadModelDir(dir))).message).toMatch(new RegExp(`^${escape(file)}: not a regular file`));
    }
  });

  it('a weights.bin larger than its manifest is refused before it is read', { timeout: READ_TIMEOUT }, async () => {
    const dir = copyOfGood();
    const bin = path.join(dir, 'weights.bin');
    fs.truncateSync(bin, 4 * 1024 ** 3); // sparse 4 GiB: reading it would take seconds and more memory than a Buffer may hold
    const err = await rejection(loadModelDir(dir));
    expect(err.message).toMatch(new RegExp(`^${escape(bin)}: has ${4 * 1024 ** 3} bytes but .*describes \\d+ bytes of weights \\(the file does not belong to this manifest\\)`));
  });

  it('tensor manifests (optimizer.json in checkpoints) are confined the same way', { timeout: READ_TIMEOUT }, async () => {
    const dir = fs.mkdtempSync(path.join(root, 'tensors-'));
    const t = tf.tensor1d([1, 2, 3]);
    const files = await tensorsToFiles([{ name: 'm', tensor: t }], 'optimizer');
    t.dispose();
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
    const back = await readTensorFiles(dir, 'optimizer');
    expect(Array.from(back[0].tensor.dataSync())).toEqual([1, 2, 3]);
    tf.dispose(back.map((b) => b.tensor));
    const manifest = path.join(dir, 'optimizer.json');
    editJson(manifest, (json) => {
      json[0].paths = ['../../../dev/zero'];
    });
    expect((await rejection(readTensorFiles(dir, 'optimizer'))).message).toBe(
      `${manifest}: weights path "../../../dev/zero" must be a file name inside the model directory`,
    );
  });
});

describe('rnnkit.json decides what the directory is', () => {
  it('weights.bin with changed bytes (same size) is refused with the SHA-256 message', async () => {
    const dir = copyOfGood();
    const bin = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(bin);
    bytes[bytes.length - 1] ^= 0x01; // one bit of the last bias: still a valid float, same size
    fs.writeFileSync(bin, bytes);
    const message = `${bin}: content does not match the SHA-256 recorded in rnnkit.json (corrupted or replaced weights)`;
    expect((await rejection(loadModelDir(dir))).message).toBe(message);
    const model = mlp(1);
    const before = weightValues(model);
    expect((await rejection(loadWeightsInto(model, dir))).message).toBe(message);
    expect(weightValues(model)).toEqual(before); // nothing was copied in
    model.dispose();
  });

  it('weights.bin swapped for another model of the same architecture is refused', async () => {
    const other = path.join(root, 'other');
    const model = mlp(12);
    await saveModelDir(other, model, { app: { name: 'toy', version: '1.0.0' } });
    model.dispose();
    const dir = copyOfGood();
    fs.copyFileSync(path.join(other, 'weights.bin'), path.join(dir, 'weights.bin'));
    expect((await rejection(loadModelDir(dir))).message).toMatch(/weights\.bin: content does not match the SHA-256 recorded in rnnkit\.json/);
  });

  it('a format-1 rnnkit.json is refused with the "retrain" message', async () => {
    const dir = copyOfGood();
    const file = path.join(dir, 'rnnkit.json');
    // what rnnkit 0.1 wrote
    fs.writeFileSync(file, JSON.stringify({
      format: 'rnnkit-model', formatVersion: 1, createdAt: '2026-01-01T00:00:00.000Z', tfjsVersion: '4.22.0', extras: { vocab: ['a'] },
    }));
    const err = await rejection(loadModelDir(dir));
    expect(err.message).toMatch(new RegExp(`^${escape(file)}: formatVersion 1 .*not migrated: retrain the model with this version$`));
    await expect(readModelMeta(dir)).rejects.toThrow(/retrain/);
  });

  it('a newer formatVersion is refused with "upgrade"', async () => {
    const dir = copyOfGood();
    const file = path.join(dir, 'rnnkit.json');
    editJson(file, (json) => {
      json.formatVersion = 99;
      json.somethingNew = { added: 'in format 99' }; // a newer format may add fields: the version is the message, not the field
    });
    const err = await rejection(loadModelDir(dir));
    expect(err.message).toBe(`${file}: formatVersion 99 is newer than this rnnkit reads (2); upgrade @rnnkit/core`);
  });

  it('a rnnkit.json of another format is refused naming "format"', async () => {
    const dir = copyOfGood();
    const file = path.join(dir, 'rnnkit.json');
    editJson(file, (json) => {
      json.format = 'keras';
    });
    expect((await rejection(loadModelDir(dir))).message).toBe(`${file}: field "format" must be "rnnkit-model"`);
  });

  it('an unknown top-level field is refused naming the field', async () => {
    const dir = copyOfGood();
    const file = path.join(dir, 'rnnkit.json');
    editJson(file, (json) => {
      json.vocab = ['a', 'b']; // belongs in extras
    });
    expect((await rejection(loadModelDir(dir))).message).toBe(`${file}: unknown field "vocab"`);
    expect((await rejection(readModelMeta(dir))).message).toBe(`${file}: unknown field "vocab"`);
  });

  it('a malformed field names the field (nested too)', async () => {
    const dir = copyOfGood();
    const file = path.join(dir, 'rnnkit.json');
    editJson(file, (json) => {
      json.weights.sha256 = 'not-a-hash';
    });
    expect((await rejection(loadModelDir(dir))).message).toMatch(new RegExp(`^${escape(file)}: field "weights\\.sha256": .*must match pattern`));
    editJson(file, (json) => {
      json.weights.sha256 = '0'.repeat(64);
      json.app = { name: 'toy' };
    });
    expect((await rejection(loadModelDir(dir))).message).toMatch(new RegExp(`^${escape(file)}: field "app\\.version": `));
  });

  it('the untouched copy still loads (the cases above fail for their own reason)', async () => {
    const loaded = await loadModelDir(copyOfGood());
    expect(weightValues(loaded.model)).toEqual(goodWeights);
    expect(loaded.meta.app).toEqual({ name: 'toy', version: '1.0.0' });
    loaded.model.dispose();
  });
});
