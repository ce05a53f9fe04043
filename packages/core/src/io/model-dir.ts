import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { RNNKIT_VERSION } from '../version.js';
import { replaceDirAtomic, resolveDirWithBackup } from './atomic.js';
import { concatTypedArrays } from '../data/batches.js';
import {
  MAX_JSON_BYTES,
  MODEL_DIR_FORMAT,
  MODEL_DIR_VERSION,
  MODEL_JSON,
  RNNKIT_JSON,
  WEIGHTS_BIN,
  buildCheckedModel,
  checkWeightBytes,
  checkWeightsHash,
  confinedFileName,
  expectedGroupBytes,
  parseManifest,
  parseModelJson,
  parseModelMeta,
  type ModelDirMeta,
  type ModelRecord,
  type ParsedModelJson,
} from './model-artifacts.js';

/**
 * A saved model is a directory:
 *   model.json   - tfjs "layers-model" JSON: topology + weightsManifest (loadable by tfjs' own file:// loaders too)
 *   weights.bin  - all weights, little-endian, in manifest order
 *   rnnkit.json  - what the directory is: format version, the app that wrote it (name, version), rnnkit and tfjs
 *                  versions, the app's validated training config, the weights' SHA-256, the last training metrics
 *                  and the app's extras (vocab, scaler, ...)
 * plus any extra files the caller adds (checkpoints add train state and optimizer weights).
 * Format 1 (before the app contract) recorded no app and no hash: such directories are refused with a message
 * (retrain), not migrated, because most of them cannot say which app wrote them.
 * Pure tfjs has no file:// handler in Node, so the artifacts are captured in memory and written here.
 *
 * This module is the Node layer: it reads and writes the files (bounded reads, confined paths). Parsing, the
 * checks and building the model from memory are node-free, in model-artifacts.ts, which web pages use directly.
 */

export { MODEL_JSON, WEIGHTS_BIN, RNNKIT_JSON, MODEL_DIR_FORMAT, MODEL_DIR_VERSION } from './model-artifacts.js';
export type { AppIdentity, ModelRecord, ModelDirMeta } from './model-artifacts.js';

/** A tensor with its name (what optimizers' getWeights/setWeights exchange). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface SaveModelDirOptions {
  /** Additional files (name → content) written into the same directory, inside the same atomic swap. */
  files?: Record<string, string | Uint8Array>;
}

/** Capture a model's topology and weights in memory. */
async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured) throw new Error('tfjs did not hand over model artifacts');
  return captured;
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * Save `model` and JSON `extras` to `dir`. The directory is written as a temp sibling and swapped in only when
 * complete, so an existing model at `dir` survives a crash or kill mid-save.
 */
export async function saveModelDir(
  dir: string,
  model: tf.LayersModel,
  record: ModelRecord = {},
  options: SaveModelDirOptions = {},
): Promise<void> {
  const artifacts = await modelArtifacts(model);
  const weights = weightBytes(artifacts.weightData);
  const modelJson = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  const meta: ModelDirMeta = {
    format: MODEL_DIR_FORMAT,
    formatVersion: MODEL_DIR_VERSION,
    createdAt: new Date().toISOString(),
    rnnkitVersion: RNNKIT_VERSION,
    tfjsVersion: tf.version.tfjs,
    app: record.app ?? null,
    config: record.config ?? null,
    weights: { sha256: sha256Hex(weights), bytes: weights.byteLength },
    metrics: record.metrics ?? null,
    extras: record.extras ?? {},
  };
  const files: Record<string, string | Uint8Array> = {
    [MODEL_JSON]: JSON.stringify(modelJson),
    [WEIGHTS_BIN]: weights,
    [RNNKIT_JSON]: JSON.stringify(meta, null, 2) + '\n',
    ...options.files,
  };
  await replaceDirAtomic(dir, async (tmp) => {
    for (const [name, content] of Object.entries(files)) await fsp.writeFile(path.join(tmp, name), content);
  });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Read and parse a JSON file, turning every failure into an error that names the file. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    const stat = await fsp.stat(file);
    if (!stat.isFile()) throw new RnnkitError(`${file}: not a regular file (${what})`);
    if (stat.size > MAX_JSON_BYTES) throw new RnnkitError(`${file}: ${stat.size} bytes is more than the ${MAX_JSON_BYTES} bytes a ${what} may have`);
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RnnkitError(`${file}: missing (${what})`);
    throw new RnnkitError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RnnkitError(`${file}: invalid JSON (${(err as Error).message}); the file is corrupt`, { cause: err });
  }
}

