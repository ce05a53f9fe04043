import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadWeightsInto, type ModelRecord } from '../io/model-dir.js';
import { lossCurveSvg } from '../plots/loss-curve.js';
import { restoreRngState, rngState, setSeed } from '../random.js';
import { runModel } from '../run-model.js';
import { adamOptimizer } from './adam.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint, type TrainState } from './checkpoint.js';
import { clipByGlobalNorm, clipByValue } from './clip.js';
import { MetricTracker, WeightSnapshot } from './early-stopping.js';
import { InterruptGuard } from './interrupt.js';
import { MetricsLog } from './metrics-log.js';
import { createProgress } from './progress.js';
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
  if (cfg.l2 !== undefined && !(cfg.l2 >= 0)) throw new RnnkitError(`train config: l2 must be >= 0, got ${cfg.l2}`);
  if (cfg.earlyStopping) positive(cfg.earlyStopping.patience, 'earlyStopping.patience', true);
  if (cfg.resume && !cfg.checkpointDir) throw new RnnkitError('train config: resume needs checkpointDir');
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
): { loss: number; gradNorm?: number } {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const l = batchLoss(model, batch, loss, true);
      return cfg.l2 ? (tf.add(l, l2Penalty(model, cfg.l2)) as tf.Scalar) : l;
    }, vars);
    const v = value.dataSync()[0];
    if (!Number.isFinite(v)) {
      throw new RnnkitError(
        `loss is ${v}: training diverged. Try a lower learningRate (now ${lr}), set clipNorm (e.g. 1 or 5), ` +
          'or check the inputs for NaN/Inf and the targets for out-of-range values',
      );
    }
    // Adam/RMSprop match their slots to gradients by position, so every variable must always get one.
    for (const w of vars) grads[w.name] ??= tf.zerosLike(w);
    let g = grads;
    let gradNorm: number | undefined;
    if (cfg.clipValue) g = clipByValue(g, cfg.clipValue);
    if (cfg.clipNorm) ({ grads: g, globalNorm: gradNorm } = clipByGlobalNorm(g, cfg.clipNorm));
    optimizer.applyGradients(g);
    return gradNorm === undefined ? { loss: v } : { loss: v, gradNorm };
  });
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

