export { writeFileAtomic, writeFileAtomicSync, replaceDirAtomic, ensureDir } from './atomic.js';
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
