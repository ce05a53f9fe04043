import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { replaceDirAtomic, resolveDirWithBackup } from './atomic.js';
import { concatTypedArrays } from '../data/batches.js';

/**
 * A saved model is a directory:
 *   model.json   - tfjs "layers-model" JSON: topology + weightsManifest (loadable by tfjs' own file:// loaders too)
 *   weights.bin  - all weights, little-endian, in manifest order
 *   rnnkit.json  - format version, creation time, tfjs version and the app's extras (config, vocab, scaler, ...)
 * plus any extra files the caller adds (checkpoints add train state and optimizer weights).
 * Pure tfjs has no file:// handler in Node, so the artifacts are captured in memory and written here.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const RNNKIT_JSON = 'rnnkit.json';
export const MODEL_DIR_FORMAT = 'rnnkit-model';
export const MODEL_DIR_VERSION = 1;

export interface ModelDirMeta {
  format: string;
  formatVersion: number;
  createdAt: string;
  tfjsVersion: string;
  extras: Record<string, unknown>;
}

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
  extras: Record<string, unknown> = {},
  options: SaveModelDirOptions = {},
): Promise<void> {
  const artifacts = await modelArtifacts(model);
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
    tfjsVersion: tf.version.tfjs,
    extras,
  };
  const files: Record<string, string | Uint8Array> = {
    [MODEL_JSON]: JSON.stringify(modelJson),
    [WEIGHTS_BIN]: weightBytes(artifacts.weightData),
    [RNNKIT_JSON]: JSON.stringify(meta, null, 2) + '\n',
    ...options.files,
  };
  await replaceDirAtomic(dir, async (tmp) => {
    for (const [name, content] of Object.entries(files)) await fsp.writeFile(path.join(tmp, name), content);
  });
}

/** Read and parse a JSON file, turning every failure into an error that names the file. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RnnkitError(`${file}: missing (${what})`);
    throw new RnnkitError(`${file}: cannot read (${(err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RnnkitError(`${file}: invalid JSON (${(err as Error).message}); the file is corrupt`, { cause: err });
  }
}

async function readBinaryFile(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
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
    const chunks: Uint8Array[] = [];
    for (const p of group.paths) chunks.push(await readBinaryFile(path.join(dir, p), `weights listed in ${manifestFile}`));
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
  const meta = (await readJsonFile(file, 'rnnkit model metadata; was the directory written by saveModelDir?')) as
    | Partial<ModelDirMeta>
    | null;
  if (typeof meta !== 'object' || meta === null || meta.format !== MODEL_DIR_FORMAT) {
    throw new RnnkitError(`${file}: field "format" must be "${MODEL_DIR_FORMAT}"`);
  }
  if (typeof meta.formatVersion !== 'number' || meta.formatVersion > MODEL_DIR_VERSION) {
    throw new RnnkitError(
      `${file}: formatVersion ${meta.formatVersion} is not supported (this rnnkit reads up to ${MODEL_DIR_VERSION}); upgrade @rnnkit/core`,
    );
  }
  return { ...(meta as ModelDirMeta), extras: meta.extras ?? {} };
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
): Promise<{ model: tf.LayersModel; extras: Record<string, unknown>; meta: ModelDirMeta }> {
  const resolved = resolveModelDir(dir);
  const modelFile = path.join(resolved, MODEL_JSON);
  const modelJson = parseModelJson(await readJsonFile(modelFile, 'model topology; not a saved model directory?'), modelFile);
  const meta = await readMeta(resolved);
  const { specs, data } = await readManifestWeights(resolved, modelFile, modelJson.weightsManifest);
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
  return { model, extras: meta.extras, meta };
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
