export * from './corpus.js';
export * from './text.js';
export * from './dataset.js';
export * from './examples.js';
