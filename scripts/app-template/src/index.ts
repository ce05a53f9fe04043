export * from './data.js';
export * from './model.js';
export * from './train.js';
