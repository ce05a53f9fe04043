import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import type * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import {
  bahdanauAttention,
  bidirectional,
  fetchModelArtifacts,
  loadModelFromArtifacts,
  loadModelFromUrl,
  recurrent,
  type FetchFn,
} from '../src/browser.js';
import { sha256Js } from '../src/io/model-artifacts.js';
import { loadModelDir, saveModelDir } from '../src/io/model-dir.js';
import { bundle, bundleProblems, coreDir, runInWorkerContext, type Bundle } from './fixtures/browser-bundle.js';

/**
 * `@rnnkit/core/browser` must bundle for a web page: esbuild for `platform: 'browser'` fails on any Node built-in or
 * unresolvable import, and the metafile shows which packages went in. The bundle is then run where a Web Worker
 * would run it (a vm context without process, require, Buffer or Web Crypto) on a model served by a fake fetch.
 */

const entry = path.join(coreDir, 'src', 'browser.ts');

const kB = (n: number) => `${(n / 1000).toFixed(0)} kB`;

describe('the browser entry bundles for a web page', () => {
  let full: Bundle;

  beforeAll(async () => {
    full = await bundle({ entryPoints: [entry] });
  }, 120_000);

  it('with tfjs bundled: no Node built-in, no Node-only package, no Node-only core module', () => {
    expect(bundleProblems(full.metafile)).toEqual([]);
    expect(full.warnings.map((w) => w.text)).toEqual([]);
    const inputs = Object.keys(full.metafile.inputs);
    // It is the real thing: rnnkit's layers, decoding and model loading, and tfjs with its browser backends.
    for (const expected of ['src/layers/recurrent.ts', 'src/decode/beam.ts', 'src/io/model-artifacts.ts', 'src/app/predictor.ts', 'src/data/tokenize.ts']) {
      expect(inputs).toContain(expected);
    }
    expect(inputs.some((p) => p.includes('node_modules/@tensorflow/tfjs-backend-webgl/'))).toBe(true);
    // The tokenizers and the stop list are natural's, with the util polyfill's inherits in place of Node's util.
    for (const expected of ['natural/lib/natural/tokenizers/regexp_tokenizer.js', 'natural/lib/natural/tokenizers/treebank_word_tokenizer.js', 'natural/lib/natural/util/stopwords.js', 'node_modules/util/util.js']) {
      expect(inputs.some((p) => p.endsWith(expected)), expected).toBe(true);
    }
    const gzip = gzipSync(full.code).byteLength;
    console.log(`browser bundle with tfjs, minified: ${kB(full.code.byteLength)} raw, ${kB(gzip)} gzip`);
    // A budget, so that a Node-sized dependency slipping in shows up here (today ~1.63 MB raw, ~400 kB gzip).
    expect(gzip).toBeLessThan(550_000);
  });

  it('with tfjs external (a page that loads tfjs itself): the same checks, and what rnnkit adds', async () => {
    const own = await bundle({ entryPoints: [entry], external: ['@tensorflow/tfjs'] });
    expect(bundleProblems(own.metafile, ['@tensorflow/tfjs'])).toEqual([]);
    expect(Object.keys(own.metafile.inputs).some((p) => p.includes('node_modules/@tensorflow/'))).toBe(false);
    console.log(`browser bundle without tfjs, minified: ${kB(own.code.byteLength)} raw, ${kB(gzipSync(own.code).byteLength)} gzip`);
  });

  it('the checks catch what they are for', () => {
    // The whole Node entry, with everything it drags in.
    const fake: esbuild.Metafile = {
      inputs: {
        'src/index.ts': { bytes: 1, imports: [{ path: 'node:fs', kind: 'import-statement', external: true }] },
        'src/io/model-dir.ts': { bytes: 1, imports: [{ path: 'crypto', kind: 'import-statement', external: true }] },
        'src/plots/png.ts': { bytes: 1, imports: [{ path: '@resvg/resvg-js', kind: 'import-statement', external: true }] },
        '../../node_modules/pngjs/lib/png.js': { bytes: 1, imports: [] },
        '../../node_modules/natural/lib/natural/util/utils.js': { bytes: 1, imports: [] },
        '../../node_modules/natural/lib/natural/tokenizers/index.js': { bytes: 1, imports: [] },
        '../../node_modules/natural/lib/natural/tokenizers/regexp_tokenizer.js': { bytes: 1, imports: [] },
        '../../node_modules/underscore/modules/without.js': { bytes: 1, imports: [] },
        '../../node_modules/util/util.js': { bytes: 1, imports: [] },
        // An app's predictor that reads a CSV frame with danfojs.
        '../../node_modules/danfojs-node/dist/danfojs-node/src/index.js': { bytes: 1, imports: [] },
      },
      outputs: {},
    };
    expect(bundleProblems(fake)).toEqual([
      "bundles core's Node-only module src/index.ts",
      'src/index.ts imports the Node built-in node:fs',
      "bundles core's Node-only module src/io/model-dir.ts",
      'src/io/model-dir.ts imports the Node built-in crypto',
      "bundles core's Node-only module src/plots/png.ts",
      'src/plots/png.ts leaves @resvg/resvg-js unbundled',
      'bundles ../../node_modules/pngjs/lib/png.js',
      'bundles ../../node_modules/natural/lib/natural/util/utils.js',
      'bundles ../../node_modules/natural/lib/natural/tokenizers/index.js',
      'bundles ../../node_modules/danfojs-node/dist/danfojs-node/src/index.js',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Loading a model directory from memory and over HTTP

let root: string;
let modelDir: string;
const T = 6;
const F = 3;

/** rnnkit's own layers (a bidirectional GRU, an LSTM, Bahdanau attention): what plain tfjs cannot load. */
function rnnkitModel(): tf.LayersModel {
  const input = tf.input({ shape: [T, F] });
  const enc = bidirectional({ cell: 'gru', units: 5, returnSequences: true, seed: 1 }).apply(input) as tf.SymbolicTensor;
  const query = recurrent({ cell: 'lstm', units: 4, returnSequences: true, seed: 2 }).apply(enc) as tf.SymbolicTensor;
  const [context] = bahdanauAttention({ units: 3, seed: 3 }).apply([query, enc]) as tf.SymbolicTensor[];
  const flat = tf.layers.flatten().apply(context) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(flat);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

/** A fixed batch of inputs, as nested arrays (they cross into the vm context as plain data). */
const batch: number[][][] = Array.from({ length: 3 }, (_, b) =>
  Array.from({ length: T }, (_, t) => Array.from({ length: F }, (_, f) => Math.sin(1 + b * 7 + t * 3 + f))),
);

function predict(model: tf.LayersModel): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor3d(batch)) as tf.Tensor).arraySync() as number[][]);
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

/** The three files of a saved model directory, in memory. */
function readArtifacts(dir: string) {
  const weights = fs.readFileSync(path.join(dir, 'weights.bin'));
  return {
    modelJson: JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, any>,
    rnnkitJson: JSON.parse(fs.readFileSync(path.join(dir, 'rnnkit.json'), 'utf8')) as Record<string, any>,
    // A Node Buffer is a view into a shared pool: the loader must copy out exactly its bytes.
    weights: weights as Uint8Array,
  };
}

interface Served {
  fetch: FetchFn;
  requested: string[];
  /** Bytes of a response body actually handed to the reader. */
  bodyBytesRead: Record<string, number>;
}

/**
 * A static file server over `files` (name → content) at http://models.test/<prefix>/, as fetch() answers it. The
 * body is a stream, so tests see how much of it the loader read; `lie` overrides a file's Content-Length header
 * (null: none, as with chunked transfer).
 */
function serve(files: Record<string, Uint8Array | string>, prefix = 'toy/', lie: Record<string, number | null> = {}): Served {
  const requested: string[] = [];
  const bodyBytesRead: Record<string, number> = {};
  const fetchFn: FetchFn = async (url: string) => {
    requested.push(url);
    const u = new URL(url);
    const name = decodeURIComponent(u.pathname.slice(`/${prefix}`.length));
    if (u.origin !== 'http://models.test' || !u.pathname.startsWith(`/${prefix}`) || !(name in files)) {
      return new Response('not found', { status: 404, statusText: 'Not Found' });
    }
    const content = typeof files[name] === 'string' ? new TextEncoder().encode(files[name] as string) : (files[name] as Uint8Array);
    const chunk = 1024;
    let offset = 0;
    bodyBytesRead[name] = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= content.byteLength) return controller.close();
        const piece = content.slice(offset, offset + chunk);
        offset += piece.byteLength;
        bodyBytesRead[name] += piece.byteLength;
        controller.enqueue(piece);
      },
    });
    const headers: Record<string, string> = {};
    const length = name in lie ? lie[name] : content.byteLength;
    if (length !== null) headers['content-length'] = String(length);
    return new Response(body, { status: 200, headers });
  };
  return { fetch: fetchFn, requested, bodyBytesRead };
}

