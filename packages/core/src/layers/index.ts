export * from './recurrent.js';
export * from './attention.js';
export * from './padding-mask.js';
export { runRecurrent } from './recurrent-kernel.js';
export type { RecurrentSequenceArgs, RecurrentSequenceResult } from './recurrent-kernel.js';
export { useFusedKernels, fusedKernelsActive } from './fused-kernels.js';
export type { FusedKernelModule } from './fused-kernels.js';
