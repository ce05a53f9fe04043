import type * as tf from '@tensorflow/tfjs';

/**
 * Tracks which state tensors a decoding loop owns. The caller's initial states are never disposed (it may decode
 * again from them); every later state is disposed once replaced, unless the step passed it through unchanged.
 */
export class StateKeeper {
  private readonly callerOwned: Set<tf.Tensor>;
  current: tf.Tensor[];

  constructor(init: tf.Tensor[]) {
    this.callerOwned = new Set(init);
    this.current = init;
  }

  replace(next: tf.Tensor[]): void {
    const kept = new Set(next);
    for (const t of this.current) if (!kept.has(t)) this.release(t);
    this.current = next;
  }

  /** Dispose `tensors` except those that are current or caller-owned (for a step's outputs that were gathered). */
  releaseUnused(tensors: tf.Tensor[]): void {
    const kept = new Set(this.current);
    for (const t of tensors) if (!kept.has(t)) this.release(t);
  }

  disposeAll(): void {
    for (const t of this.current) this.release(t);
    this.current = [];
  }

  private release(t: tf.Tensor): void {
    if (!this.callerOwned.has(t)) t.dispose();
  }
}
