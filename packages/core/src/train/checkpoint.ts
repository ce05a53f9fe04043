import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { resolveDirWithBackup } from '../io/atomic.js';
import { loadWeightsInto, readJsonFile, readModelMeta, readTensorFiles, saveModelDir, tensorsToFiles, type ModelRecord } from '../io/model-dir.js';
import type { AleaState } from '../random.js';
import { checkSameData, type DataFileFingerprint } from './data-fingerprint.js';
import type { EpochLog, StopReason } from './types.js';

/**
 * A training checkpoint is a model directory (loadable on its own with loadModelDir) plus:
 *   train-state.json              - where the loop was: epoch, step, best metric, patience counter, lr, RNG state, history
 *   optimizer.json / optimizer.bin - the optimizer's slots (Adam moments, iteration count)
 * all written in one atomic directory swap, so a checkpoint is never half old and half new.
 */

export const TRAIN_STATE_JSON = 'train-state.json';
const OPTIMIZER_FILES = 'optimizer';
const TRAIN_STATE_VERSION = 1;

export interface TrainState {
  formatVersion: number;
  /** 0-based epoch to run next; when stepInEpoch > 0, the epoch that was interrupted after that many steps. */
  epoch: number;
  stepInEpoch: number;
  /** Example-weighted loss sum and example count of the interrupted epoch so far. */
  partialLoss: { sum: number; count: number };
  globalStep: number;
  elapsedS: number;
  lr: number;
  optimizer: string;
  /** Core PRNG state at the start of `epoch`, so the resumed epoch draws the same shuffle. */
  rngState: AleaState;
  /**
   * Core PRNG state right after step `stepInEpoch` (mid-epoch checkpoints only): the resumed epoch replays its
   * batches from `rngState`, skips the steps already done, and continues from here, so dropout masks and other
   * draws after the checkpoint are the ones an uninterrupted run makes.
   */
  rngStateInEpoch?: AleaState;
  scheduleState: unknown;
  tracker: { monitor: string; best: number | null; bestEpoch: number; wait: number };
  history: EpochLog[];
  stopReason: StopReason | null;
  savedAt: string;
  /** The training data's content (TrainConfig.dataFingerprint); absent when the run gave none. */
  dataFingerprint?: DataFileFingerprint[];
  /**
   * Runs with weight averaging: the model files hold the average and `training-weights.*` the training weights;
   * `updates` is the number of steps averaged.
   */
  weightAveraging?: { decay: number; updates: number };
}

/** Save model weights, optimizer slots and loop state to `dir` atomically. */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: Omit<TrainState, 'formatVersion' | 'savedAt'>,
  record: ModelRecord = {},
  extraFiles: Record<string, string | Uint8Array> = {},
): Promise<void> {
  const slots = await optimizer.getWeights();
  let files: Record<string, string | Uint8Array>;
  try {
    files = await tensorsToFiles(slots, OPTIMIZER_FILES);
  } finally {
    // getWeights hands out the optimizer's live variables plus a fresh iteration-count scalar; only the latter is ours.
    for (const s of slots) if (!(s.tensor instanceof tf.Variable)) s.tensor.dispose();
  }
  const full: TrainState = { formatVersion: TRAIN_STATE_VERSION, savedAt: new Date().toISOString(), ...state };
  files = { ...extraFiles, ...files };
  files[TRAIN_STATE_JSON] = JSON.stringify(full, null, 1) + '\n';
  await saveModelDir(dir, model, record, { files });
}

