import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { RNNKIT_VERSION } from '../version.js';
import { describeSchemaError } from '../schema.js';
import { replaceDirAtomic, resolveDirWithBackup } from './atomic.js';
import { concatTypedArrays } from '../data/batches.js';

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
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const RNNKIT_JSON = 'rnnkit.json';
export const MODEL_DIR_FORMAT = 'rnnkit-model';
export const MODEL_DIR_VERSION = 2;

/** Which app wrote a model directory. */
export interface AppIdentity {
  name: string;
  version: string;
}

/** What a caller records next to the weights. */
export interface ModelRecord {
  /** The app that trained the model; loaders of other apps refuse the directory. */
  app?: AppIdentity;
  /** The app's resolved, schema-validated training config. */
  config?: Record<string, unknown>;
  /** The last training metrics (an epoch log), shown by `info`. */
  metrics?: Record<string, unknown>;
  /** Whatever else the app needs to rebuild its predictor: model config, vocabulary, scaler, ... */
  extras?: Record<string, unknown>;
}

const appIdentitySchema = z.strictObject({ name: z.string().min(1), version: z.string().min(1) });

const metaSchema = z.strictObject({
  format: z.literal(MODEL_DIR_FORMAT),
  formatVersion: z.literal(MODEL_DIR_VERSION),
  createdAt: z.string(),
  rnnkitVersion: z.string(),
  tfjsVersion: z.string(),
  app: appIdentitySchema.nullable(),
  config: z.record(z.string(), z.unknown()).nullable(),
  weights: z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) }),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  extras: z.record(z.string(), z.unknown()),
});

export type ModelDirMeta = z.infer<typeof metaSchema>;

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

/** Largest JSON file the loaders read (model.json, rnnkit.json, manifests): bounded before reading. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

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

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight spec occupies in the binary file, or undefined when it cannot be known up front (strings). */
function specByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  return bytes === undefined ? undefined : size * bytes;
}

function expectedGroupBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  const sizes = specs.map(specByteLength);
  if (sizes.some((s) => s === undefined || !Number.isSafeInteger(s) || s < 0)) return undefined;
  return (sizes as number[]).reduce((a, b) => a + b, 0);
}

/**
 * A weights path in a manifest must name a file inside the model directory: a plain file name, no separators, no
 * `..`. Anything else is refused, so a crafted model.json cannot make the loader read /etc/passwd or /dev/zero.
 */
function confinedFileName(p: string, manifestFile: string): void {
  if (p === '' || p === '.' || p === '..' || /[\\/\0]/.test(p) || path.isAbsolute(p)) {
    throw new RnnkitError(`${manifestFile}: weights path ${JSON.stringify(p)} must be a file name inside the model directory`);
  }
}

/**
 * Check that a binary file holds exactly the bytes its manifest describes: a shorter file is truncated, a longer one
 * belongs to a different model. Either would otherwise decode into silently wrong weights.
 */
function checkWeightBytes(binFile: string, manifestFile: string, specs: tf.io.WeightsManifestEntry[], actual: number) {
  const sizes = specs.map(specByteLength);
  if (sizes.some((s) => s === undefined)) return;
  const expected = (sizes as number[]).reduce((a, b) => a + b, 0);
  if (actual !== expected) {
    const why = actual < expected ? 'the file is truncated' : 'the file does not belong to this manifest';
    throw new RnnkitError(
      `${binFile}: has ${actual} bytes but ${path.basename(manifestFile)} describes ${expected} bytes of weights (${why})`,
    );
  }
}

interface ParsedModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  weightsManifest: tf.io.WeightsManifestConfig;
}

function parseManifest(value: unknown, file: string, field: string): tf.io.WeightsManifestConfig {
  const valid =
    Array.isArray(value) &&
    value.every(
      (g) =>
        typeof g === 'object' &&
        g !== null &&
        Array.isArray(g.paths) &&
        g.paths.every((p: unknown) => typeof p === 'string') &&
        Array.isArray(g.weights) &&
        g.weights.every(
          (w: unknown) =>
            typeof w === 'object' &&
            w !== null &&
            typeof (w as { name?: unknown }).name === 'string' &&
            Array.isArray((w as { shape?: unknown }).shape),
        ),
    );
  if (!valid) throw new RnnkitError(`${file}: ${field} must be a list of { paths: string[], weights: [...] }`);
  return value as tf.io.WeightsManifestConfig;
}

function parseModelJson(json: unknown, file: string): ParsedModelJson {
  if (typeof json !== 'object' || json === null) throw new RnnkitError(`${file}: expected a JSON object`);
  const obj = json as Record<string, unknown>;
  if (typeof obj.modelTopology !== 'object' || obj.modelTopology === null) {
    throw new RnnkitError(`${file}: field "modelTopology" is missing or not an object`);
  }
  parseManifest(obj.weightsManifest, file, 'field "weightsManifest"');
  return obj as unknown as ParsedModelJson;
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
  const json = await readJsonFile(file, 'rnnkit model metadata; was the directory written by saveModelDir?');
  const obj = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (obj.format !== MODEL_DIR_FORMAT) throw new RnnkitError(`${file}: field "format" must be "${MODEL_DIR_FORMAT}"`);
  if (obj.formatVersion === 1) {
    throw new RnnkitError(
      `${file}: formatVersion 1 was written by rnnkit before 0.2 (no app name, no weights hash); it is not migrated: retrain the model with this version`,
    );
  }
  if (typeof obj.formatVersion === 'number' && obj.formatVersion > MODEL_DIR_VERSION) {
    throw new RnnkitError(
      `${file}: formatVersion ${obj.formatVersion} is newer than this rnnkit reads (${MODEL_DIR_VERSION}); upgrade @rnnkit/core`,
    );
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) throw new RnnkitError(describeSchemaError(parsed.error, file, json));
  return parsed.data;
}