function dirFiles(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, new Uint8Array(fs.readFileSync(path.join(dir, f)))]));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(RnnkitError);
  return err as Error;
}

let expected: number[][];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-browser-'));
  modelDir = path.join(root, 'toy');
  const model = rnnkitModel();
  expected = predict(model);
  await saveModelDir(modelDir, model, { app: { name: 'toy', version: '1.0.0' }, extras: { vocab: ['a', 'b'], classes: 4 } });
  model.dispose();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('loadModelFromArtifacts', () => {
  it('builds the same model as loadModelDir from the in-memory files', async () => {
    const fromDir = await loadModelDir(modelDir);
    const fromMemory = await loadModelFromArtifacts({ ...readArtifacts(modelDir), source: modelDir });
    const a = predict(fromDir.model);
    const b = predict(fromMemory.model);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, expected)).toBeLessThan(1e-6);
    expect(fromMemory.meta).toEqual(fromDir.meta);
    expect(fromMemory.extras).toEqual({ vocab: ['a', 'b'], classes: 4 });
    expect(fromMemory.source).toBe(modelDir);
    fromDir.model.dispose();
    fromMemory.model.dispose();
  });

  it('makes the checks of loadModelDir, with the same messages', async () => {
    const load = (edit: (a: ReturnType<typeof readArtifacts>) => void) => {
      const artifacts = readArtifacts(modelDir);
      artifacts.weights = new Uint8Array(artifacts.weights); // a copy to edit
      edit(artifacts);
      return rejection(loadModelFromArtifacts({ ...artifacts, source: modelDir }));
    };
    const bin = path.join(modelDir, 'weights.bin');
    expect((await load((a) => (a.weights[a.weights.length - 1] ^= 1))).message).toBe(
      `${bin}: content does not match the SHA-256 recorded in rnnkit.json (corrupted or replaced weights)`,
    );
    expect((await load((a) => (a.weights = a.weights.slice(0, 100)))).message).toMatch(
      new RegExp(`^${bin}: has 100 bytes but model\\.json describes \\d+ bytes of weights \\(the file is truncated\\)$`),
    );
    expect((await load((a) => (a.modelJson.weightsManifest[0].paths = ['../weights.bin']))).message).toBe(
      `${path.join(modelDir, 'model.json')}: weights path "../weights.bin" must be a file name inside the model directory`,
    );
    expect((await load((a) => (a.rnnkitJson.formatVersion = 99))).message).toBe(
      `${path.join(modelDir, 'rnnkit.json')}: formatVersion 99 is newer than this rnnkit reads (2); upgrade @rnnkit/core`,
    );
    expect((await load((a) => (a.rnnkitJson.vocab = []))).message).toBe(`${path.join(modelDir, 'rnnkit.json')}: unknown field "vocab"`);
    expect((await load((a) => (a.modelJson.modelTopology.config.layers[1].config.units = 5000))).message).toMatch(
      /model\.json: modelTopology\.config\.layers\[1\]\.config\.units is 5000, which no weight in the manifest has as a dimension/,
    );
    const nan = await load((a) => new DataView(a.weights.buffer, a.weights.byteOffset).setFloat32(0, NaN, true));
    expect(nan.message).toMatch(/content does not match the SHA-256/); // the hash comes first
  });

  it('names "model" when no source is given', async () => {
    const artifacts = readArtifacts(modelDir);
    artifacts.rnnkitJson.format = 'keras';
    expect((await rejection(loadModelFromArtifacts(artifacts))).message).toBe('model/rnnkit.json: field "format" must be "rnnkit-model"');
  });
});

