import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { RnnkitError } from '../errors.js';
import { tidyValues } from '../run-model.js';
import { RNNKIT_VERSION } from '../version.js';
import { replaceDirAtomic } from './atomic.js';
import { MODEL_JSON, RNNKIT_JSON, WEIGHTS_BIN, buildCheckedModel, type ModelDirMeta } from './model-artifacts.js';
import { loadModelDir, readModelDirFiles } from './model-dir.js';
import { NotPlainTfjsError, toPlainTfjs } from './plain-tfjs.js';
import { runWithPlainTfjs, type TensorData } from './plain-tfjs-check.js';
import { quantizeWeights, type Quantization } from './quantize.js';

/**
 * `export`: a saved model directory rewritten for use outside rnnkit's Node tools.
 *
 *   web         model.json + weight file(s) + rnnkit.json, optionally quantized (tfjs's manifest format): still a model
 *               directory (loadModelDir, loadModelFromUrl / @rnnkit/core/browser load it with every check), plus
 *               manifest.json: what a page downloads (files, bytes, SHA-256) and how the weights are stored.
 *   plain-tfjs  the same files with rnnkit's recurrent layers rewritten as stock tfjs layers, so that
 *               `tf.loadLayersModel` builds it with no rnnkit import. Refused unless a fresh process running only
 *               plain tfjs reproduces rnnkit's outputs within PLAIN_TFJS_TOLERANCE on a test batch.
 *
 * Nothing is written until every check passed: the files are built in memory, checked from a private temp
 * directory, then written to OUT_DIR with an atomic directory swap (a kill leaves the old OUT_DIR or the new one).
 */

export const EXPORT_MANIFEST = 'manifest.json';
export const EXPORT_FORMAT = 'rnnkit-export';
export const EXPORT_FORMAT_VERSION = 1;
/** Largest max-abs output difference between the plain tfjs and the rnnkit model that export accepts. */
export const PLAIN_TFJS_TOLERANCE = 1e-5;
/** Weights are split into files of at most this size (tfjs's converter uses the same 4 MB: HTTP caches like them). */
export const SHARD_BYTES = 4 * 1024 * 1024;

export type ExportKind = 'web' | 'plain-tfjs';

export interface ExportOptions {
  /** The model directory (or a run directory holding model/). */
  modelDir: string;
  outDir: string;
  kind: ExportKind;
  quantize?: Quantization;
  /** Replace an OUT_DIR that holds an earlier export. */
  overwrite?: boolean;
}

export interface ExportedFile {
  name: string;
  bytes: number;
  /** What the file takes on the wire when the server gzips it (weights barely compress; JSON does). */
  gzipBytes: number;
  sha256: string;
}