/** Turn tfjs' loader errors into messages that name the file at fault and what to do. */
function explainLoadError(err: unknown, dir: string): RnnkitError {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0];
  const modelFile = path.join(dir, MODEL_JSON);
  if (/Unknown (layer|constraint|initializer|regularizer|activation)/i.test(message)) {
    return new RnnkitError(
      `${modelFile}: ${firstLine}. Custom layers must be registered before loading: import '@rnnkit/core' for ` +
        `rnnkit's layers, or tf.serialization.registerClass(YourLayer) for your own`,
      { cause: err },
    );
  }
  if (/Shape mismatch|weights are not set|no target variable|expected \d+ weights/i.test(message)) {
    return new RnnkitError(
      `${path.join(dir, WEIGHTS_BIN)}: weights do not match the model described in ${MODEL_JSON} (${firstLine})`,
      { cause: err },
    );
  }
  return new RnnkitError(`${modelFile}: cannot build the model (${firstLine})`, { cause: err });
}

/** Load a directory written by `saveModelDir`. Errors name the file at fault. */
export async function loadModelDir(
  dir: string,
): Promise<{ model: tf.LayersModel; extras: Record<string, unknown>; meta: ModelDirMeta; dir: string }> {
  const resolved = resolveModelDirArg(dir);
  const modelFile = path.join(resolved, MODEL_JSON);
  const modelJson = parseModelJson(await readJsonFile(modelFile, 'model topology; not a saved model directory?'), modelFile);
  const meta = await readMeta(resolved);
  const { specs, data } = await readManifestWeights(resolved, modelFile, modelJson.weightsManifest);
  checkWeightsHash(resolved, meta, new Uint8Array(data));
  checkFiniteWeights(specs, data, path.join(resolved, WEIGHTS_BIN));
  checkTopologySizes(modelJson.modelTopology, specs, modelFile);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: specs,
        weightData: data,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy ?? undefined,
        trainingConfig: modelJson.trainingConfig,
      }),
    );
  } catch (err) {
    throw explainLoadError(err, resolved);
  }
  return { model, extras: meta.extras, meta, dir: resolved };
}

/** The weights must be the ones rnnkit.json was written for: a swapped or corrupted weights.bin is refused. */
function checkWeightsHash(dir: string, meta: ModelDirMeta, data: Uint8Array): void {
  if (data.byteLength !== meta.weights.bytes || sha256Hex(data) !== meta.weights.sha256) {
    throw new RnnkitError(
      `${path.join(dir, WEIGHTS_BIN)}: content does not match the SHA-256 recorded in ${RNNKIT_JSON} (corrupted or replaced weights)`,
    );
  }
}

/** A NaN or infinite weight makes every prediction NaN or garbage: refuse it at load time, naming the weight. */
function checkFiniteWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, file: string): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = specByteLength(spec) ?? 0;
    if (spec.dtype === 'float32' && spec.quantization === undefined) {
      const values = new Float32Array(data, offset, count);
      for (let i = 0; i < count; i++) {
        if (!Number.isFinite(values[i])) throw new RnnkitError(`${file}: weight "${spec.name}" holds ${values[i]} at element ${i} (corrupt or diverged weights)`);
      }
    }
    offset += bytes;
  }
}

/** Layer config fields that are sizes of weights: each must show up as a dimension of some weight. */
const SIZE_FIELDS = new Set(['units', 'inputDim', 'outputDim', 'filters']);

/**
 * tfjs allocates every layer's weights from model.json's config before it reads any weight, so a crafted
 * `"units": 12000` would allocate gigabytes first. Every size field in the topology must be a dimension that the
 * (size-checked) weight manifest actually has; anything larger is refused before building.
 */
function checkTopologySizes(topology: object, specs: tf.io.WeightsManifestEntry[], file: string): void {
  const dims = new Set(specs.flatMap((s) => s.shape));
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => visit(n, `${where}[${i}]`));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (SIZE_FIELDS.has(key) && typeof value === 'number' && !dims.has(value)) {
        throw new RnnkitError(`${file}: ${where}.${key} is ${value}, which no weight in the manifest has as a dimension (crafted or mismatched model.json)`);
      }
      visit(value, where === '' ? key : `${where}.${key}`);
    }
  };
  visit(topology, 'modelTopology');
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
  checkWeightsHash(resolved, await readMeta(resolved), new Uint8Array(data));
  const binFile = path.join(resolved, WEIGHTS_BIN);
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
