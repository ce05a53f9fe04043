import type * as tf from '@tensorflow/tfjs';
import type { ModelRecord } from '../io/model-dir.js';
import type { DataFileFingerprint } from './data-fingerprint.js';
import type { WeightAveragingConfig } from './weight-average.js';

/** One mini-batch. The trainer disposes xs, ys and weights after the step that used them. */
export interface Batch {
  xs: tf.Tensor | tf.Tensor[];
  ys: tf.Tensor | tf.Tensor[];
  /** Per-example [B] or per-position [B, T] weights; 0 masks a position out of the loss. */
  weights?: tf.Tensor;
  /** Number of examples in the batch (used to weight the epoch's mean loss). */
  size: number;
}

/** A re-iterable dataset. `batches(epoch)` is called once per epoch (0-based) and may reshuffle. */
export interface BatchSource {
  numBatches(): number;
  batches(epoch: number): Iterable<Batch>;
}

/** Loss over a batch: mean over unmasked positions, as a scalar. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor, weights?: tf.Tensor) => tf.Scalar;

/**
 * For models whose loss is not `loss(ys, model(xs))` (several outputs, pointer-generator mixing, ...):
 * run the model on the batch yourself and return the scalar loss. `training` is false during validation.
 */
export interface ForwardLoss {
  forward: (model: tf.LayersModel, batch: Batch, training: boolean) => tf.Scalar;
}

/** One line of the training history; `epoch` is 1-based. Extra metrics from `validate` are added as keys. */
export interface EpochLog {
  epoch: number;
  loss: number;
  val_loss?: number;
  lr: number;
  /** Optimizer steps run in this epoch. */
  steps: number;
  /** Seconds since the start of training (including earlier runs when resumed). */
  elapsed_s: number;
  /** True when the epoch was cut short by `maxSeconds`. */
  partial?: boolean;
  [metric: string]: number | boolean | undefined;
}

/** A learning-rate schedule, asked once at the start of every epoch. */
export interface LrSchedule {
  /**
   * The learning rate for `epoch` (0-based). `previous` is the log of the epoch before (undefined for the first
   * epoch run), which plateau-style schedules react to.
   */
  lrForEpoch(epoch: number, baseLr: number, previous?: EpochLog): number;
  /** JSON state for checkpoints (only stateful schedules need it). */
  state?(): unknown;
  restoreState?(state: unknown): void;
}

export interface BatchEndInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  /** Steps since the start of training. */
  globalStep: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping, when clipNorm is set. */
  gradNorm?: number;
}

/** What a callback may answer: nothing (go on) or 'stop'. */
export type CallbackAnswer = void | 'stop';

export interface TrainCallbacks {
  /** Returning 'stop' ends the epoch after this step (validated and logged) and then training (stopReason 'callback'). */
  onBatchEnd?: (info: BatchEndInfo) => CallbackAnswer | Promise<CallbackAnswer>;
  /** Returning 'stop' ends training after this epoch's checkpoint (stopReason 'callback'). */
  onEpochEnd?: (log: EpochLog, model: tf.LayersModel) => CallbackAnswer | Promise<CallbackAnswer>;
  onTrainEnd?: (result: TrainResult) => void | Promise<void>;
}

export interface EarlyStoppingConfig {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Epoch-log key to watch. Default 'val_loss' when there is validation data, else 'loss'. */
  monitor?: string;
  /** Default 'min' (for losses); use 'max' for accuracy-like metrics. */
  mode?: 'min' | 'max';
}

