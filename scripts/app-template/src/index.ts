export * from './config.js';
export * from './data.js';
export * from './model.js';
export * from './train.js';
export * from './predictor.js';
export * from './load-model.js';
export * from './app.js';
export * from './version.js';
