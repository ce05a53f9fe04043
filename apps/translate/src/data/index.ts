export * from './corpus.js';
export * from './text.js';
export * from './chinese.js';
export * from './data-config.js';
export * from './dataset.js';
export * from './examples.js';