export interface TrainConfig {
  epochs: number;
  /** Informational (batching is done by the BatchSource); recorded in checkpoints. */
  batchSize?: number;
  /** Default 'adam'. */
  optimizer?: 'adam' | 'sgd' | 'rmsprop';
  learningRate: number;
  /** Clip gradients so that their global L2 norm is at most this. */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue] (applied before clipNorm). */
  clipValue?: number;
  /** L2 penalty coefficient on kernels and embeddings (not biases). */
  l2?: number;
  schedule?: LrSchedule;
  /**
   * Keep an exponential moving average of the trainable weights (weight-average.ts), updated after every step.
   * Validation, early stopping's best copy, `best/`, the model of `last/` and the weights the run ends with are the
   * average; `last/` also holds the training weights, so --resume continues training exactly.
   */
  weightAveraging?: WeightAveragingConfig;
  /**
   * Row-wise ("lazy") Adam for embedding tables: for every step, the tables and the ids the batch reads from them
   * (ids clamped to the table as the layers clamp them). Only those rows are updated and only their Adam moments
   * decay (FusedAdamOptimizer.applyRowSparseGradients); gradient clipping counts the same rows. Every other
   * variable gets the usual dense update. Adam only, no `l2` (the penalty reaches every row).
   * When `ids` is one of the batch's inputs and in range, the step's layer reads only those rows and the gradient is
   * taken for them alone, not as a [rows × width] scatter (compact-rows.ts; the same bits): the model must then read
   * that input only through the table and as a padding mask (id 0), as an embedding layer does.
   */
  sparseRows?: (batch: Batch) => Array<{ variable: string; ids: tf.Tensor }>;
  /** Stop when the monitored metric stops improving; the best weights are restored at the end. */
  earlyStopping?: EarlyStoppingConfig;
  /** Writes `last/` (every epoch and on interrupt) and `best/` (on improvement) model directories here. */
  checkpointDir?: string;
  /** What the checkpoints' rnnkit.json records (app, config, vocab, scaler) so `best/` loads as a complete model. */
  checkpointRecord?: ModelRecord;
  /**
   * The training data's content (fingerprintFiles), recorded in every checkpoint's train-state.json: `resume` on data
   * whose bytes differ is refused naming the file, before any weights load.
   */
  dataFingerprint?: DataFileFingerprint[];
  /**
   * Also write `last` every this many optimizer steps inside an epoch (default: only at epoch ends and on an
   * interrupt), so that a killed run loses at most that many steps. A resume continues mid-epoch exactly where the
   * checkpoint was taken (same batches, same random draws).
   */
  checkpointEverySteps?: number;
  /** Continue from `checkpointDir/last` when it exists. */
  resume?: boolean;
  /** Seeds core's PRNG (shuffling) at the start. Seed before building the model to make initialization reproducible too. */
  seed?: number;
  /**
   * Rewrites an SVG loss curve here after every epoch (the whole history, resumed epochs included), so a long run
   * can be watched in a browser.
   */
  lossChart?: { path: string; title?: string; yLabel?: string };
  /** Path of a JSONL metrics log (truncated on a fresh run, appended to on resume). */
  metricsLog?: string;
  /** Fields of the log's first record, `{"type":"start", ...}` (the resolved config and versions); one per run or resume. */
  startRecord?: Record<string, unknown>;
  /** Write a `step` line to the metrics log every this many steps. Default 10. */
  logEverySteps?: number;
  maxStepsPerEpoch?: number;
  /** Wall-clock budget: the current epoch ends early (validated and logged) once it is exceeded. */
  maxSeconds?: number;
  /** Default 'auto': a redrawn bar on a TTY, plain lines otherwise. 'none' hides progress (notices such as
   * "interrupted, checkpoint saved to ..." still print). */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  callbacks?: TrainCallbacks;
  /** Extra validation metrics computed after each epoch, merged into the epoch log. */
  validate?: (model: tf.LayersModel) => Promise<Record<string, number>>;
  /** Install SIGINT/SIGTERM handlers that stop after the current step and save `last`. Default true. */
  handleSignals?: boolean;
}

export type StopReason = 'completed' | 'early-stopping' | 'time-budget' | 'interrupted' | 'callback';

export interface TrainResult {
  history: EpochLog[];
  /** 1-based epoch with the best monitored value (0 when no epoch finished). */
  bestEpoch: number;
  /** Best value of the monitored metric. */
  best?: number;
  /** Name of the monitored metric. */
  monitor: string;
  stoppedEarly: boolean;
  interrupted: boolean;
  /** Epochs finished in this call (not counting those restored from a checkpoint). */
  epochsRun: number;
  stopReason: StopReason;
  /** Where `last` was saved, when a checkpointDir is set. */
  lastCheckpoint?: string;
  /** The signal that interrupted training (CLIs exit 130 after SIGINT, 143 after SIGTERM). */
  signal?: 'SIGINT' | 'SIGTERM';
}