describe('fetchModelArtifacts', () => {
  const base = 'http://models.test/toy';

  it('fetches a served model directory; the model predicts as loadModelDir', async () => {
    const server = serve(dirFiles(modelDir));
    const fetched = await fetchModelArtifacts(base, server.fetch);
    expect(server.requested).toEqual([`${base}/model.json`, `${base}/rnnkit.json`, `${base}/weights.bin`]);
    expect(fetched.source).toBe(`${base}/`);
    expect(new Uint8Array(fetched.weights)).toEqual(new Uint8Array(fs.readFileSync(path.join(modelDir, 'weights.bin'))));
    const loaded = await loadModelFromArtifacts(fetched);
    expect(maxAbsDiff(predict(loaded.model), expected)).toBeLessThan(1e-6);
    expect(loaded.meta.app).toEqual({ name: 'toy', version: '1.0.0' });
    loaded.model.dispose();
    // the one-call form, with a trailing slash and a query string on the base URL
    const again = await loadModelFromUrl(`${base}/?v=2`, serve(dirFiles(modelDir)).fetch);
    expect(maxAbsDiff(predict(again.model), expected)).toBeLessThan(1e-6);
    again.model.dispose();
  });

  it("refuses a manifest path with '..' (or any separator) before fetching any weights", async () => {
    for (const bad of ['../other/weights.bin', '..', 'sub/weights.bin', 'sub\\weights.bin', '/toy/weights.bin', 'C:weights.bin']) {
      const files = dirFiles(modelDir);
      const modelJson = JSON.parse(new TextDecoder().decode(files['model.json']));
      modelJson.weightsManifest[0].paths = [bad];
      files['model.json'] = new TextEncoder().encode(JSON.stringify(modelJson));
      const server = serve(files);
      const err = await rejection(fetchModelArtifacts(base, server.fetch));
      expect(err.message).toBe(`${base}/model.json: weights path ${JSON.stringify(bad)} must be a file name inside the model directory`);
      expect(server.requested).toEqual([`${base}/model.json`]);
    }
  });

  it('a file name is fetched as a name: characters special in URLs are escaped', async () => {
    const files = dirFiles(modelDir);
    const modelJson = JSON.parse(new TextDecoder().decode(files['model.json']));
    modelJson.weightsManifest[0].paths = ['w%2F..%2Fx?#.bin'];
    files['model.json'] = new TextEncoder().encode(JSON.stringify(modelJson));
    files['w%2F..%2Fx?#.bin'] = files['weights.bin'];
    const server = serve(files);
    const fetched = await fetchModelArtifacts(base, server.fetch);
    expect(server.requested[2]).toBe(`${base}/w%252F..%252Fx%3F%23.bin`);
    expect(fetched.weights.byteLength).toBe(files['weights.bin'].byteLength);
  });

  it('refuses weights whose Content-Length differs from the manifest without reading the body', async () => {
    const files = dirFiles(modelDir);
    const size = files['weights.bin'].byteLength;
    const server = serve(files, 'toy/', { 'weights.bin': 4 * 1024 ** 3 });
    const err = await rejection(fetchModelArtifacts(base, server.fetch));
    expect(err.message).toBe(
      `${base}/weights.bin: has ${4 * 1024 ** 3} bytes but model.json describes ${size} bytes of weights (the file does not belong to this manifest)`,
    );
    expect(server.bodyBytesRead['weights.bin'] ?? 0).toBeLessThanOrEqual(1024); // at most what the stream had buffered
  });

  it('without a Content-Length, stops reading a body that runs past the manifest', async () => {
    const files = dirFiles(modelDir);
    const size = files['weights.bin'].byteLength;
    const big = new Uint8Array(size + 1_000_000);
    big.set(files['weights.bin']);
    files['weights.bin'] = big;
    const server = serve(files, 'toy/', { 'weights.bin': null });
    const err = await rejection(fetchModelArtifacts(base, server.fetch));
    expect(err.message).toBe(`${base}/weights.bin: has more than ${size} bytes but model.json describes ${size} bytes of weights (the file does not belong to this manifest)`);
    expect(server.bodyBytesRead['weights.bin']).toBeLessThan(size + 4096);
  });

  it('refuses a truncated weights file, an HTTP error, invalid JSON and swapped weights, naming the URL', async () => {
    let files = dirFiles(modelDir);
    const size = files['weights.bin'].byteLength;
    files['weights.bin'] = files['weights.bin'].slice(0, size - 4);
    expect((await rejection(fetchModelArtifacts(base, serve(files, 'toy/', { 'weights.bin': null }).fetch))).message).toBe(
      `${base}/weights.bin: has ${size - 4} bytes but model.json describes ${size} bytes of weights (the file is truncated)`,
    );
    files = dirFiles(modelDir);
    delete files['rnnkit.json'];
    expect((await rejection(fetchModelArtifacts(base, serve(files).fetch))).message).toBe(
      `${base}/rnnkit.json: HTTP 404 Not Found (rnnkit model metadata; was the directory written by saveModelDir?)`,
    );
    files = dirFiles(modelDir);
    files['model.json'] = new TextEncoder().encode('{"modelTopology": ');
    expect((await rejection(fetchModelArtifacts(base, serve(files).fetch))).message).toMatch(
      new RegExp(`^${base}/model\\.json: invalid JSON \\(.*\\); the file is corrupt$`),
    );
    files = dirFiles(modelDir);
    files['weights.bin'] = files['weights.bin'].slice();
    files['weights.bin'][0] ^= 1;
    const fetched = await fetchModelArtifacts(base, serve(files).fetch);
    expect((await rejection(loadModelFromArtifacts(fetched))).message).toBe(
      `${base}/weights.bin: content does not match the SHA-256 recorded in rnnkit.json (corrupted or replaced weights)`,
    );
    const failing: FetchFn = async () => {
      throw new TypeError('Failed to fetch');
    };
    expect((await rejection(fetchModelArtifacts(base, failing))).message).toBe(
      `${base}/model.json: cannot fetch (Failed to fetch) (model topology; not a saved model directory?)`,
    );
  });

  it('refuses a model.json that describes more weights than rnnkit.json records, before fetching them', async () => {
    const files = dirFiles(modelDir);
    const modelJson = JSON.parse(new TextDecoder().decode(files['model.json']));
    modelJson.weightsManifest[0].weights.push({ name: 'huge', shape: [1_000_000_000], dtype: 'float32' });
    files['model.json'] = new TextEncoder().encode(JSON.stringify(modelJson));
    const server = serve(files);
    const err = await rejection(fetchModelArtifacts(base, server.fetch));
    expect(err.message).toMatch(/weights\.bin: model\.json describes more bytes of weights than the \d+ recorded in rnnkit\.json/);
    expect(server.requested).not.toContain(`${base}/weights.bin`);
  });

  it('a relative URL needs a page to be relative to', async () => {
    expect((await rejection(fetchModelArtifacts('models/toy', serve({}).fetch))).message).toMatch(/^models\/toy: not a URL/);
  });
});

