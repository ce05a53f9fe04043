/**
 * `@rnnkit/core/browser`: everything in core that runs in a web page (or a Web Worker): no Node built-in, no native
 * addon, no Node-only package. A test bundles this file with esbuild for the browser and fails on any of them.
 *
 * In: the layers (recurrent cells, attention, padding mask), Seq2Seq, runModel, decoding (greedy, sampling, beam),
 * the metrics, the data utilities that work on data already in memory (vocabularies, tokenizers, padding, batches,
 * windows, scalers), SVG charts, schema validation, the app contract's Predictor, and loading a model directory
 * from memory or from a URL (`loadModelFromArtifacts`, `fetchModelArtifacts`, `loadModelFromUrl`).
 * Out (in `@rnnkit/core` only): backend selection (tfjs-node, the native addon), training and checkpoints, model
 * directories on disk, dataset download and cache, PNG rendering, and the app CLIs and run directories.
 *
 * Importing this module registers rnnkit's layers with tfjs, so saved rnnkit models load.
 */
export * from './errors.js';
export * from './random.js';
export * from './schema.js';
export * from './version.js';
export * from './layers/index.js';
export * from './seq2seq.js';
export * from './run-model.js';
export * from './decode/index.js';
export * from './metrics/index.js';
export * from './data/vocab.js';
export * from './data/tokenize.js';
export * from './data/stopwords.js';
export * from './data/pad.js';
export * from './data/batches.js';
export * from './data/subwords.js';
// Types only (the training loop stays in the Node entry): what arrayBatchSource returns, and the shape of a loss,
// which app modules that a page also loads (a pointer-generator's step and loss, say) declare.
export type { Batch, BatchSource, ForwardLoss, LossFn } from './train/types.js';
export * from './data/windows.js';
export * from './data/scalers.js';
export { escapeXml } from './plots/svg.js';
export * from './plots/line-chart.js';
export * from './plots/heatmap.js';
export * from './plots/loss-curve.js';
export * from './app/predictor.js';
export * from './app/app-model.js';
export {
  MODEL_JSON,
  WEIGHTS_BIN,
  RNNKIT_JSON,
  MODEL_DIR_FORMAT,
  MODEL_DIR_VERSION,
  parseModelMeta,
  loadModelFromArtifacts,
  fetchModelArtifacts,
  loadModelFromUrl,
} from './io/model-artifacts.js';
export type {
  AppIdentity,
  ModelRecord,
  ModelDirMeta,
  Sha256Fn,
  ModelArtifactsInput,
  LoadedModelArtifacts,
  FetchFn,
  FetchedModelArtifacts,
} from './io/model-artifacts.js';
