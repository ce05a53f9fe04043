import * as tf from '@tensorflow/tfjs';

/** Tracks the best value of one epoch-log metric and how many epochs have passed without improving on it. */
export class MetricTracker {
  best: number | undefined;
  /** 1-based epoch of the best value (0 before any). */
  bestEpoch = 0;
  /** Epochs since the last improvement. */
  wait = 0;

  constructor(
    readonly monitor: string,
    readonly mode: 'min' | 'max' = 'min',
    readonly minDelta = 0,
  ) {}

  /** Record an epoch's value; returns true when it is an improvement (the first finite value always is). */
  update(value: number, epoch: number): boolean {
    const improved =
      Number.isFinite(value) &&
      (this.best === undefined ||
        (this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta));
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.wait = 0;
    } else {
      this.wait += 1;
    }
    return improved;
  }

  state(): { best: number | null; bestEpoch: number; wait: number } {
    return { best: this.best ?? null, bestEpoch: this.bestEpoch, wait: this.wait };
  }

  restoreState(s: { best: number | null; bestEpoch: number; wait: number }): void {
    this.best = s.best ?? undefined;
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
  }
}

/**
 * An in-memory copy of a model's weights (tfjs-layers' restoreBestWeights is not implemented). getWeights returns
 * the live variables, so the snapshot clones them; it owns its tensors until dispose().
 */
export class WeightSnapshot {
  private tensors: tf.Tensor[] = [];

  get empty(): boolean {
    return this.tensors.length === 0;
  }

  capture(model: tf.LayersModel): void {
    this.dispose();
    this.tensors = tf.tidy(() => model.getWeights().map((w) => w.clone()));
  }

  /** Copy the snapshot into the model's variables (the snapshot stays valid). */
  restoreInto(model: tf.LayersModel): void {
    if (!this.empty) model.setWeights(this.tensors);
  }

  dispose(): void {
    tf.dispose(this.tensors);
    this.tensors = [];
  }
}
