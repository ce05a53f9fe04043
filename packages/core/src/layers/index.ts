export * from './recurrent.js';
export * from './attention.js';
export * from './padding-mask.js';
export { runRecurrent, useFusedKernels, fusedKernelsActive } from './recurrent-kernel.js';
export type { RecurrentSequenceArgs, RecurrentSequenceResult, FusedKernelModule } from './recurrent-kernel.js';
