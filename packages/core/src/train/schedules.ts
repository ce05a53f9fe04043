import { RnnkitError } from '../errors.js';
import type { EpochLog, LrSchedule } from './types.js';

/** Learning-rate schedules, evaluated once per epoch by the trainer (epochs are 0-based here). */

function requirePositive(value: number, field: string): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new RnnkitError(`${field} must be a positive number, got ${value}`);
}

/** lr = baseLr * factor^floor(epoch / everyEpochs): drop by `factor` every `everyEpochs` epochs. */
export function stepDecay(opts: { factor: number; everyEpochs: number }): LrSchedule {
  requirePositive(opts.factor, 'stepDecay.factor');
  requirePositive(opts.everyEpochs, 'stepDecay.everyEpochs');
  return {
    lrForEpoch: (epoch, baseLr) => baseLr * opts.factor ** Math.floor(epoch / opts.everyEpochs),
  };
}

/**
 * lr = baseLr * decayRate^(epoch / decayEpochs), continuously, or with `staircase` in whole steps of decayEpochs.
 */
export function exponentialDecay(opts: { decayRate: number; decayEpochs?: number; staircase?: boolean }): LrSchedule {
  requirePositive(opts.decayRate, 'exponentialDecay.decayRate');
  const decayEpochs = opts.decayEpochs ?? 1;
  requirePositive(decayEpochs, 'exponentialDecay.decayEpochs');
  return {
    lrForEpoch: (epoch, baseLr) => {
      const p = epoch / decayEpochs;
      return baseLr * opts.decayRate ** (opts.staircase ? Math.floor(p) : p);
    },
  };
}

/**
 * The trainer option of an app's `lrDecay` field (core's `lrDecaySchema`): exponential decay by `rate` per epoch, or
 * no schedule at all when the rate is 1 (constant rate), to spread into the trainer's settings.
 */
export function lrDecaySchedule(rate: number): { schedule?: LrSchedule } {
  return rate < 1 ? { schedule: exponentialDecay({ decayRate: rate }) } : {};
}

export interface ReduceOnPlateauOptions {
  /** Multiply the rate by this when the metric plateaus. Default 0.5. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 2. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Never go below this rate. Default 0. */
  minLr?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** Epoch-log key. Default 'val_loss' when present in the log, else 'loss'. */
  monitor?: string;
  mode?: 'min' | 'max';
}

interface PlateauState {
  lr: number | null;
  best: number | null;
  wait: number;
  cooldownLeft: number;
}

/** Cut the rate by `factor` when the monitored metric has not improved for `patience` epochs. Stateful. */
export function reduceOnPlateau(opts: ReduceOnPlateauOptions = {}): LrSchedule {
  const factor = opts.factor ?? 0.5;
  if (!(factor > 0 && factor < 1)) throw new RnnkitError(`reduceOnPlateau.factor must be in (0, 1), got ${factor}`);
  const patience = opts.patience ?? 2;
  const minDelta = opts.minDelta ?? 0;
  const minLr = opts.minLr ?? 0;
  const cooldown = opts.cooldown ?? 0;
  const sign = opts.mode === 'max' ? -1 : 1;
  let s: PlateauState = { lr: null, best: null, wait: 0, cooldownLeft: 0 };

  const observe = (log: EpochLog, lr: number) => {
    const key = opts.monitor ?? (log.val_loss !== undefined ? 'val_loss' : 'loss');
    const value = log[key];
    if (typeof value !== 'number') {
      throw new RnnkitError(`reduceOnPlateau: monitored metric "${key}" is not in the epoch log (has: ${Object.keys(log).join(', ')})`);
    }
    if (s.best === null || sign * value < sign * s.best - minDelta) {
      s.best = value;
      s.wait = 0;
      return;
    }
    s.lr = lr;
    if (s.cooldownLeft > 0) {
      s.cooldownLeft -= 1;
      return;
    }
    s.wait += 1;
    if (s.wait >= patience) {
      s.lr = Math.max(lr * factor, minLr);
      s.wait = 0;
      s.cooldownLeft = cooldown;
    }
  };

  return {
    lrForEpoch: (_epoch, baseLr, previous) => {
      // No previous epoch means a new run: forget whatever an earlier run taught this schedule object.
      if (!previous) s = { lr: baseLr, best: null, wait: 0, cooldownLeft: 0 };
      else observe(previous, s.lr ?? baseLr);
      return s.lr ?? baseLr;
    },
    state: () => ({ ...s }),
    restoreState: (state) => {
      s = { ...(state as PlateauState) };
    },
  };
}
