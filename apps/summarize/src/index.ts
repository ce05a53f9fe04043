export * from './baselines.js';
export * from './data/index.js';
export * from './evaluate.js';
export * from './model.js';
export * from './pointer.js';
export * from './summarize.js';
export * from './train.js';
