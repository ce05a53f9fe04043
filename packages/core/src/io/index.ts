export { writeFileAtomic, writeFileAtomicSync, replaceDirAtomic, ensureDir } from './atomic.js';
export {
  saveModelDir,
  loadModelDir,
  loadWeightsInto,
  tensorsToFiles,
  readTensorFiles,
  readJsonFile,
  MODEL_JSON,
  WEIGHTS_BIN,
  RNNKIT_JSON,
} from './model-dir.js';
export type { ModelDirMeta, NamedTensor, SaveModelDirOptions } from './model-dir.js';
