export * from './predictor.js';
export * from './definition.js';
export * from './config.js';
export * from './model.js';
export * from './run-dir.js';
export * from './cli.js';
export * from './decode-flags.js';
