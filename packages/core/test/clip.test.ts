import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import { clipByGlobalNorm, clipByValue } from '../src/train/clip.js';

const values = (m: tf.NamedTensorMap) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe('gradient clipping', () => {
  // Global norm of {a: [3, 4], b: [12]} is sqrt(9 + 16 + 144) = 13.
  const grads = () => ({ a: tf.tensor1d([3, 4]), b: tf.tensor1d([12]) });

  it('clipByGlobalNorm rescales every gradient by maxNorm / globalNorm when above maxNorm', () => {
    const g = grads();
    const { grads: clipped, globalNorm } = clipByGlobalNorm(g, 6.5);
    expect(globalNorm).toBeCloseTo(13, 5);
    const v = values(clipped);
    expect(v.a[0]).toBeCloseTo(1.5, 5);
    expect(v.a[1]).toBeCloseTo(2, 5);
    expect(v.b[0]).toBeCloseTo(6, 5);
    // the clipped set has exactly maxNorm as its norm
    expect(Math.hypot(...v.a, ...v.b)).toBeCloseTo(6.5, 4);
    // inputs are untouched
    expect(Array.from(g.a.dataSync())).toEqual([3, 4]);
    tf.dispose([...Object.values(g), ...Object.values(clipped)]);
  });

  it('clipByGlobalNorm leaves gradients below maxNorm unchanged', () => {
    const g = grads();
    const { grads: clipped, globalNorm } = clipByGlobalNorm(g, 20);
    expect(globalNorm).toBeCloseTo(13, 5);
    expect(values(clipped)).toEqual({ a: [3, 4], b: [12] });
    tf.dispose([...Object.values(g), ...Object.values(clipped)]);
  });

  it('clipByValue clips each element to [-v, v]', () => {
    const g = { w: tf.tensor2d([[-3, 0.5], [7, -1.5]]) };
    const clipped = clipByValue(g, 2);
    expect(values(clipped).w).toEqual([-2, 0.5, 2, -1.5]);
    tf.dispose([g.w, clipped.w]);
  });

  it('rejects non-positive limits with a clear error', () => {
    const g = grads();
    expect(() => clipByGlobalNorm(g, 0)).toThrow(RnnkitError);
    expect(() => clipByValue(g, -1)).toThrow(/maxValue must be > 0/);
    tf.dispose(Object.values(g));
  });

  it('does not leak tensors beyond the returned ones', () => {
    const g = grads();
    const before = tf.memory().numTensors;
    const { grads: clipped } = clipByGlobalNorm(g, 1);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([...Object.values(g), ...Object.values(clipped)]);
  });
});
