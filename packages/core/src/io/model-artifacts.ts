import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { describeSchemaError } from '../schema.js';

/**
 * A saved model directory's three files, checked and turned into a tf.LayersModel from memory: no Node APIs, so a web
 * page loads the same directories (served as static files) with the same checks as `loadModelDir` (the thin Node
 * layer in model-dir.ts that reads the files from disk and hands them here).
 *
 *   model.json   - tfjs "layers-model" JSON: topology + weightsManifest
 *   weights.bin  - all weights, little-endian, in manifest order
 *   rnnkit.json  - format version, the app that wrote the model, versions, config, the weights' SHA-256, extras
 *
 * What a crafted directory cannot make the loader do, wherever it runs: read or fetch outside the directory (weights
 * paths are plain file names), read more bytes than the manifest describes, accept weights other than those
 * rnnkit.json was written for (SHA-256), hold NaN/Infinity weights, or allocate layers larger than its weights.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const RNNKIT_JSON = 'rnnkit.json';
export const MODEL_DIR_FORMAT = 'rnnkit-model';
export const MODEL_DIR_VERSION = 2;

/** Largest JSON file the loaders read (model.json, rnnkit.json, manifests): bounded before reading. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Which app wrote a model directory. */
export interface AppIdentity {
  name: string;
  version: string;
  /** The app's command, when it is not `rnnkit-<name>` (named in the error another app's loader gives). */
  bin?: string;
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

const appIdentitySchema = z.strictObject({ name: z.string().min(1), version: z.string().min(1), bin: z.string().min(1).optional() });

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

/** SHA-256 of some bytes as 64 lowercase hex digits. */
export type Sha256Fn = (bytes: Uint8Array) => string | Promise<string>;

/** `name` inside `source` (a directory path or URL), for messages: "dir/model.json". */
export function fileIn(source: string, name: string): string {
  return source.endsWith('/') || source.endsWith('\\') ? `${source}${name}` : `${source}/${name}`;
}

/** The last segment of a path or URL. */
function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1];
}

/** Validates a parsed rnnkit.json; errors name `file` and the field (older and newer formats say what to do). */
export function parseModelMeta(json: unknown, file: string): ModelDirMeta {
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

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes a weight spec occupies in the binary file, or undefined when it cannot be known up front (strings). */
function specByteLength(spec: tf.io.WeightsManifestEntry): number | undefined {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  return bytes === undefined ? undefined : size * bytes;
}

/** Bytes a weights group's files hold together, or undefined when that cannot be known before reading. */
export function expectedGroupBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  const sizes = specs.map(specByteLength);
  if (sizes.some((s) => s === undefined || !Number.isSafeInteger(s) || s < 0)) return undefined;
  return (sizes as number[]).reduce((a, b) => a + b, 0);
}

/**
 * A weights path in a manifest must name a file inside the model directory: a plain file name, no separators, no
 * `..`, no drive. Anything else is refused, so a crafted model.json cannot make the loader read /etc/passwd or
 * /dev/zero, or fetch from outside the model's folder.
 */
export function confinedFileName(p: string, manifestFile: string): void {
  if (p === '' || p === '.' || p === '..' || /[\\/\0]/.test(p) || /^[A-Za-z]:/.test(p)) {
    throw new RnnkitError(`${manifestFile}: weights path ${JSON.stringify(p)} must be a file name inside the model directory`);
  }
}

/**
 * Check that binary data holds exactly the bytes its manifest describes: a shorter file is truncated, a longer one
 * belongs to a different model. Either would otherwise decode into silently wrong weights.
 */
export function checkWeightBytes(binFile: string, manifestFile: string, specs: tf.io.WeightsManifestEntry[], actual: number): void {
  const sizes = specs.map(specByteLength);
  if (sizes.some((s) => s === undefined)) return;
  const expected = (sizes as number[]).reduce((a, b) => a + b, 0);
  if (actual !== expected) {
    const why = actual < expected ? 'the file is truncated' : 'the file does not belong to this manifest';
    throw new RnnkitError(`${binFile}: has ${actual} bytes but ${baseName(manifestFile)} describes ${expected} bytes of weights (${why})`);
  }
}

/** model.json after its shape was checked. */
export interface ParsedModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: tf.io.TrainingConfig;
  weightsManifest: tf.io.WeightsManifestConfig;
}

