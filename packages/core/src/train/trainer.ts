import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { resolveDirWithBackup, writeFileAtomic } from '../io/atomic.js';
import { loadWeightsInto, readTensorFiles, tensorsToFiles, type ModelRecord } from '../io/model-dir.js';
import { lossCurveSvg } from '../plots/loss-curve.js';
import { restoreRngState, rngState, setSeed } from '../random.js';
import { runModel } from '../run-model.js';
import { FusedAdamOptimizer, adamOptimizer, type RowGradient } from './adam.js';
import { TRAIN_STATE_JSON, checkCheckpointData, checkSameRun, hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.js';
import { clipByGlobalNorm, clipByValue } from './clip.js';
import { compactTables, distinctRows, type CompactTable } from './compact-rows.js';
import { MetricTracker, WeightSnapshot } from './early-stopping.js';
import { InterruptGuard } from './interrupt.js';
import { MetricsLog } from './metrics-log.js';
import { createProgress } from './progress.js';
import { TRAINING_WEIGHTS_FILES, WeightAverage, checkWeightAveraging } from './weight-average.js';
import type {
  Batch,
  BatchSource,
  EpochLog,
  ForwardLoss,
  LossFn,
  StopReason,
  TrainConfig,
  TrainResult,
} from './types.js';

/**
 * The training loop. Deliberately not model.fit: tfjs-layers' fit has no gradient clipping, no restoring of the
 * best weights, no checkpoints and an unseeded shuffle. One step is: loss on a batch → gradients of the trainable
 * variables → clip → optimizer update, all inside tf.tidy so that no tensor outlives its step.
 */

const fmtShape = (t: tf.Tensor | tf.Tensor[]) =>
  Array.isArray(t) ? t.map((x) => `[${x.shape.join(',')}]`).join(', ') : `[${t.shape.join(',')}]`;

function checkConfig(cfg: TrainConfig): void {
  const positive = (value: number | undefined, field: string, integer = false) => {
    if (value === undefined) return;
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new RnnkitError(`train config: ${field} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
    }
  };
  positive(cfg.epochs, 'epochs', true);
  positive(cfg.learningRate, 'learningRate');
  positive(cfg.clipNorm, 'clipNorm');
  positive(cfg.clipValue, 'clipValue');
  positive(cfg.maxStepsPerEpoch, 'maxStepsPerEpoch', true);
  positive(cfg.maxSeconds, 'maxSeconds');
  positive(cfg.logEverySteps, 'logEverySteps', true);
  positive(cfg.checkpointEverySteps, 'checkpointEverySteps', true);
  if (cfg.l2 !== undefined && !(cfg.l2 >= 0)) throw new RnnkitError(`train config: l2 must be >= 0, got ${cfg.l2}`);
  if (cfg.earlyStopping) positive(cfg.earlyStopping.patience, 'earlyStopping.patience', true);
  if (cfg.weightAveraging) checkWeightAveraging(cfg.weightAveraging);
  if (cfg.resume && !cfg.checkpointDir) throw new RnnkitError('train config: resume needs checkpointDir');
  if (cfg.sparseRows && (cfg.optimizer ?? 'adam') !== 'adam') throw new RnnkitError(`train config: sparseRows (row-wise updates) needs optimizer 'adam', got '${cfg.optimizer}'`);
  if (cfg.sparseRows && cfg.l2) throw new RnnkitError('train config: sparseRows and l2 do not mix (the L2 penalty has a gradient on every row of a table)');
}

function makeOptimizer(name: string, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return adamOptimizer(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    default:
      throw new RnnkitError(`train config: optimizer must be 'adam', 'sgd' or 'rmsprop', got '${name}'`);
  }
}

/** tfjs optimizers read their rate on every update; SGD caches it as a tensor and needs its setter. */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Sum of squares of the kernels and embeddings (biases are not regularized). */
function l2Penalty(model: tf.LayersModel, coefficient: number): tf.Scalar {
  const penalized = model.trainableWeights.filter((w) => /kernel|embeddings/i.test(w.name.split('/').pop() ?? ''));
  if (penalized.length === 0) return tf.scalar(0);
  return tf.mul(coefficient, tf.addN(penalized.map((w) => tf.sum(tf.square(w.read()))))) as tf.Scalar;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function disposeBatch(batch: Batch): void {
  tf.dispose([batch.xs, batch.ys, ...(batch.weights ? [batch.weights] : [])] as tf.Tensor[]);
}

/** Compare batch inputs with the model's declared input shapes (null = any size) before tfjs fails deep inside. */
function checkInputs(model: tf.LayersModel, xs: tf.Tensor | tf.Tensor[]): void {
  const given = Array.isArray(xs) ? xs : [xs];
  if (given.length !== model.inputs.length) {
    throw new RnnkitError(`the batch has ${given.length} input tensor(s) but the model takes ${model.inputs.length}`);
  }
  model.inputs.forEach((input, i) => {
    const want = input.shape;
    const got = given[i].shape;
    if (want.length !== got.length || want.some((d, j) => d !== null && d !== got[j])) {
      const expected = `[${want.map((d) => (d === null ? 'any' : d)).join(',')}]`;
      throw new RnnkitError(`batch input ${i} has shape [${got.join(',')}] but the model's input "${input.name}" expects ${expected}`);
    }
  });
}

