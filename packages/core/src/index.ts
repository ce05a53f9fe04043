// `@rnnkit/core` (Node): everything of the browser entry, plus what needs Node: backend selection (tfjs-node, the
// native addon), training and checkpoints, model directories on disk, dataset download, PNG rendering, app CLIs.
export * from './browser.js';
export * from './backend.js';
export * from './train/index.js';
export * from './io/index.js';
export * from './data/fetch.js';
export * from './plots/image-grid.js';
export * from './cli.js';
export * from './app/definition.js';
export * from './app/config.js';
export * from './app/model.js';
export * from './app/run-dir.js';
export * from './app/cli.js';
export * from './app/decode-flags.js';