export function parseManifest(value: unknown, file: string, field: string): tf.io.WeightsManifestConfig {
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

export function parseModelJson(json: unknown, file: string): ParsedModelJson {
  if (typeof json !== 'object' || json === null) throw new RnnkitError(`${file}: expected a JSON object`);
  const obj = json as Record<string, unknown>;
  if (typeof obj.modelTopology !== 'object' || obj.modelTopology === null) {
    throw new RnnkitError(`${file}: field "modelTopology" is missing or not an object`);
  }
  parseManifest(obj.weightsManifest, file, 'field "weightsManifest"');
  return obj as unknown as ParsedModelJson;
}

/** SHA-256 with Web Crypto (browsers in a secure context, Node ≥ 19), else in plain JS (a page served over http). */
export async function sha256HexAsync(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: { subtle?: { digest(alg: string, data: Uint8Array): Promise<ArrayBuffer> } } }).crypto
    ?.subtle;
  const digest = subtle ? new Uint8Array(await subtle.digest('SHA-256', bytes)) : sha256Js(bytes);
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 SHA-256, for where Web Crypto is missing (crypto.subtle exists only in secure contexts). */
export function sha256Js(bytes: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const total = Math.ceil((bytes.length + 9) / 64) * 64;
  const tail = new Uint8Array(total - Math.floor(bytes.length / 64) * 64);
  tail.set(bytes.subarray(Math.floor(bytes.length / 64) * 64));
  tail[bytes.length % 64] = 0x80;
  const tailView = new DataView(tail.buffer);
  const bits = bytes.length * 8;
  tailView.setUint32(tail.length - 8, Math.floor(bits / 0x1_0000_0000));
  tailView.setUint32(tail.length - 4, bits >>> 0);
  const w = new Uint32Array(64);
  const fullBlocks = Math.floor(bytes.length / 64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let block = 0; block < total / 64; block++) {
    const [src, base] = block < fullBlocks ? [view, block * 64] : [tailView, (block - fullBlocks) * 64];
    for (let i = 0; i < 16; i++) w[i] = src.getUint32(base + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((x, i) => outView.setUint32(i * 4, x));
  return out;
}

/** The weights must be the ones rnnkit.json was written for: a swapped or corrupted weights.bin is refused. */
export async function checkWeightsHash(binFile: string, meta: ModelDirMeta, data: Uint8Array, sha256: Sha256Fn = sha256HexAsync): Promise<void> {
  if (data.byteLength !== meta.weights.bytes || (await sha256(data)) !== meta.weights.sha256) {
    throw new RnnkitError(`${binFile}: content does not match the SHA-256 recorded in ${RNNKIT_JSON} (corrupted or replaced weights)`);
  }
}

/** The most an affine-quantized code can be (uint8: 255, uint16: 65535). */
const MAX_CODE: Record<string, number> = { uint8: 255, uint16: 65535 };

/**
 * A quantized entry (tfjs's manifest format: float16, or uint8/uint16 codes decoded as q * scale + min) must be one
 * tfjs can decode into finite values: a crafted scale or min would otherwise load as Infinity or NaN weights.
 */
function checkQuantization(spec: tf.io.WeightsManifestEntry, file: string): void {
  const q = spec.quantization as { dtype?: unknown; scale?: unknown; min?: unknown };
  const where = `${file}: weight "${spec.name}"`;
  if (q.dtype === 'float16') {
    if (spec.dtype !== 'float32') throw new RnnkitError(`${where}: float16 quantization needs dtype float32, not ${spec.dtype}`);
    return;
  }
  const maxCode = typeof q.dtype === 'string' ? MAX_CODE[q.dtype] : undefined;
  if (maxCode === undefined) {
    throw new RnnkitError(`${where}: unknown quantization dtype ${JSON.stringify(q.dtype)} (expected uint8, uint16 or float16)`);
  }
  if (spec.dtype !== 'float32' && spec.dtype !== 'int32') {
    throw new RnnkitError(`${where}: ${String(q.dtype)} quantization needs dtype float32 or int32, not ${spec.dtype}`);
  }
  const { scale, min } = q;
  const finite32 = (x: number) => Number.isFinite(Math.fround(x));
  if (typeof scale !== 'number' || typeof min !== 'number' || !finite32(scale) || !finite32(min) || !finite32(min + maxCode * scale)) {
    throw new RnnkitError(`${where}: quantization scale and min must be numbers that decode to finite weights`);
  }
}

/**
 * A NaN or infinite weight makes every prediction NaN or garbage: refuse it at load time, naming the weight.
 * Quantized weights are checked in their stored form: float16 bits with an all-ones exponent, or a scale/min that
 * cannot decode to finite values.
 */
export function checkFiniteWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, file: string): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = specByteLength(spec) ?? 0;
    if (spec.quantization !== undefined) {
      checkQuantization(spec, file);
      if (spec.quantization.dtype === 'float16') {
        const view = new DataView(data, offset, bytes);
        for (let i = 0; i < count; i++) {
          const h = view.getUint16(2 * i, true);
          if ((h & 0x7c00) === 0x7c00) {
            const what = (h & 0x3ff) === 0 ? `${h & 0x8000 ? '-' : ''}Infinity` : 'NaN';
            throw new RnnkitError(`${file}: weight "${spec.name}" holds ${what} at element ${i} (float16; corrupt weights)`);
          }
        }
      }
    } else if (spec.dtype === 'float32') {
      // After 1- or 2-byte quantized weights a float32 weight may start at an offset a Float32Array cannot view.
      const values = offset % 4 === 0 ? new Float32Array(data, offset, count) : new Float32Array(data.slice(offset, offset + bytes));
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
export function checkTopologySizes(topology: object, specs: tf.io.WeightsManifestEntry[], file: string): void {
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

/** Turn tfjs' loader errors into messages that name the file at fault and what to do. */
function explainLoadError(err: unknown, modelFile: string, weightsFile: string): RnnkitError {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split('\n')[0];
  if (/Unknown (layer|constraint|initializer|regularizer|activation)/i.test(message)) {
    return new RnnkitError(
      `${modelFile}: ${firstLine}. Custom layers must be registered before loading: import '@rnnkit/core' for ` +
        `rnnkit's layers, or tf.serialization.registerClass(YourLayer) for your own`,
      { cause: err },
    );
  }
  if (/Shape mismatch|weights are not set|no target variable|expected \d+ weights/i.test(message)) {
    return new RnnkitError(`${weightsFile}: weights do not match the model described in ${MODEL_JSON} (${firstLine})`, { cause: err });
  }
  return new RnnkitError(`${modelFile}: cannot build the model (${firstLine})`, { cause: err });
}

/**
 * The checks every loader runs once the three files are in memory (hash, finite weights, topology sizes), then the
 * model built by tfjs. `specs`/`data` are the manifest's weights in order, already size-checked. Internal: used by
 * loadModelDir and loadModelFromArtifacts.
 */
export async function buildCheckedModel(args: {
  modelJson: ParsedModelJson;
  meta: ModelDirMeta;
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  modelFile: string;
  weightsFile: string;
  sha256?: Sha256Fn;
}): Promise<tf.LayersModel> {
  const { modelJson, meta, specs, data, modelFile, weightsFile } = args;
  await checkWeightsHash(weightsFile, meta, new Uint8Array(data), args.sha256);
  checkFiniteWeights(specs, data, weightsFile);
  checkTopologySizes(modelJson.modelTopology, specs, modelFile);
  try {
    return await tf.loadLayersModel(
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
    throw explainLoadError(err, modelFile, weightsFile);
  }
}

/** The contents of a model directory, in memory. */
export interface ModelArtifactsInput {
  /** model.json, parsed. */
  modelJson: unknown;
  /** rnnkit.json, parsed. */
  rnnkitJson: unknown;
  /** The bytes of the manifest's weight files, concatenated in manifest order (weights.bin for rnnkit's models). */
  weights: ArrayBuffer | Uint8Array;
  /** Where the files came from (a directory or URL), for messages: "<source>/model.json: ...". Default "model". */
  source?: string;
  /** SHA-256 to verify the weights with; default Web Crypto (plain JS where it is missing). */
  sha256?: Sha256Fn;
}

/** A model loaded from memory: the model, rnnkit.json's extras and the whole validated rnnkit.json. */
export interface LoadedModelArtifacts {
  model: tf.LayersModel;
  extras: Record<string, unknown>;
  meta: ModelDirMeta;
  source: string;
}

/** An ArrayBuffer holding exactly these bytes (a copy only when the view does not span its whole buffer). */
function exactBuffer(bytes: ArrayBuffer | Uint8Array): ArrayBuffer {
  // isView and the tag (not instanceof) also recognize buffers from another realm: an iframe, a vm context.
  if (!ArrayBuffer.isView(bytes)) return bytes;
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  if (whole && Object.prototype.toString.call(bytes.buffer) === '[object ArrayBuffer]') return bytes.buffer as ArrayBuffer;
  return new Uint8Array(bytes).buffer; // a copy (a Node Buffer's slice() would share its pool)
}

/**
 * Builds the model of a saved model directory whose files are already in memory (fetched by a web page, read from a
 * zip, ...), with every check `loadModelDir` makes: rnnkit.json's format and schema, weights paths confined to the
 * directory, the weights' size against the manifest and their SHA-256 against rnnkit.json, finite weights, and layer
 * sizes against the weights. rnnkit's layers are registered by importing `@rnnkit/core` (or `@rnnkit/core/browser`).
 */
export async function loadModelFromArtifacts(input: ModelArtifactsInput): Promise<LoadedModelArtifacts> {
  const source = input.source ?? 'model';
  const modelFile = fileIn(source, MODEL_JSON);
  const modelJson = parseModelJson(input.modelJson, modelFile);
  const meta = parseModelMeta(input.rnnkitJson, fileIn(source, RNNKIT_JSON));
  const data = exactBuffer(input.weights);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const paths: string[] = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) confinedFileName(p, modelFile);
    specs.push(...group.weights);
    paths.push(...group.paths);
  }
  checkWeightBytes(fileIn(source, paths.join('+')), modelFile, specs, data.byteLength);
  const model = await buildCheckedModel({
    modelJson,
    meta,
    specs,
    data,
    modelFile,
    weightsFile: fileIn(source, WEIGHTS_BIN),
    sha256: input.sha256,
  });
  return { model, extras: meta.extras, meta, source };
}

/** What `fetchModelArtifacts` needs of `fetch`. */
export type FetchFn = (url: string) => Promise<Response>;

/** The model directory URL, ending with "/"; a relative URL is taken relative to the page. */
function directoryUrl(baseUrl: string | URL): URL {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(String(baseUrl), page);
  } catch (err) {
    throw new RnnkitError(`${String(baseUrl)}: not a URL (pass an absolute URL of the model folder)`, { cause: err });
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * The body of a response, refusing it before reading when its declared size is wrong, and while reading once it
 * exceeds `limit` bytes (a server that declares no size, or lies, cannot make the page allocate without bound).
 */
async function readBody(
  res: Response,
  url: string,
  what: string,
  limit: number,
  tooBig: (bytes: number | undefined) => string,
  exact?: { bytes: number; manifestName: string },
): Promise<Uint8Array> {
  if (!res.ok) throw new RnnkitError(`${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} (${what})`);
  const wrongSize = (bytes: number) => {
    const why = bytes < exact!.bytes ? 'the file is truncated' : 'the file does not belong to this manifest';
    return new RnnkitError(`${url}: has ${bytes} bytes but ${exact!.manifestName} describes ${exact!.bytes} bytes of weights (${why})`);
  };
  // Content-Length counts the encoded bytes when the server compresses: only an unencoded length is the file's.
  const encoding = res.headers.get('content-encoding');
  const header = res.headers.get('content-length');
  const declared = header !== null && (encoding === null || encoding === 'identity') ? Number(header) : NaN;
  if (Number.isSafeInteger(declared)) {
    if (exact && declared !== exact.bytes) throw wrongSize(declared);
    if (declared > limit) throw new RnnkitError(tooBig(declared));
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => undefined);
        if (exact) throw new RnnkitError(`${url}: has more than ${exact.bytes} bytes but ${exact.manifestName} describes ${exact.bytes} bytes of weights (the file does not belong to this manifest)`);
        throw new RnnkitError(tooBig(undefined));
      }
      chunks.push(value);
    }
  } else {
    const all = new Uint8Array(await res.arrayBuffer());
    total = all.byteLength;
    if (total > limit && !exact) throw new RnnkitError(tooBig(total));
    chunks.push(all);
  }
  if (exact && total !== exact.bytes) throw wrongSize(total);
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

async function fetchOk(fetchFn: FetchFn, url: string, what: string): Promise<Response> {
  try {
    return await fetchFn(url);
  } catch (err) {
    throw new RnnkitError(`${url}: cannot fetch (${err instanceof Error ? err.message : String(err)}) (${what})`, { cause: err });
  }
}

async function fetchJson(fetchFn: FetchFn, url: string, what: string): Promise<unknown> {
  const res = await fetchOk(fetchFn, url, what);
  const tooBig = (bytes: number | undefined) =>
    bytes === undefined
      ? `${url}: more than the ${MAX_JSON_BYTES} bytes a ${what} may have`
      : `${url}: ${bytes} bytes is more than the ${MAX_JSON_BYTES} bytes a ${what} may have`;
  const body = await readBody(res, url, what, MAX_JSON_BYTES, tooBig);
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw new RnnkitError(`${url}: invalid JSON (${(err as Error).message}); the file is corrupt`, { cause: err });
  }
}