/** Loss of one batch under the given loss form. Must run inside a tidy (and inside variableGrads when training). */
function batchLoss(
  model: tf.LayersModel,
  batch: Batch,
  loss: LossFn | ForwardLoss,
  training: boolean,
): tf.Scalar {
  if (typeof loss !== 'function') return loss.forward(model, batch, training);
  checkInputs(model, batch.xs);
  const outputs = runModel(model, batch.xs, { training });
  const yPred = outputs[0];
  if (outputs.length !== 1 || Array.isArray(batch.ys)) {
    throw new RnnkitError(
      `the model has ${outputs.length} output(s) and the batch ${Array.isArray(batch.ys) ? batch.ys.length : 1} ` +
        'target tensor(s): a plain loss function needs exactly one of each; pass { forward(model, batch, training) } instead',
    );
  }
  try {
    return loss(batch.ys, yPred, batch.weights);
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    throw new RnnkitError(
      `loss failed for model output shape ${fmtShape(yPred)} and targets shape ${fmtShape(batch.ys)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Prefix an error with where it happened, keeping RnnkitError's no-stack-trace treatment. */
function located(err: unknown, where: string): unknown {
  if (err instanceof RnnkitError) return new RnnkitError(`${where}: ${err.message}`, { cause: err.cause ?? err });
  if (err instanceof Error && /shape|rank|dimension|broadcast/i.test(err.message)) {
    return new RnnkitError(`${where}: ${err.message} (check that the batch shapes match the model's inputs)`, { cause: err });
  }
  return err;
}

/**
 * One optimizer step on one batch. The loss is read before the update so that a NaN/Inf loss stops training
 * with the weights of the previous step intact.
 */
function trainStep(
  model: tf.LayersModel,
  batch: Batch,
  loss: LossFn | ForwardLoss,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  cfg: TrainConfig,
  lr: number,
  averager: WeightAverage | undefined,
): StepResult {
  let rows: Map<string, Int32Array> | undefined;
  const result = tf.tidy(() => {
    const tables = cfg.sparseRows?.(batch);
    // Row-wise steps: the tables the layers can read compactly get their gradient as [rows read × width].
    const compacted = tables ? compactTables(model.trainableWeights, vars, tables, batch) : undefined;
    let value: tf.Scalar;
    const grads: tf.NamedTensorMap = {};
    try {
      // tf.variableGrads, except that a compacted table is differentiated through its compact rows.
      const trainable = vars.filter((w) => w.trainable);
      const xs = trainable.map((w) => compacted?.compact.get(w.name)?.values ?? w);
      const differentiated = tf.engine().gradients(() => {
        const l = batchLoss(model, compacted?.batch ?? batch, loss, true);
        return cfg.l2 ? (tf.add(l, l2Penalty(model, cfg.l2)) as tf.Scalar) : l;
      }, xs, undefined, true);
      value = differentiated.value;
      if (!differentiated.grads.some((g) => g != null)) {
        throw new RnnkitError('no trainable variable of the model reaches the loss (no gradients)');
      }
      // Named as tf.variableGrads names them (their order is the order Adam's slots follow): the trainable variables
      // with a gradient in order, then the non-trainable ones.
      trainable.forEach((w, i) => {
        if (differentiated.grads[i] != null) grads[w.name] = differentiated.grads[i];
      });
      for (const w of vars) if (!w.trainable) grads[w.name] = null as unknown as tf.Tensor;
    } finally {
      compacted?.restore();
    }
    const v = value.dataSync()[0];
    if (!Number.isFinite(v)) {
      throw new RnnkitError(
        `loss is ${v}: training diverged. Try a lower learningRate (now ${lr}), set clipNorm (e.g. 1 or 5), ` +
          'or check the inputs for NaN/Inf and the targets for out-of-range values',
      );
    }
    // Adam/RMSprop match their slots to gradients by position, so every variable must always get one (a compacted
    // table's is the size of its compact rows).
    for (const w of vars) grads[w.name] ??= tf.zerosLike(compacted?.compact.get(w.name)?.values ?? w);
    if (tables) {
      const sparse = rowSparseStep(grads, tables, compacted!.compact, vars, optimizer, cfg, averager);
      rows = sparse.rows;
      return sparse.gradNorm === undefined ? { loss: v } : { loss: v, gradNorm: sparse.gradNorm };
    }
    let g = grads;
    let gradNorm: number | undefined;
    if (cfg.clipValue) g = clipByValue(g, cfg.clipValue);
    if (cfg.clipNorm) ({ grads: g, globalNorm: gradNorm } = clipByGlobalNorm(g, cfg.clipNorm));
    optimizer.applyGradients(g);
    return gradNorm === undefined ? { loss: v } : { loss: v, gradNorm };
  });
  return rows === undefined ? result : { ...result, rows };
}

/** What a step reports: its loss, the gradient norm (when clipping) and the rows a row-sparse step updated. */
interface StepResult {
  loss: number;
  gradNorm?: number;
  /** By table name (TrainConfig.sparseRows). */
  rows?: Map<string, Int32Array>;
}

/**
 * The end of a step under TrainConfig.sparseRows: each table's gradient is cut down to the rows the batch read
 * (the only rows whose gradient can be non-zero), clipped together with the dense gradients, and applied row-wise.
 */
function rowSparseStep(
  grads: tf.NamedTensorMap,
  tables: Array<{ variable: string; ids: tf.Tensor }>,
  compact: ReadonlyMap<string, CompactTable>,
  vars: tf.Variable[],
  optimizer: tf.Optimizer,
  cfg: TrainConfig,
  averager: WeightAverage | undefined,
): { gradNorm?: number; rows: Map<string, Int32Array> } {
  if (!(optimizer instanceof FusedAdamOptimizer)) throw new RnnkitError('sparseRows: needs core\'s Adam optimizer');
  const rowGrads = new Map<string, RowGradient>();
  let squares = 0;
  for (const { variable, ids } of tables) {
    const table = vars.find((w) => w.name === variable);
    if (table === undefined) throw new RnnkitError(`sparseRows: no trainable variable named "${variable}"`);
    const numRows = table.shape[0] ?? 0;
    const width = numRows === 0 ? 0 : table.size / numRows;
    const packed = compact.get(variable);
    let rows: Int32Array;
    let values: Float32Array;
    if (packed !== undefined) {
      // The compact gradient's rows past the padding slot are the rows read, in order (a copy: it is clipped below).
      rows = packed.rows;
      values = (grads[variable].dataSync() as Float32Array).slice(packed.offset * width);
    } else {
      rows = distinctRows(ids.dataSync(), numRows);
      const dense = grads[variable].dataSync() as Float32Array;
      values = new Float32Array(rows.length * width);
      rows.forEach((row, r) => values.set(dense.subarray(row * width, (row + 1) * width), r * width));
    }
    if (cfg.clipValue) {
      const limit = Math.fround(cfg.clipValue);
      for (let i = 0; i < values.length; i++) values[i] = Math.min(Math.max(values[i], -limit), limit);
    }
    for (let i = 0; i < values.length; i++) squares += values[i] * values[i];
    rowGrads.set(variable, { rows, values });
  }
  let dense: tf.NamedTensorMap = Object.fromEntries(Object.entries(grads).filter(([name]) => !rowGrads.has(name)));
  let gradNorm: number | undefined;
  if (cfg.clipValue) dense = clipByValue(dense, cfg.clipValue);
  if (cfg.clipNorm) {
    const clipped = clipByGlobalNorm(dense, cfg.clipNorm, squares);
    dense = clipped.grads;
    gradNorm = clipped.globalNorm;
    if (clipped.scale !== 1) {
      // As tf.mul(g, scale) rounds: the scale to float32, then each product.
      const scale = Math.fround(clipped.scale);
      for (const { values } of rowGrads.values()) for (let i = 0; i < values.length; i++) values[i] = Math.fround(values[i] * scale);
    }
  }
  const rows = new Map([...rowGrads].map(([name, g]) => [name, g.rows]));
  // The rows about to move first get the weight-average steps they missed, with the weights they had meanwhile.
  averager?.catchUpRows(rows);
  // The same variables in the same order as the dense path hands them over (Adam's slots follow positions).
  optimizer.applyRowSparseGradients(Object.keys(grads).map((name) => [name, dense[name]]), rowGrads);
  return gradNorm === undefined ? { rows } : { gradNorm, rows };
}

/** Example-weighted mean loss over a whole source, without gradients. */
function evaluateLoss(model: tf.LayersModel, source: BatchSource, loss: LossFn | ForwardLoss, epoch: number): number {
  let sum = 0;
  let count = 0;
  for (const batch of source.batches(epoch)) {
    try {
      const value = tf.tidy(() => batchLoss(model, batch, loss, false).dataSync()[0]);
      sum += value * batch.size;
      count += batch.size;
    } finally {
      disposeBatch(batch);
    }
  }
  if (count === 0) throw new RnnkitError('validation data is empty: the val BatchSource produced no batches');
  return sum / count;
}

function freshState(cfg: TrainConfig, optimizer: string, monitor: string): TrainState {
  return {
    formatVersion: 1,
    epoch: 0,
    stepInEpoch: 0,
    partialLoss: { sum: 0, count: 0 },
    globalStep: 0,
    elapsedS: 0,
    lr: cfg.learningRate,
    optimizer,
    rngState: rngState(),
    scheduleState: cfg.schedule?.state?.() ?? null,
    tracker: { monitor, best: null, bestEpoch: 0, wait: 0 },
    history: [],
    stopReason: null,
    savedAt: '',
  };
}

/** What one epoch's training pass leaves for the end-of-epoch decisions. */
interface EpochPass {
  epoch: number;
  lr: number;
  /** Steps done in this epoch (including those before a resume). */
  step: number;
  /** Example-weighted loss sum and count of the epoch. */
  partial: { sum: number; count: number };
  /** The epoch ended early because of the time budget or a callback. */
  cutShort: boolean;
  /** RNG and schedule state at the start of the epoch (an interrupted epoch is re-entered from there). */
  start: { rng: TrainState['rngState']; schedule: unknown };
}

/**
 * The state of one `train()` call, and its phases as methods: restore (resume from a checkpoint), runEpoch (the
 * optimizer steps of one epoch), endEpoch (validation, logging, best weights, checkpoint and the decision to go on),
 * finish (best weights back, the result). `train()` below reads as the loop over them.
 */
class TrainingLoop {
  readonly stepsPerEpoch: number;
  readonly monitor: string;
  readonly optimizerName: string;
  private readonly tracker: MetricTracker;
  private readonly bestWeights = new WeightSnapshot();
  private readonly optimizer: tf.Optimizer;
  private readonly vars: tf.Variable[];
  /** The moving average of the weights (TrainConfig.weightAveraging), or undefined. */
  private readonly averager?: WeightAverage;
  private readonly lastDir?: string;
  private readonly bestDir?: string;
  private readonly record: ModelRecord;
  private readonly progress: ReturnType<typeof createProgress>;
  private readonly guard: InterruptGuard;
  private readonly startTime = Date.now();
  private metricsLog?: MetricsLog;
  st: TrainState;
  stopReason: StopReason = 'completed';
  private epochsRun = 0;
  private globalStep = 0;
  private callbackStop = false;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly data: { train: BatchSource; val?: BatchSource },
    private readonly loss: LossFn | ForwardLoss,
    private readonly cfg: TrainConfig,
  ) {
    this.stepsPerEpoch = Math.min(data.train.numBatches(), cfg.maxStepsPerEpoch ?? Infinity);
    this.optimizerName = cfg.optimizer ?? 'adam';
    this.monitor = cfg.earlyStopping?.monitor ?? (data.val ? 'val_loss' : 'loss');
    this.tracker = new MetricTracker(this.monitor, cfg.earlyStopping?.mode ?? 'min', cfg.earlyStopping?.minDelta ?? 0);
    this.optimizer = makeOptimizer(this.optimizerName, cfg.learningRate);
    this.vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    if (cfg.weightAveraging) this.averager = new WeightAverage(this.vars, cfg.weightAveraging.decay);
    this.lastDir = cfg.checkpointDir ? path.join(cfg.checkpointDir, 'last') : undefined;
    this.bestDir = cfg.checkpointDir ? path.join(cfg.checkpointDir, 'best') : undefined;
    this.record = cfg.checkpointRecord ?? {};
    this.progress = createProgress({ mode: cfg.progress ?? 'auto', epochs: cfg.epochs, stepsPerEpoch: this.stepsPerEpoch });
    this.guard = new InterruptGuard((m) => this.progress.note(m));
    if (cfg.handleSignals !== false) this.guard.install();
    this.st = freshState(cfg, this.optimizerName, this.monitor);
  }

  private get history(): EpochLog[] {
    return this.st.history;
  }

  private elapsed(): number {
    return this.st.elapsedS + (Date.now() - this.startTime) / 1000;
  }

  private overTime(): boolean {
    return this.cfg.maxSeconds !== undefined && (Date.now() - this.startTime) / 1000 >= this.cfg.maxSeconds;
  }

  private stateNow() {
    return { rng: rngState(), schedule: this.cfg.schedule?.state?.() ?? null };
  }

  /**
   * Loop state for a checkpoint taken at (epoch, stepInEpoch); `at` is the RNG/schedule state at the start of that
   * epoch. A mid-epoch checkpoint also records the PRNG state now, to continue from after the replayed steps.
   */
  private checkpointState(epoch: number, stepInEpoch: number, lr: number, partialLoss: { sum: number; count: number }, at: EpochPass['start']) {
    return {
      epoch,
      stepInEpoch,
      partialLoss,
      globalStep: this.globalStep,
      elapsedS: this.elapsed(),
      lr,
      optimizer: this.optimizerName,
      rngState: at.rng,
      ...(stepInEpoch > 0 ? { rngStateInEpoch: rngState() } : {}),
      scheduleState: at.schedule,
      tracker: { monitor: this.monitor, ...this.tracker.state() },
      history: this.history,
      stopReason: this.stopReason === 'completed' ? null : this.stopReason,
      ...(this.cfg.dataFingerprint ? { dataFingerprint: this.cfg.dataFingerprint } : {}),
      ...(this.averager ? { weightAveraging: { decay: this.averager.decay, updates: this.averager.updates } } : {}),
    };
  }

  private async saveLast(epoch: number, stepInEpoch: number, lr: number, partial: { sum: number; count: number }, at: EpochPass['start'], log: EpochLog | undefined) {
    if (!this.lastDir) return;
    const state = this.checkpointState(epoch, stepInEpoch, lr, partial, at);
    const avg = this.averager;
    if (!avg) {
      await saveCheckpoint(this.lastDir, this.model, this.optimizer, state, withMetrics(this.record, log));
      return;
    }
    // The model files get the average (what validation scored, loadable as the model), the training weights ride along.
    const wasIn = avg.swappedIn;
    avg.swapIn();
    try {
      const files = await tensorsToFiles(avg.trainingWeights(), TRAINING_WEIGHTS_FILES);
      await saveCheckpoint(this.lastDir, this.model, this.optimizer, state, withMetrics(this.record, log), files);
    } finally {
      if (!wasIn) avg.swapOut();
    }
  }

  /** After loading `last/` (whose model files are the average when the run averages): the training weights back. */
  private async restoreAverage(lastDir: string): Promise<void> {
    const saved = this.st.weightAveraging;
    const stateFile = path.join(lastDir, TRAIN_STATE_JSON);
    if (!this.averager) {
      if (saved) throw new RnnkitError(`${stateFile}: the checkpoint was trained with weight averaging but this run has none; resume with the same settings`);
      return;
    }
    if (!saved) throw new RnnkitError(`${stateFile}: the checkpoint was trained without weight averaging but this run averages; resume with the same settings`);
    if (saved.decay !== this.averager.decay) {
      throw new RnnkitError(`${stateFile}: the checkpoint averaged with decay ${saved.decay} but this run asks for ${this.averager.decay}`);
    }
    const dir = resolveDirWithBackup(lastDir);
    const training = await readTensorFiles(dir, TRAINING_WEIGHTS_FILES);
    try {
      this.averager.restore(training, saved.updates, path.join(dir, `${TRAINING_WEIGHTS_FILES}.bin`));
    } finally {
      tf.dispose(training.map((t) => t.tensor));
    }
  }

  /** Phase 1: continue from `last` when resuming (best weights first, so early stopping keeps its best copy). */
  async restore(): Promise<void> {
    const { cfg, lastDir, bestDir, progress } = this;
    const resuming = cfg.resume === true && lastDir !== undefined && hasCheckpoint(lastDir);
    if (cfg.resume && lastDir && bestDir) {
      if (resuming) {
        // The checkpoint must belong to this run (same data, app, vocabulary, scaler...) before any of its weights load.
        if (cfg.dataFingerprint) await checkCheckpointData(lastDir, cfg.dataFingerprint);
        await checkSameRun(lastDir, this.record);
        if (cfg.earlyStopping && hasCheckpoint(bestDir)) {
          // The in-memory best copy died with the previous process; rebuild it from best/ before loading last/.
          await loadWeightsInto(this.model, bestDir);
          this.bestWeights.capture(this.model);
        }
        this.st = await loadCheckpoint(lastDir, this.model, this.optimizer, this.optimizerName, this.record);
        await this.restoreAverage(lastDir);
        restoreRngState(this.st.rngState);
        if (this.st.scheduleState !== null) cfg.schedule?.restoreState?.(this.st.scheduleState);
        if (this.st.tracker.monitor === this.monitor) this.tracker.restoreState(this.st.tracker);
        else progress.note(`rnnkit: the checkpoint tracked "${this.st.tracker.monitor}", this run tracks "${this.monitor}"; best so far is reset`);
        if (this.st.stepInEpoch === 0 && this.st.epoch >= cfg.epochs) {
          progress.note(`rnnkit: the checkpoint in ${lastDir} already finished ${this.st.epoch} epochs; raise epochs to train more`);
        } else {
          const where = this.st.stepInEpoch > 0 ? `epoch ${this.st.epoch + 1} after step ${this.st.stepInEpoch}` : `epoch ${this.st.epoch + 1}`;
          progress.note(`rnnkit: resuming from ${lastDir} at ${where}`);
        }
      } else {
        progress.note(`rnnkit: no checkpoint in ${lastDir}; starting a fresh run`);
      }
    }
    this.globalStep = this.st.globalStep;
    this.metricsLog = cfg.metricsLog ? new MetricsLog(cfg.metricsLog, { append: resuming }) : undefined;
    this.metricsLog?.write({ ...cfg.startRecord, type: 'start', resumed: resuming, time: new Date().toISOString() });
  }

  /** Early stopping's patience ran out (checked before starting another epoch, also right after a resume). */
  patienceExhausted(): boolean {
    return this.cfg.earlyStopping !== undefined && this.tracker.wait >= this.cfg.earlyStopping.patience;
  }

  /** Phase 2: the optimizer steps of one epoch, until its step cap, the time budget, a callback or a signal. */
  async runEpoch(epoch: number): Promise<EpochPass> {
    const { cfg, st } = this;
    const start = this.stateNow();
    const lr = cfg.schedule ? cfg.schedule.lrForEpoch(epoch, cfg.learningRate, this.history.at(-1)) : cfg.learningRate;
    setLearningRate(this.optimizer, lr);
    const resumedHere = epoch === st.epoch;
    const skip = resumedHere ? st.stepInEpoch : 0;
    const continueFrom = resumedHere ? st.rngStateInEpoch : undefined;
    const everySteps = this.lastDir ? cfg.checkpointEverySteps : undefined;
    const partial = resumedHere ? { ...st.partialLoss } : { sum: 0, count: 0 };
    const logEvery = cfg.logEverySteps ?? 10;
    let step = skip;
    let seen = 0;
    let cutShort = false;

    for (const batch of this.data.train.batches(epoch)) {
      try {
        seen += 1;
        if (seen <= skip) {
          // Already trained on before the interruption. The batches are replayed (a source may draw from the PRNG
          // while making them); the PRNG then continues from where the checkpoint left it, before the next batch.
          if (seen === skip && continueFrom) restoreRngState(continueFrom);
          continue;
        }
        const { loss: stepLoss, gradNorm, rows } = trainStep(this.model, batch, this.loss, this.optimizer, this.vars, cfg, lr, this.averager);
        this.averager?.update(rows);
        step += 1;
        this.globalStep += 1;
        partial.sum += stepLoss * batch.size;
        partial.count += batch.size;
        this.progress.step(epoch + 1, step, partial.sum / partial.count);
        if (this.metricsLog && this.globalStep % logEvery === 0) {
          const record = { type: 'step', epoch: epoch + 1, step, global_step: this.globalStep, loss: stepLoss, lr };
          this.metricsLog.write({ ...record, elapsed_s: this.elapsed(), ...(gradNorm !== undefined ? { grad_norm: gradNorm } : {}) });
        }
        const answer = await cfg.callbacks?.onBatchEnd?.({ epoch: epoch + 1, step, globalStep: this.globalStep, loss: stepLoss, lr, gradNorm });
        if (answer === 'stop') this.callbackStop = true;
        // The epoch's last step is checkpointed by endEpoch, after validation.
        if (everySteps !== undefined && this.globalStep % everySteps === 0 && step < this.stepsPerEpoch) {
          await this.saveLast(epoch, step, lr, { ...partial }, start, this.history.at(-1));
        }
        // A step is synchronous CPU work; without a trip through the event loop a Ctrl-C would only be
        // noticed at the next file write (end of epoch), not after the current step.
        await yieldToEventLoop();
      } catch (err) {
        throw located(err, `epoch ${epoch + 1}, step ${step + 1}`);
      } finally {
        disposeBatch(batch);
      }
      if (step >= this.stepsPerEpoch || this.guard.requested) break;
      if (this.overTime() || this.callbackStop) {
        cutShort = step < this.stepsPerEpoch;
        break;
      }
    }
    if (seen === 0) {
      throw new RnnkitError(`training data is empty: the train BatchSource produced no batches in epoch ${epoch + 1}`);
    }
    return { epoch, lr, step, partial, cutShort, start };
  }

  /**
   * Phase 3: after an epoch's steps. An interrupted epoch is checkpointed mid-way and ends the run; otherwise the
   * epoch is validated and logged, the best weights kept, `last` written, and the stop decision taken.
   * Returns whether to run another epoch.
   */
  async endEpoch(pass: EpochPass): Promise<boolean> {
    const { progress, lastDir } = this;
    const { epoch, lr, step, partial, cutShort } = pass;
    if (this.guard.requested && step < this.stepsPerEpoch && !cutShort) {
      this.stopReason = 'interrupted';
      await this.saveLast(epoch, step, lr, partial, pass.start, this.history.at(-1));
      progress.note(
        lastDir
          ? `rnnkit: interrupted at epoch ${epoch + 1} step ${step}; checkpoint saved to ${lastDir} (continue with --resume)`
          : `rnnkit: interrupted at epoch ${epoch + 1} step ${step}; no checkpointDir set, nothing saved`,
      );
      return false;
    }

    const log: EpochLog = { epoch: epoch + 1, loss: partial.sum / partial.count, lr, steps: step, elapsed_s: 0 };
    // From here to the end of the epoch the model holds the averaged weights (validated, kept as best, checkpointed).
    this.averager?.swapIn();
    try {
      return await this.decideEpoch(pass, log);
    } finally {
      this.averager?.swapOut();
    }
  }

  /** endEpoch's part after the steps: validation, logging, the best weights, `last`, and the stop decision. */
  private async decideEpoch(pass: EpochPass, log: EpochLog): Promise<boolean> {
    const { cfg, progress, lastDir, monitor } = this;
    const { epoch, lr, cutShort } = pass;
    try {
      if (this.data.val) log.val_loss = evaluateLoss(this.model, this.data.val, this.loss, epoch);
      if (cfg.validate) Object.assign(log, await cfg.validate(this.model));
    } catch (err) {
      throw located(err, `validation after epoch ${epoch + 1}`);
    }
    log.elapsed_s = this.elapsed();
    if (cutShort) log.partial = true;
    this.history.push(log);
    this.epochsRun += 1;

    const value = log[monitor];
    if (typeof value !== 'number') {
      throw new RnnkitError(`monitored metric "${monitor}" is not in the epoch log (it has: ${Object.keys(log).join(', ')})`);
    }
    if (this.tracker.update(value, epoch + 1)) {
      if (cfg.earlyStopping) this.bestWeights.capture(this.model);
      if (this.bestDir) {
        await saveCheckpoint(this.bestDir, this.model, this.optimizer, this.checkpointState(epoch + 1, 0, lr, noPartial(), this.stateNow()), withMetrics(this.record, log));
      }
    }
    this.metricsLog?.write({ type: 'epoch', ...log, step: this.globalStep });
    if (cfg.lossChart) await writeFileAtomic(cfg.lossChart.path, lossCurveSvg(this.history, cfg.lossChart));
    progress.epochEnd(log);
    if ((await cfg.callbacks?.onEpochEnd?.(log, this.model)) === 'stop') this.callbackStop = true;

    if (this.patienceExhausted()) this.stopReason = 'early-stopping';
    else if (this.callbackStop) this.stopReason = 'callback';
    else if (cutShort || this.overTime()) this.stopReason = epoch + 1 < cfg.epochs ? 'time-budget' : 'completed';
    else if (this.guard.requested) this.stopReason = 'interrupted';
    await this.saveLast(epoch + 1, 0, lr, noPartial(), this.stateNow(), log);
    if (this.stopReason === 'interrupted') {
      progress.note(`rnnkit: interrupted after epoch ${epoch + 1}${lastDir ? `; checkpoint saved to ${lastDir}` : ''}`);
    }
    return this.stopReason === 'completed';
  }

  /** Phase 4: the best weights back into the model (early stopping), the end record, the result. */
  async finish(): Promise<TrainResult> {
    const { cfg, tracker, monitor, history, stopReason } = this;
    // Hand back the best weights, not the last ones (the `last` checkpoint keeps the latter for --resume).
    if (cfg.earlyStopping && tracker.bestEpoch > 0 && tracker.bestEpoch !== history.at(-1)?.epoch) {
      this.bestWeights.restoreInto(this.model);
      this.progress.note(`rnnkit: restored the weights of epoch ${tracker.bestEpoch} (best ${monitor} ${tracker.best})`);
    } else if (this.averager && history.length > 0) {
      // The last epoch's average is what was validated; the run hands that back, not the last step's weights.
      this.averager.keepAverage();
    }
    const signal = this.guard.requested;
    const result: TrainResult = {
      history,
      bestEpoch: tracker.bestEpoch,
      best: tracker.best,
      monitor,
      stoppedEarly: stopReason === 'early-stopping',
      interrupted: stopReason === 'interrupted',
      epochsRun: this.epochsRun,
      stopReason,
      ...(this.lastDir ? { lastCheckpoint: this.lastDir } : {}),
      ...(stopReason === 'interrupted' && (signal === 'SIGINT' || signal === 'SIGTERM') ? { signal } : {}),
    };
    this.metricsLog?.write({
      type: 'end',
      stop_reason: stopReason,
      best_epoch: result.bestEpoch,
      best: result.best,
      monitor,
      elapsed_s: this.elapsed(),
    });
    await cfg.callbacks?.onTrainEnd?.(result);
    return result;
  }

  dispose(): void {
    this.guard.dispose();
    this.progress.close();
    this.bestWeights.dispose();
    this.averager?.dispose();
    this.optimizer.dispose();
  }
}

const noPartial = () => ({ sum: 0, count: 0 });

/**
 * Trains `model` on `data` with `loss`: restore → (run an epoch → end-of-epoch decisions)* → finish. See TrainConfig
 * for the settings and TrainingLoop for each phase.
 */
export async function train(
  model: tf.LayersModel,
  data: { train: BatchSource; val?: BatchSource },
  loss: LossFn | ForwardLoss,
  cfg: TrainConfig,
): Promise<TrainResult> {
  checkConfig(cfg);
  if (cfg.seed !== undefined) setSeed(cfg.seed);
  if (!(data.train.numBatches() > 0)) {
    throw new RnnkitError('training data is empty: the train BatchSource has 0 batches (check the data path, filters and batch size)');
  }
  if (data.val && !(data.val.numBatches() > 0)) {
    throw new RnnkitError('validation data is empty: the val BatchSource has 0 batches (leave val out to train without it)');
  }
  const loop = new TrainingLoop(model, data, loss, cfg);
  try {
    await loop.restore();
    for (let epoch = loop.st.epoch; epoch < cfg.epochs; epoch++) {
      if (loop.patienceExhausted()) {
        loop.stopReason = 'early-stopping';
        break;
      }
      const pass = await loop.runEpoch(epoch);
      if (!(await loop.endEpoch(pass))) break;
    }
    return await loop.finish();
  } finally {
    loop.dispose();
  }
}

/** A checkpoint's record: the run's record plus the epoch log it was taken after. */
function withMetrics(record: ModelRecord, log: EpochLog | undefined): ModelRecord {
  return log ? { ...record, metrics: { ...log } } : record;
}
