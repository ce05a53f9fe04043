export * from './step.js';
export * from './sample.js';
export * from './greedy.js';
export * from './beam.js';
export { applyConstraints } from './constraints.js';
export * from './strategy.js';
export * from './shared.js';
export * from './fused-step.js';