/** A model directory's files fetched into memory, ready for `loadModelFromArtifacts`. */
export interface FetchedModelArtifacts {
  modelJson: unknown;
  rnnkitJson: unknown;
  weights: ArrayBuffer;
  /** The directory URL (ending with "/"). */
  source: string;
}

/**
 * Fetches a model directory served as static files (`<baseUrl>/model.json`, `rnnkit.json` and the weight files its
 * manifest lists). Weights paths must be plain file names in the same folder ('..', '/', '\' are refused before any
 * weights are fetched), and each weights file must have exactly the size its manifest describes: a wrong
 * Content-Length is refused before the body is read, a body that runs longer is cut off. rnnkit.json is validated
 * first, and its recorded weights size bounds what is read even for weights whose size the manifest cannot tell.
 */
export async function fetchModelArtifacts(
  baseUrl: string | URL,
  fetchFn: FetchFn = (url) => globalThis.fetch(url),
): Promise<FetchedModelArtifacts> {
  const dir = directoryUrl(baseUrl);
  const urlOf = (name: string) => new URL(encodeURIComponent(name), dir).href;
  const modelUrl = urlOf(MODEL_JSON);
  const rnnkitUrl = urlOf(RNNKIT_JSON);
  const modelJson = await fetchJson(fetchFn, modelUrl, 'model topology; not a saved model directory?');
  const { weightsManifest } = parseModelJson(modelJson, modelUrl);
  for (const group of weightsManifest) for (const p of group.paths) confinedFileName(p, modelUrl);
  const rnnkitJson = await fetchJson(fetchFn, rnnkitUrl, 'rnnkit model metadata; was the directory written by saveModelDir?');
  const meta = parseModelMeta(rnnkitJson, rnnkitUrl);

  const parts: Uint8Array[] = [];
  let remaining = meta.weights.bytes;
  for (const group of weightsManifest) {
    const expected = group.paths.length === 1 ? expectedGroupBytes(group.weights) : undefined;
    if (expected !== undefined && expected > remaining) {
      // Not fetched: whatever such a file holds cannot match rnnkit.json, and the manifest's size could be anything.
      throw new RnnkitError(
        `${urlOf(group.paths[0])}: ${MODEL_JSON} describes more bytes of weights than the ${meta.weights.bytes} recorded in ${RNNKIT_JSON} (the files do not belong together)`,
      );
    }
    const chunks: Uint8Array[] = [];
    for (const p of group.paths) {
      const url = urlOf(p);
      const what = `weights listed in ${modelUrl}`;
      const res = await fetchOk(fetchFn, url, what);
      const exact = expected === undefined ? undefined : { bytes: expected, manifestName: MODEL_JSON };
      const tooBig = () => `${url}: weights run past the ${meta.weights.bytes} bytes recorded in ${RNNKIT_JSON}`;
      const body = await readBody(res, url, what, exact ? exact.bytes : Math.max(0, remaining), tooBig, exact);
      remaining -= body.byteLength;
      chunks.push(body);
    }
    const groupBytes = chunks.reduce((n, c) => n + c.byteLength, 0);
    checkWeightBytes(urlOf(group.paths.join('+')), modelUrl, group.weights, groupBytes);
    parts.push(...chunks);
  }
  const total = parts.reduce((n, c) => n + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    weights.set(p, offset);
    offset += p.byteLength;
  }
  return { modelJson, rnnkitJson, weights: weights.buffer, source: dir.href };
}

/** `fetchModelArtifacts` then `loadModelFromArtifacts`: a page's one call to load a served model directory. */
export async function loadModelFromUrl(baseUrl: string | URL, fetchFn?: FetchFn): Promise<LoadedModelArtifacts> {
  return loadModelFromArtifacts(await fetchModelArtifacts(baseUrl, fetchFn));
}
