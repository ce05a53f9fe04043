export * from './data/index.js';
export * from './model.js';
export * from './batches.js';
export * from './baselines.js';
export * from './chatbot.js';
export * from './train.js';
export * from './evaluate.js';
export * from './repl.js';