/**
 * Reads a binary file whose size is known from its manifest. The size is checked before anything is read, so a
 * manifest pointing at a device or a huge file cannot make the loader allocate or block.
 */
async function readBinaryFile(file: string, what: string, expectedBytes?: number, manifestName = 'the manifest'): Promise<Uint8Array> {
  try {
    const stat = await fsp.stat(file);
    if (!stat.isFile()) throw new RnnkitError(`${file}: not a regular file (${what})`);
    if (expectedBytes !== undefined && stat.size !== expectedBytes) {
      const why = stat.size < expectedBytes ? 'the file is truncated' : 'the file does not belong to this manifest';
      throw new RnnkitError(`${file}: has ${stat.size} bytes but ${manifestName} describes ${expectedBytes} bytes of weights (${why})`);
    }
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RnnkitError(`${file}: missing (${what})`);
    throw new RnnkitError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
}

/** Read the weight groups of a manifest and check their sizes; returns specs and data in manifest order. */
async function readManifestWeights(
  dir: string,
  manifestFile: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  for (const group of manifest) {
    for (const p of group.paths) confinedFileName(p, manifestFile);
    // One file per group (what saveModelDir and tensorsToFiles write) can be size-checked before it is read.
    const expected = group.paths.length === 1 ? expectedGroupBytes(group.weights) : undefined;
    const chunks: Uint8Array[] = [];
    for (const p of group.paths) chunks.push(await readBinaryFile(path.join(dir, p), `weights listed in ${manifestFile}`, expected, path.basename(manifestFile)));
    const groupData = concatTypedArrays(chunks, new Uint8Array(0));
    checkWeightBytes(path.join(dir, group.paths.join('+')), manifestFile, group.weights, groupData.byteLength);
    specs.push(...group.weights);
    parts.push(groupData.buffer as ArrayBuffer);
  }
  return { specs, data: tf.io.concatenateArrayBuffers(parts) };
}

function resolveModelDir(dir: string): string {
  const resolved = resolveDirWithBackup(dir);
  if (!fs.existsSync(resolved)) throw new RnnkitError(`model directory not found: ${dir}`);
  if (!fs.statSync(resolved).isDirectory()) throw new RnnkitError(`${dir}: not a directory (expected a saved model directory)`);
  return resolved;
}

async function readMeta(dir: string): Promise<ModelDirMeta> {
  const file = path.join(dir, RNNKIT_JSON);
  return parseModelMeta(await readJsonFile(file, 'rnnkit model metadata; was the directory written by saveModelDir?'), file);
}

/** A model directory's files in memory: model.json and rnnkit.json parsed, the weights concatenated in manifest order. */
export interface ModelDirFiles {
  dir: string;
  modelJson: ParsedModelJson;
  meta: ModelDirMeta;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/**
 * Reads a model directory's files with loadModelDir's file checks (formats, confined paths, sizes) but builds no
 * model and does not verify the hash: for tools that rewrite a directory (export) after loading it once.
 */
export async function readModelDirFiles(dir: string): Promise<ModelDirFiles> {
  const resolved = resolveModelDirArg(dir);
  const modelFile = path.join(resolved, MODEL_JSON);
  const modelJson = parseModelJson(await readJsonFile(modelFile, 'model topology; not a saved model directory?'), modelFile);
  const meta = await readMeta(resolved);
  const { specs, data } = await readManifestWeights(resolved, modelFile, modelJson.weightsManifest);
  return { dir: resolved, modelJson, meta, specs, data };
}

/** Load a directory written by `saveModelDir`. Errors name the file at fault. */
export async function loadModelDir(
  dir: string,
): Promise<{ model: tf.LayersModel; extras: Record<string, unknown>; meta: ModelDirMeta; dir: string }> {
  const { dir: resolved, modelJson, meta, specs, data } = await readModelDirFiles(dir);
  const modelFile = path.join(resolved, MODEL_JSON);
  const model = await buildCheckedModel({
    modelJson,
    meta,
    specs,
    data,
    modelFile,
    weightsFile: path.join(resolved, WEIGHTS_BIN),
    sha256: sha256Hex,
  });
  return { model, extras: meta.extras, meta, dir: resolved };
}

/**
 * Reads only a model directory's rnnkit.json (cheap: no weights), e.g. to see which app wrote it.
 * `dir` may be the model directory or a run directory holding `model/`.
 */
export async function readModelMeta(dir: string): Promise<{ dir: string; meta: ModelDirMeta }> {
  const resolved = resolveModelDirArg(dir);
  return { dir: resolved, meta: await readMeta(resolved) };
}

/** The model directory inside a training run directory. */
export const RUN_MODEL_SUBDIR = 'model';

/**
 * What users pass as `--model`: a model directory, or a training run directory (`--out`) holding `model/`.
 * The one place where that choice is made.
 */
export function resolveModelDirArg(dir: string): string {
  const direct = resolveModelDir(dir);
  if (fs.existsSync(path.join(direct, MODEL_JSON))) return direct;
  const inner = path.join(dir, RUN_MODEL_SUBDIR);
  if (fs.existsSync(resolveDirWithBackup(inner))) return resolveModelDir(inner);
  return direct;
}

/**
 * Copy the weights saved in model directory `dir` into an existing `model` (same architecture), matching by position
 * and checking every shape. Used to resume training into the caller's model object.
 */
export async function loadWeightsInto(model: tf.LayersModel, dir: string): Promise<void> {
  const resolved = resolveModelDir(dir);
  const modelFile = path.join(resolved, MODEL_JSON);
  const modelJson = parseModelJson(await readJsonFile(modelFile, 'model topology'), modelFile);
  const { specs, data } = await readManifestWeights(resolved, modelFile, modelJson.weightsManifest);
  const binFile = path.join(resolved, WEIGHTS_BIN);
  await checkWeightsHash(binFile, await readMeta(resolved), new Uint8Array(data), sha256Hex);
  const targets = model.weights;
  if (specs.length !== targets.length) {
    throw new RnnkitError(
      `${binFile}: holds ${specs.length} weight tensors but the model has ${targets.length}; it was saved from a different architecture`,
    );
  }
  specs.forEach((spec, i) => {
    const want = targets[i].shape;
    if (spec.shape.length !== want.length || spec.shape.some((d, j) => d !== want[j])) {
      throw new RnnkitError(
        `${binFile}: weight ${i} "${spec.name}" has shape [${spec.shape}] but the model's "${targets[i].name}" has shape [${want}]`,
      );
    }
  });
  const named = tf.io.decodeWeights(data, specs);
  const values = specs.map((s) => named[s.name]);
  try {
    model.setWeights(values);
  } finally {
    tf.dispose(values);
  }
}

/** Serialize named tensors into a JSON manifest and a binary file (for optimizer state and similar). */
export async function tensorsToFiles(
  tensors: NamedTensor[],
  baseName: string,
): Promise<Record<string, string | Uint8Array>> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [`${baseName}.bin`], weights: specs }];
  return { [`${baseName}.json`]: JSON.stringify(manifest), [`${baseName}.bin`]: new Uint8Array(data) };
}

/** Read tensors written by `tensorsToFiles`, in their saved order. The caller disposes them. */
export async function readTensorFiles(dir: string, baseName: string): Promise<NamedTensor[]> {
  const manifestFile = path.join(dir, `${baseName}.json`);
  const json = await readJsonFile(manifestFile, 'weights manifest');
  const manifest = parseManifest(json, manifestFile, 'the manifest');
  const { specs, data } = await readManifestWeights(dir, manifestFile, manifest);
  const named = tf.io.decodeWeights(data, specs);
  return specs.map((s) => ({ name: s.name, tensor: named[s.name] }));
}
