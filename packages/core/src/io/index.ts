export { writeFileAtomic, writeFileAtomicSync, replaceDirAtomic, ensureDir } from './atomic.js';
export { readTextFile, decodeUtf8, decodeText, decodeWindows1252, findInvalidUtf8, parseTextEncoding, printable, refuseBinary, TEXT_ENCODINGS } from './text.js';
export type { ReadTextOptions, TextEncoding, TextPosition } from './text.js';
export {
  saveModelDir,
  loadModelDir,
  loadWeightsInto,
  tensorsToFiles,
  readTensorFiles,
  readJsonFile,
  readModelMeta,
  resolveModelDirArg,
  RUN_MODEL_SUBDIR,
  MODEL_JSON,
  WEIGHTS_BIN,
  RNNKIT_JSON,
} from './model-dir.js';
export type { ModelDirMeta, NamedTensor, SaveModelDirOptions, ModelRecord, AppIdentity } from './model-dir.js';
export { exportModel, EXPORT_MANIFEST, PLAIN_TFJS_TOLERANCE } from './export-web.js';
export type { ExportOptions, ExportManifest, ExportKind, ExportedFile } from './export-web.js';
export { quantizeWeights, float16Bits, quantizeUint8, QUANTIZATIONS } from './quantize.js';
export type { Quantization } from './quantize.js';
export { toPlainTfjs } from './plain-tfjs.js';