/** True when `dir` (or its swap backup) holds a checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(resolveDirWithBackup(dir), TRAIN_STATE_JSON));
}

function checkState(value: unknown, file: string): TrainState {
  const s = value as Partial<TrainState> | null;
  if (typeof s !== 'object' || s === null) throw new RnnkitError(`${file}: expected a JSON object`);
  if (s.formatVersion !== TRAIN_STATE_VERSION) {
    throw new RnnkitError(`${file}: formatVersion ${s.formatVersion} is not supported (expected ${TRAIN_STATE_VERSION})`);
  }
  const numeric: (keyof TrainState)[] = ['epoch', 'stepInEpoch', 'globalStep', 'elapsedS', 'lr'];
  for (const key of numeric) {
    if (typeof s[key] !== 'number') throw new RnnkitError(`${file}: field "${key}" must be a number`);
  }
  if (!Array.isArray(s.history)) throw new RnnkitError(`${file}: field "history" must be a list`);
  if (typeof s.tracker !== 'object' || s.tracker === null) throw new RnnkitError(`${file}: field "tracker" is missing`);
  if (typeof s.rngState !== 'object' || s.rngState === null) throw new RnnkitError(`${file}: field "rngState" is missing`);
  if (s.rngStateInEpoch !== undefined && (typeof s.rngStateInEpoch !== 'object' || s.rngStateInEpoch === null)) {
    throw new RnnkitError(`${file}: field "rngStateInEpoch" must be an object`);
  }
  const avg = s.weightAveraging as { updates?: unknown } | null | undefined;
  if (avg !== undefined && (typeof avg !== 'object' || avg === null || typeof avg.updates !== 'number' || !(avg.updates >= 0))) {
    throw new RnnkitError(`${file}: field "weightAveraging" must be an object with a number of updates`);
  }
  return s as TrainState;
}

/**
 * Restore a checkpoint into an existing model and a fresh optimizer of the same kind; returns the loop state.
 * JSON turns non-finite history values into null; they come back as NaN.
 */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  optimizerName: string,
  expected: ModelRecord = {},
): Promise<TrainState> {
  const resolved = resolveDirWithBackup(dir);
  await checkSameRun(resolved, expected);
  const stateFile = path.join(resolved, TRAIN_STATE_JSON);
  const state = checkState(await readJsonFile(stateFile, 'training state of a checkpoint'), stateFile);
  if (state.optimizer !== optimizerName) {
    throw new RnnkitError(
      `${stateFile}: the checkpoint was trained with optimizer "${state.optimizer}" but the config asks for "${optimizerName}"`,
    );
  }
  await loadWeightsInto(model, resolved);
  const slots = await readTensorFiles(resolved, OPTIMIZER_FILES);
  try {
    await optimizer.setWeights(slots);
  } finally {
    tf.dispose(slots.map((s) => s.tensor));
  }
  state.history = state.history.map((log) => {
    const fixed = { ...log };
    for (const [k, v] of Object.entries(fixed)) if (v === null) fixed[k] = NaN;
    return fixed;
  });
  return state;
}

/**
 * Refuses a checkpoint trained on other data than `now` (see data-fingerprint.ts), naming the file that differs. Runs
 * before checkSameRun: when the data changed, that is the cause to name, not the vocabulary that changed with it.
 */
export async function checkCheckpointData(dir: string, now: readonly DataFileFingerprint[]): Promise<void> {
  const stateFile = path.join(resolveDirWithBackup(dir), TRAIN_STATE_JSON);
  const state = (await readJsonFile(stateFile, 'training state of a checkpoint')) as { dataFingerprint?: unknown } | null;
  checkSameData(state?.dataFingerprint, now, stateFile);
}

/**
 * Resuming restores weights that only make sense with the data they were trained on: a vocabulary in a different
 * order, a different scaler or another app's config would silently turn them into garbage. The checkpoint's
 * rnnkit.json must therefore agree with this run's record on the app and on every extras field (vocab, scaler, model
 * config); a mismatch names the field.
 */
export async function checkSameRun(dir: string, expected: ModelRecord): Promise<void> {
  const { meta } = await readModelMeta(resolveDirWithBackup(dir));
  const file = path.join(dir, 'rnnkit.json');
  if (expected.app && meta.app?.name !== expected.app.name) {
    throw new RnnkitError(`${file}: the checkpoint belongs to ${meta.app ? `a ${meta.app.name}` : 'a non-app'} model, not to ${expected.app.name}; start a fresh run in another --out`);
  }
  for (const [key, value] of Object.entries(expected.extras ?? {})) {
    if (JSON.stringify(meta.extras[key]) !== JSON.stringify(value)) {
      throw new RnnkitError(
        `${file}: field "extras.${key}" differs from this run's (different data or settings than the run being resumed); ` +
          'resume with the original data and settings, or start a fresh run in another --out',
      );
    }
  }
}
