export * from './data.js';
export * from './ngram.js';
export * from './model.js';
export * from './generate.js';
export * from './evaluate.js';
export * from './train.js';
export * from './load.js';
