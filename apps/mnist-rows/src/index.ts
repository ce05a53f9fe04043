export * from './idx.js';
export * from './images.js';
export * from './data.js';
export * from './model.js';
export * from './train.js';
export * from './evaluate.js';
export * from './png.js';
export * from './predict.js';
