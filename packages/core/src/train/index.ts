export type {
  Batch,
  BatchSource,
  LossFn,
  ForwardLoss,
  EpochLog,
  LrSchedule,
  BatchEndInfo,
  TrainCallbacks,
  EarlyStoppingConfig,
  TrainConfig,
  StopReason,
  TrainResult,
} from './types.js';
export { train } from './trainer.js';
export { adamOptimizer, FusedAdamOptimizer } from './adam.js';
export { sparseCategoricalCrossentropy, meanSquaredError, pinballLoss } from './losses.js';
export type { SparseCrossentropyOptions } from './losses.js';
export { clipByGlobalNorm, clipByValue } from './clip.js';
export { stepDecay, exponentialDecay, reduceOnPlateau, lrDecaySchedule } from './schedules.js';
export type { ReduceOnPlateauOptions } from './schedules.js';
export { MetricTracker, WeightSnapshot } from './early-stopping.js';
export { saveCheckpoint, loadCheckpoint, hasCheckpoint, TRAIN_STATE_JSON } from './checkpoint.js';
export { fingerprintFiles, checkSameData } from './data-fingerprint.js';
export type { DataFileFingerprint } from './data-fingerprint.js';
export type { TrainState } from './checkpoint.js';
export { createProgress, formatEpochLog, formatTrainResult } from './progress.js';
export type { ProgressReporter, ProgressOptions } from './progress.js';
export { MetricsLog } from './metrics-log.js';
export { InterruptGuard } from './interrupt.js';
export { WeightAverage, TRAINING_WEIGHTS_FILES } from './weight-average.js';
export type { WeightAveragingConfig } from './weight-average.js';