/** manifest.json. */
export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  kind: ExportKind;
  createdAt: string;
  app: ModelDirMeta['app'];
  rnnkitVersion: string;
  tfjsVersion: string;
  quantization: Quantization;
  /** The files a page downloads (not manifest.json itself), in the order to fetch them. */
  files: ExportedFile[];
  totalBytes: number;
  totalGzipBytes: number;
  /**
   * The source model's weights (float32 unless it was itself an export), for comparison. No path: the manifest is
   * published with the model, and the local directory is nobody's business.
   */
  source: { weightsBytes: number; weightsSha256: string };
  /** What the command measured on its test batch before writing. */
  check: {
    /** Shapes of the test batch's inputs. */
    batch: number[][];
    /**
     * web: max |output difference| between the exported (possibly quantized) model, loaded with rnnkit's loader,
     * and the source model. plain-tfjs: between plain tfjs in a fresh process and rnnkit on the same weights.
     */
    maxAbsDiff: number;
    /** plain-tfjs: the layers rewritten, and the classes plain tfjs built. */
    rewritten?: { name: string; from: string; to: string }[];
    plainClasses?: string[];
    /** plain-tfjs with --quantize: max |output difference| of the quantized rnnkit model against the source. */
    quantizationDiff?: number;
  };
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** Steps used for inputs whose time dimension is free (a text model's tokens). */
const FREE_DIM = 12;
const TEST_BATCH = 4;

/**
 * A seeded test batch for the model's inputs: floats uniform in [-1, 1) (every gate saturation regime of a trained
 * RNN shows up), integer inputs as ids below the smallest Embedding vocabulary of the model (0 included, so
 * mask_zero paths run too).
 */
export function testBatch(model: tf.LayersModel, seed = 1): TensorData[] {
  const random = seedrandom.alea(String(seed));
  const vocab = Math.min(
    ...model.layers.filter((l) => l.getClassName() === 'Embedding').map((l) => Number(l.getConfig().inputDim)),
    Number.POSITIVE_INFINITY,
  );
  return model.inputs.map((input) => {
    const shape = input.shape.map((d, i) => (i === 0 ? TEST_BATCH : (d ?? FREE_DIM)));
    const size = shape.reduce((a, b) => a * b, 1);
    if (input.dtype === 'int32') {
      const limit = Number.isFinite(vocab) ? vocab : 2;
      return { dtype: 'int32', shape, values: Array.from({ length: size }, () => Math.floor(random() * limit)) };
    }
    return { dtype: 'float32', shape, values: Array.from({ length: size }, () => Math.fround(2 * random() - 1)) };
  });
}

/** A model's outputs on a batch, as plain data. */
export type BatchOutputs = { shape: number[]; values: number[] }[];

/** The model's outputs on a batch (tfjs-layers' own predict, the path a page's code takes). */
export function runOnBatch(model: tf.LayersModel, batch: TensorData[]): BatchOutputs {
  let shapes: number[][] = [];
  const values = tidyValues(() => {
    const xs = batch.map((t) => tf.tensor(t.values, t.shape, t.dtype));
    const ys = model.predict(xs.length === 1 ? xs[0] : xs);
    const list = Array.isArray(ys) ? ys : [ys];
    shapes = list.map((y) => y.shape);
    return list;
  });
  return values.map((v, i) => ({ shape: shapes[i], values: Array.from(v) }));
}

/** Largest |a - b| over every output; Infinity when shapes differ or a value is not finite in one of them. */
export function maxAbsDifference(a: BatchOutputs, b: BatchOutputs): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let k = 0; k < a.length; k++) {
    if (a[k].shape.join(',') !== b[k].shape.join(',') || a[k].values.length !== b[k].values.length) return Infinity;
    for (let i = 0; i < a[k].values.length; i++) {
      const d = Math.abs(a[k].values[i] - b[k].values[i]);
      if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
    }
  }
  return max;
}

/** Weight bytes split into ≤ SHARD_BYTES files: weights.bin when one is enough (the usual model directory). */
function shardWeights(data: Uint8Array): { name: string; bytes: Uint8Array }[] {
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  if (count === 1) return [{ name: WEIGHTS_BIN, bytes: data }];
  return Array.from({ length: count }, (_, i) => ({
    name: `weights-${i + 1}of${count}.bin`,
    bytes: data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES)),
  }));
}

