export * from './vocab.js';
export * from './tokenize.js';
export * from './pad.js';
export * from './batches.js';
export * from './windows.js';
export * from './scalers.js';
export * from './fetch.js';
export * from './subwords.js';
