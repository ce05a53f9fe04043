// @rnnkit/native: native GEMM and fused recurrent kernels for the TensorFlow.js cpu backend.
export { nativeAvailable, nativeInfo, nativeDetails, nativeLoadError, useGemm, useGemmKernel, useInputFold } from './addon.js';
export type { AddonInfo, GemmKernelName, GemmName } from './addon.js';
export { installNativeKernels } from './kernels.js';
export { fusedRecurrentSequence, recurrentStep } from './recurrent.js';
export type { CellType, FusedRecurrentArgs, FusedRecurrentResult, RecurrentStepArgs } from './recurrent.js';
export { additiveAttentionScores } from './attention.js';
export { decodeStep, topIndices } from './decode.js';
export type { DecodeLayerArgs, DecodeStepArgs, DecodeStepResult } from './decode.js';
export { seq2seqStep } from './seq2seq-step.js';
export type { Seq2SeqStepArgs, Seq2SeqStepAttention, Seq2SeqStepResult } from './seq2seq-step.js';
export { fusedAdamUpdate } from './optimizer.js';
export type { AdamHyperparameters, FusedAdamArgs, FusedAdamResult } from './optimizer.js';