export async function train(
  model: tf.LayersModel,
  data: { train: BatchSource; val?: BatchSource },
  loss: LossFn | ForwardLoss,
  cfg: TrainConfig,
): Promise<TrainResult> {
  checkConfig(cfg);
  if (cfg.seed !== undefined) setSeed(cfg.seed);
  const numBatches = data.train.numBatches();
  if (!(numBatches > 0)) {
    throw new RnnkitError('training data is empty: the train BatchSource has 0 batches (check the data path, filters and batch size)');
  }
  if (data.val && !(data.val.numBatches() > 0)) {
    throw new RnnkitError('validation data is empty: the val BatchSource has 0 batches (leave val out to train without it)');
  }
  const stepsPerEpoch = Math.min(numBatches, cfg.maxStepsPerEpoch ?? Infinity);
  const optimizerName = cfg.optimizer ?? 'adam';
  const monitor = cfg.earlyStopping?.monitor ?? (data.val ? 'val_loss' : 'loss');
  const tracker = new MetricTracker(monitor, cfg.earlyStopping?.mode ?? 'min', cfg.earlyStopping?.minDelta ?? 0);
  const bestWeights = new WeightSnapshot();
  const optimizer = makeOptimizer(optimizerName, cfg.learningRate);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const lastDir = cfg.checkpointDir ? path.join(cfg.checkpointDir, 'last') : undefined;
  const bestDir = cfg.checkpointDir ? path.join(cfg.checkpointDir, 'best') : undefined;
  const record = cfg.checkpointRecord ?? {};
  const progress = createProgress({ mode: cfg.progress ?? 'auto', epochs: cfg.epochs, stepsPerEpoch });
  const guard = new InterruptGuard((m) => progress.note(m));
  if (cfg.handleSignals !== false) guard.install();
  const startTime = Date.now();

  try {
    let st = freshState(cfg, optimizerName, monitor);
    const resuming = cfg.resume === true && lastDir !== undefined && hasCheckpoint(lastDir);
    if (cfg.resume && lastDir && bestDir) {
      if (resuming) {
        if (cfg.earlyStopping && hasCheckpoint(bestDir)) {
          // The in-memory best copy died with the previous process; rebuild it from best/ before loading last/.
          await loadWeightsInto(model, bestDir);
          bestWeights.capture(model);
        }
        st = await loadCheckpoint(lastDir, model, optimizer, optimizerName, record);
        restoreRngState(st.rngState);
        if (st.scheduleState !== null) cfg.schedule?.restoreState?.(st.scheduleState);
        if (st.tracker.monitor === monitor) tracker.restoreState(st.tracker);
        else progress.note(`rnnkit: the checkpoint tracked "${st.tracker.monitor}", this run tracks "${monitor}"; best so far is reset`);
        if (st.stepInEpoch === 0 && st.epoch >= cfg.epochs) {
          progress.note(`rnnkit: the checkpoint in ${lastDir} already finished ${st.epoch} epochs; raise epochs to train more`);
        } else {
          const where = st.stepInEpoch > 0 ? `epoch ${st.epoch + 1} after step ${st.stepInEpoch}` : `epoch ${st.epoch + 1}`;
          progress.note(`rnnkit: resuming from ${lastDir} at ${where}`);
        }
      } else {
        progress.note(`rnnkit: no checkpoint in ${lastDir}; starting a fresh run`);
      }
    }
    const metricsLog = cfg.metricsLog ? new MetricsLog(cfg.metricsLog, { append: resuming }) : undefined;
    metricsLog?.write({ type: 'start', resumed: resuming, time: new Date().toISOString(), ...cfg.startRecord });
    const logEvery = cfg.logEverySteps ?? 10;
    const history = st.history;
    const elapsed = () => st.elapsedS + (Date.now() - startTime) / 1000;
    const overTime = () => cfg.maxSeconds !== undefined && (Date.now() - startTime) / 1000 >= cfg.maxSeconds;
    let stopReason: StopReason = 'completed';
    let epochsRun = 0;
    let globalStep = st.globalStep;

    /** Loop state for a checkpoint taken at (epoch, stepInEpoch); `at` is the RNG/schedule state to resume with. */
    const checkpointState = (
      epoch: number,
      stepInEpoch: number,
      lr: number,
      partialLoss: { sum: number; count: number },
      at: { rng: TrainState['rngState']; schedule: unknown },
    ) => ({
      epoch,
      stepInEpoch,
      partialLoss,
      globalStep,
      elapsedS: elapsed(),
      lr,
      optimizer: optimizerName,
      rngState: at.rng,
      scheduleState: at.schedule,
      tracker: { monitor, ...tracker.state() },
      history,
      stopReason: stopReason === 'completed' ? null : stopReason,
    });
    const stateNow = () => ({ rng: rngState(), schedule: cfg.schedule?.state?.() ?? null });
    const noPartial = { sum: 0, count: 0 };

    for (let epoch = st.epoch; epoch < cfg.epochs; epoch++) {
      if (cfg.earlyStopping && tracker.wait >= cfg.earlyStopping.patience) {
        stopReason = 'early-stopping';
        break;
      }
      const epochStart = stateNow();
      const lr = cfg.schedule ? cfg.schedule.lrForEpoch(epoch, cfg.learningRate, history.at(-1)) : cfg.learningRate;
      setLearningRate(optimizer, lr);
      const resumedHere = epoch === st.epoch;
      const skip = resumedHere ? st.stepInEpoch : 0;
      const partial = resumedHere ? { ...st.partialLoss } : { sum: 0, count: 0 };
      let step = skip;
      let seen = 0;
      let cutShort = false;

      for (const batch of data.train.batches(epoch)) {
        try {
          seen += 1;
          if (seen <= skip) continue; // already trained on before the interruption
          const { loss: stepLoss, gradNorm } = trainStep(model, batch, loss, optimizer, vars, cfg, lr);
          step += 1;
          globalStep += 1;
          partial.sum += stepLoss * batch.size;
          partial.count += batch.size;
          progress.step(epoch + 1, step, partial.sum / partial.count);
          if (metricsLog && globalStep % logEvery === 0) {
            const record = { type: 'step', epoch: epoch + 1, step, global_step: globalStep, loss: stepLoss, lr };
            metricsLog.write({ ...record, elapsed_s: elapsed(), ...(gradNorm !== undefined ? { grad_norm: gradNorm } : {}) });
          }
          await cfg.callbacks?.onBatchEnd?.({ epoch: epoch + 1, step, globalStep, loss: stepLoss, lr, gradNorm });
          // A step is synchronous CPU work; without a trip through the event loop a Ctrl-C would only be
          // noticed at the next file write (end of epoch), not after the current step.
          await yieldToEventLoop();
        } catch (err) {
          throw located(err, `epoch ${epoch + 1}, step ${step + 1}`);
        } finally {
          disposeBatch(batch);
        }
        if (step >= stepsPerEpoch || guard.requested) break;
        if (overTime()) {
          cutShort = step < stepsPerEpoch;
          break;
        }
      }
      if (seen === 0) {
        throw new RnnkitError(`training data is empty: the train BatchSource produced no batches in epoch ${epoch + 1}`);
      }

      if (guard.requested && step < stepsPerEpoch && !cutShort) {
        stopReason = 'interrupted';
        if (lastDir) await saveCheckpoint(lastDir, model, optimizer, checkpointState(epoch, step, lr, partial, epochStart), withMetrics(record, history.at(-1)));
        progress.note(
          lastDir
            ? `rnnkit: interrupted at epoch ${epoch + 1} step ${step}; checkpoint saved to ${lastDir} (continue with --resume)`
            : `rnnkit: interrupted at epoch ${epoch + 1} step ${step}; no checkpointDir set, nothing saved`,
        );
        break;
      }

      const log: EpochLog = { epoch: epoch + 1, loss: partial.sum / partial.count, lr, steps: step, elapsed_s: 0 };
      try {
        if (data.val) log.val_loss = evaluateLoss(model, data.val, loss, epoch);
        if (cfg.validate) Object.assign(log, await cfg.validate(model));
      } catch (err) {
        throw located(err, `validation after epoch ${epoch + 1}`);
      }
      log.elapsed_s = elapsed();
      if (cutShort) log.partial = true;
      history.push(log);
      epochsRun += 1;

      const value = log[monitor];
      if (typeof value !== 'number') {
        throw new RnnkitError(`monitored metric "${monitor}" is not in the epoch log (it has: ${Object.keys(log).join(', ')})`);
      }
      if (tracker.update(value, epoch + 1)) {
        if (cfg.earlyStopping) bestWeights.capture(model);
        if (bestDir) {
          await saveCheckpoint(bestDir, model, optimizer, checkpointState(epoch + 1, 0, lr, noPartial, stateNow()), withMetrics(record, log));
        }
      }
      metricsLog?.write({ type: 'epoch', ...log, step: globalStep });
      if (cfg.lossChart) await writeFileAtomic(cfg.lossChart.path, lossCurveSvg(history, cfg.lossChart));
      progress.epochEnd(log);
      await cfg.callbacks?.onEpochEnd?.(log, model);

      if (cfg.earlyStopping && tracker.wait >= cfg.earlyStopping.patience) stopReason = 'early-stopping';
      else if (cutShort || overTime()) stopReason = epoch + 1 < cfg.epochs ? 'time-budget' : 'completed';
      else if (guard.requested) stopReason = 'interrupted';
      if (lastDir) await saveCheckpoint(lastDir, model, optimizer, checkpointState(epoch + 1, 0, lr, noPartial, stateNow()), withMetrics(record, log));
      if (stopReason === 'interrupted') {
        progress.note(`rnnkit: interrupted after epoch ${epoch + 1}${lastDir ? `; checkpoint saved to ${lastDir}` : ''}`);
      }
      if (stopReason !== 'completed') break;
    }

    // Hand back the best weights, not the last ones (the `last` checkpoint above keeps the latter for --resume).
    if (cfg.earlyStopping && tracker.bestEpoch > 0 && tracker.bestEpoch !== history.at(-1)?.epoch) {
      bestWeights.restoreInto(model);
      progress.note(`rnnkit: restored the weights of epoch ${tracker.bestEpoch} (best ${monitor} ${tracker.best})`);
    }
    const result: TrainResult = {
      history,
      bestEpoch: tracker.bestEpoch,
      best: tracker.best,
      monitor,
      stoppedEarly: stopReason === 'early-stopping',
      interrupted: stopReason === 'interrupted',
      epochsRun,
      stopReason,
      ...(lastDir ? { lastCheckpoint: lastDir } : {}),
      ...(stopReason === 'interrupted' && (guard.requested === 'SIGINT' || guard.requested === 'SIGTERM') ? { signal: guard.requested } : {}),
    };
    metricsLog?.write({
      type: 'end',
      stop_reason: stopReason,
      best_epoch: result.bestEpoch,
      best: result.best,
      monitor,
      elapsed_s: elapsed(),
    });
    await cfg.callbacks?.onTrainEnd?.(result);
    return result;
  } finally {
    guard.dispose();
    progress.close();
    bestWeights.dispose();
    optimizer.dispose();
  }
}

/** A checkpoint's record: the run's record plus the epoch log it was taken after. */
function withMetrics(record: ModelRecord, log: EpochLog | undefined): ModelRecord {
  return log ? { ...record, metrics: { ...log } } : record;
}
