export * from './recurrent.js';
export * from './attention.js';
export * from './padding-mask.js';
export { runRecurrent, CELLS, CELL_TYPES, isCellType } from './recurrent-kernel.js';
export type { RecurrentSequenceArgs, RecurrentSequenceResult, CellDescriptor } from './recurrent-kernel.js';
export { activeFusedKernels, useFusedKernels, fusedKernelsActive } from './fused-kernels.js';
export type { FusedKernelModule } from './fused-kernels.js';
export * from './quantile-head.js';
export * from './masked-pooling.js';