/** Whether `inner` is `outer` or inside it (both resolved through symlinks where they exist). */
function isSameOrInside(inner: string, outer: string): boolean {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const rel = path.relative(real(outer), real(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * OUT_DIR must be new, empty, or (with --overwrite) an earlier export: --overwrite never deletes a directory that
 * export did not write, so a mistyped OUT_DIR cannot wipe a home or project folder.
 */
function checkOutDir(outDir: string, modelDir: string, overwrite: boolean): void {
  if (isSameOrInside(modelDir, outDir)) {
    throw new RnnkitError(`${outDir}: is or contains the model directory ${modelDir}; export to another directory`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(outDir);
  } catch {
    return; // missing: created by the write
  }
  if (!stat.isDirectory()) throw new RnnkitError(`${outDir}: exists and is not a directory`);
  const entries = fs.readdirSync(outDir);
  if (entries.length === 0) return;
  if (!overwrite) throw new RnnkitError(`${outDir}: not empty; pass --overwrite to replace an earlier export there`);
  let earlier: unknown;
  try {
    earlier = JSON.parse(fs.readFileSync(path.join(outDir, EXPORT_MANIFEST), 'utf8'));
  } catch {
    earlier = undefined;
  }
  if ((earlier as { format?: unknown } | undefined)?.format !== EXPORT_FORMAT) {
    throw new RnnkitError(`${outDir}: not empty and not an earlier export (no ${EXPORT_MANIFEST}); --overwrite only replaces exports`);
  }
}

/** What `exportModel` returns: the manifest it wrote. */
export async function exportModel(opts: ExportOptions): Promise<ExportManifest> {
  const quantization = opts.quantize ?? 'none';
  // Read once and build from those bytes (every loadModelDir check, hash included): what is exported is what was checked.
  const files = await readModelDirFiles(opts.modelDir);
  const source = {
    dir: files.dir,
    model: await buildCheckedModel({
      ...files,
      modelFile: path.join(files.dir, MODEL_JSON),
      weightsFile: path.join(files.dir, WEIGHTS_BIN),
      sha256,
    }),
  };
  try {
    checkOutDir(opts.outDir, source.dir, opts.overwrite === true);
    const batch = testBatch(source.model);
    const expected = runOnBatch(source.model, batch);

    let topology = files.modelJson.modelTopology;
    let specs = files.specs;
    let rewritten: ExportManifest['check']['rewritten'];
    if (opts.kind === 'plain-tfjs') {
      try {
        const plain = toPlainTfjs(topology, specs);
        topology = plain.modelTopology;
        specs = plain.specs;
        rewritten = plain.rewritten;
      } catch (err) {
        if (!(err instanceof NotPlainTfjsError)) throw err;
        const app = files.meta.app?.name;
        throw new RnnkitError(
          `${source.dir}: cannot export to plain tfjs: ${err.message}; ${app ? `a ${app} model` : 'this model'} needs rnnkit's layers: ` +
            `export it with --web and load it with @rnnkit/core/browser`,
        );
      }
    }
    const encoded = quantizeWeights(specs, files.data, quantization);
    const shards = shardWeights(encoded.data);
    // No trainingConfig: an export is for inference, and plain tfjs would try to compile rnnkit's losses.
    const modelJson = {
      format: files.modelJson.format ?? 'layers-model',
      generatedBy: files.modelJson.generatedBy,
      convertedBy: `rnnkit ${RNNKIT_VERSION} export --${opts.kind}${quantization === 'none' ? '' : ` --quantize ${quantization}`}`,
      modelTopology: topology,
      weightsManifest: [{ paths: shards.map((s) => s.name), weights: encoded.specs }],
    };
    // The same record as the source, for the weights as written: loaders check the hash over all shards in order.
    const meta: ModelDirMeta = {
      ...withoutMachinePaths(files.meta),
      weights: { sha256: sha256(encoded.data), bytes: encoded.data.byteLength },
    };
    const content: { name: string; bytes: Uint8Array }[] = [
      { name: MODEL_JSON, bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
      ...shards,
      { name: RNNKIT_JSON, bytes: new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n') },
    ];

    const staging = await fsp.mkdtemp(path.join(os.tmpdir(), 'rnnkit-export-'));
    let check: ExportManifest['check'];
    try {
      for (const f of content) await fsp.writeFile(path.join(staging, f.name), f.bytes);
      if (opts.kind === 'web') {
        check = await checkWeb(staging, batch, expected);
      } else if (quantization === 'none') {
        check = await checkPlain(staging, batch, expected, rewritten ?? []);
      } else {
        // The rewrite is checked on identical weights: rnnkit's own layers with the same quantized weights. The
        // quantization's own effect is measured separately against the source.
        const sameWeights = await runRnnkitQuantized(files.modelJson.modelTopology, files.specs, files.data, quantization, batch);
        check = { ...(await checkPlain(staging, batch, sameWeights, rewritten ?? [])), quantizationDiff: maxAbsDifference(sameWeights, expected) };
      }
    } finally {
      await fsp.rm(staging, { recursive: true, force: true });
    }

    const exported = content.map((f) => ({
      name: f.name,
      bytes: f.bytes.byteLength,
      gzipBytes: gzipSync(f.bytes).byteLength,
      sha256: sha256(f.bytes),
    }));
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      formatVersion: EXPORT_FORMAT_VERSION,
      kind: opts.kind,
      createdAt: new Date().toISOString(),
      app: files.meta.app,
      rnnkitVersion: RNNKIT_VERSION,
      tfjsVersion: tf.version.tfjs,
      quantization,
      files: exported,
      totalBytes: exported.reduce((n, f) => n + f.bytes, 0),
      totalGzipBytes: exported.reduce((n, f) => n + f.gzipBytes, 0),
      source: { weightsBytes: files.meta.weights.bytes, weightsSha256: files.meta.weights.sha256 },
      check,
    };
    try {
      await replaceDirAtomic(opts.outDir, async (tmp) => {
        for (const f of content) await fsp.writeFile(path.join(tmp, f.name), f.bytes);
        await fsp.writeFile(path.join(tmp, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof RnnkitError || code === undefined) throw err;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'no space left on the device' : code;
      throw new RnnkitError(`${opts.outDir}: cannot write the export (${why})`, { cause: err });
    }
    return manifest;
  } finally {
    source.model.dispose();
  }
}

/** The source topology (rnnkit's layers) run with its weights quantized as the export stores them. */
async function runRnnkitQuantized(
  topology: object, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, quantization: Quantization, batch: TensorData[],
): Promise<BatchOutputs> {
  const encoded = quantizeWeights(specs, data, quantization);
  const weightData = encoded.data.buffer.slice(encoded.data.byteOffset, encoded.data.byteOffset + encoded.data.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: encoded.specs, weightData }));
  try {
    return runOnBatch(model, batch);
  } finally {
    model.dispose();
  }
}

/** The web export must load with rnnkit's own loader (hash, sizes, finite weights) and run. */
async function checkWeb(dir: string, batch: TensorData[], expected: BatchOutputs): Promise<ExportManifest['check']> {
  const loaded = await loadModelDir(dir);
  try {
    return { batch: batch.map((t) => t.shape), maxAbsDiff: maxAbsDifference(runOnBatch(loaded.model, batch), expected) };
  } finally {
    loaded.model.dispose();
  }
}

/** The plain export in `dir` must load in plain tfjs alone and reproduce rnnkit's outputs (`expected`). */
export async function checkPlain(
  dir: string, batch: TensorData[], expected: BatchOutputs, rewritten: NonNullable<ExportManifest['check']['rewritten']>,
): Promise<ExportManifest['check']> {
  const plain = await runWithPlainTfjs(dir, batch);
  const diff = maxAbsDifference(plain.outputs, expected);
  const shape = batch.map((t) => t.shape.join('×')).join(', ');
  if (!(diff < PLAIN_TFJS_TOLERANCE)) {
    // The largest output says how much of the difference float32 rounding alone can explain (it scales with it).
    const largest = expected.reduce((m, o) => o.values.reduce((mm, v) => Math.max(mm, Math.abs(v)), m), 0);
    throw new RnnkitError(
      `plain tfjs outputs differ from rnnkit's by up to ${diff.toExponential(2)} on a ${shape} test batch ` +
        `(outputs up to ${largest.toPrecision(3)} in size; limit ${PLAIN_TFJS_TOLERANCE.toExponential(0)}); nothing written`,
    );
  }
  return { batch: batch.map((t) => t.shape), maxAbsDiff: diff, rewritten, plainClasses: plain.classes };
}

/** An absolute path ("/home/me/datasets/mnist", "C:\\data\\x") as its last two parts ("datasets/mnist"). */
function lastTwoParts(value: unknown): unknown {
  if (typeof value !== 'string' || !/^(\/|[A-Za-z]:[\\/])[^\\/]+[\\/]/.test(value)) return value;
  return value.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
}

/**
 * rnnkit.json records where the training data and the run were (`extras.data`, the training config's `data`,
 * `out`, ...): useful on the machine that trained, a leak of its folder layout in a published export. Those two
 * places keep only the last two parts of an absolute path; nothing else (vocabularies, scalers) is touched.
 */
export function withoutMachinePaths(meta: ModelDirMeta): ModelDirMeta {
  const config = meta.config && Object.fromEntries(Object.entries(meta.config).map(([k, v]) => [k, lastTwoParts(v)]));
  // extras' `data` is a path; descriptions (mnist's `dataDescription`) are sentences that may name files.
  const extras = Object.fromEntries(
    Object.entries(meta.extras).map(([k, v]) => [
      k,
      k === 'data' ? lastTwoParts(v) : /description/i.test(k) && typeof v === 'string' ? v.replace(/(?:\/[^\s/]+){3,}/g, (p) => String(lastTwoParts(p))) : v,
    ]),
  );
  return { ...meta, ...(config ? { config } : {}), extras };
}