describe('SHA-256 without Web Crypto (pages served over plain http)', () => {
  it('equals node:crypto at every padding boundary and on a large buffer', () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 2654435761) >>> 24);
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, bytes.length]) {
      const view = bytes.subarray(3, 3 + n); // an offset view, as a Node Buffer would be
      const want = createHash('sha256').update(view).digest('hex');
      expect(Buffer.from(sha256Js(view)).toString('hex'), `${n} bytes`).toBe(want);
    }
  });
});

describe('the bundle runs in a worker-like context', () => {
  it('loads the served model with no Node globals and no Web Crypto, predicting as Node does', async () => {
    const { code } = await bundle({
      stdin: { contents: "export * from './src/browser.ts';\nexport * as tf from '@tensorflow/tfjs';\n", resolveDir: coreDir, loader: 'ts' },
      format: 'iife',
      globalName: 'rnnkit',
    });
    const server = serve(dirFiles(modelDir));
    const context = runInWorkerContext(code, { fetch: server.fetch });
    const run = vm.runInContext(`(async (batch) => {
      const { tf } = rnnkit;
      await tf.setBackend('cpu');
      const loaded = await rnnkit.loadModelFromUrl('http://models.test/toy/');
      const probs = loaded.model.predict(tf.tensor3d(batch)).arraySync();
      return JSON.stringify({ probs, app: loaded.meta.app, backend: tf.getBackend(), hasProcess: typeof process !== 'undefined' });
    })`, context) as (batch: number[][][]) => Promise<string>;
    const result = JSON.parse(await run(JSON.parse(JSON.stringify(batch))));
    expect(result.hasProcess).toBe(false);
    expect(result.backend).toBe('cpu');
    expect(result.app).toEqual({ name: 'toy', version: '1.0.0' });
    expect(maxAbsDiff(result.probs, expected)).toBeLessThan(1e-5);
    expect(server.requested).toEqual(['http://models.test/toy/model.json', 'http://models.test/toy/rnnkit.json', 'http://models.test/toy/weights.bin']);
  }, 120_000);
});
