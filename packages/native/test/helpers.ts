// Shared test helpers: the addon gate, seeded random tensors, closeness checks and a reference
// recurrent layer written with plain tf ops (the semantics the native kernels must reproduce).
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { nativeAvailable, nativeDetails, nativeLoadError, useGemm, useGemmKernel, type FusedRecurrentArgs, type GemmKernelName, type GemmName } from '../src/index.js';

/**
 * The addon is required unless explicitly opted out with RNNKIT_NATIVE=0: CI builds it, so a
 * missing addon there must fail these tests, not skip them silently.
 */
export const optedOut = process.env.RNNKIT_NATIVE === '0';

export function expectAddonLoaded(): void {
  expect(nativeAvailable(), `native addon missing: ${nativeLoadError()}`).toBe(true);
}

/** One GEMM configuration of the loaded addon: OpenBLAS, or the portable GEMM with one micro-kernel. */
export interface GemmConfig {
  label: string;
  gemm: GemmName;
  kernel: GemmKernelName | null;
}

/**
 * Every configuration this build and CPU can run, the default (best) one first: parity tests run
 * each, so the micro-kernels the machine does not pick by default are checked too.
 */
export function gemmConfigs(): GemmConfig[] {
  if (!nativeAvailable()) return [];
  const info = nativeDetails();
  const portable = info.kernels.map((kernel) => ({ label: `portable/${kernel}`, gemm: 'portable' as const, kernel }));
  return info.openblas ? [{ label: 'openblas', gemm: 'openblas', kernel: info.kernels[0] }, ...portable] : portable;
}

export function useGemmConfig(config: GemmConfig): void {
  expect(useGemm(config.gemm), `select ${config.gemm}`).toBe(true);
  if (config.kernel) expect(useGemmKernel(config.kernel), `select ${config.kernel}`).toBe(true);
}

/** Small seeded PRNG (mulberry32) so fixtures are reproducible without extra dependencies. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rand = seededRandom(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (rand() * 2 - 1) * scale;
  return tf.tensor(values, shape, 'float32');
}

/** Random 0/1 mask [B, T] with every pattern: leading, trailing and interior zeros. */
export function randomMask(batch: number, time: number, seed: number): tf.Tensor2D {
  const rand = seededRandom(seed);
  const values = new Float32Array(batch * time);
  for (let i = 0; i < values.length; i++) values[i] = rand() < 0.3 ? 0 : 1;
  return tf.tensor2d(values, [batch, time]);
}

/** Norm-wise relative error: max |actual - expected| / max |expected| must stay below tol. */
export function expectClose(actual: tf.Tensor, expected: tf.Tensor, tol = 1e-4, what = ''): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  expect(Number.isFinite(maxDiff), `${what} finite`).toBe(true);
  expect(maxDiff / Math.max(scale, 1e-6), `${what} relative error`).toBeLessThan(tol);
}

/** The reference takes exactly the fused op's arguments, so every parity test calls both the same way. */
export type ReferenceArgs = FusedRecurrentArgs;

/** Step-by-step recurrent layer in tf ops (tfjs-layers layout, sigmoid recurrent activation). */
export function referenceSequence(a: ReferenceArgs): { outputs: tf.Tensor; h: tf.Tensor; c: tf.Tensor | null } {
  const [B, T, D] = a.x.shape;
  const U = a.recurrentKernel.shape[0];
  let h = a.h0 ?? tf.zeros([B, U]);
  let c = a.cell === 'lstm' ? (a.c0 ?? tf.zeros([B, U])) : null;
  const outs: tf.Tensor[] = new Array(T);
  for (let s = 0; s < T; s++) {
    const t = a.goBackwards ? T - 1 - s : s;
    const xt = a.x.slice([0, t, 0], [B, 1, D]).reshape([B, D]);
    let xp = tf.matMul(xt, a.kernel);
    if (a.bias) xp = xp.add(a.bias);
    let hNew: tf.Tensor;
    let cNew: tf.Tensor | null = null;
    if (a.cell === 'lstm') {
      const [zi, zf, zc, zo] = tf.split(xp.add(tf.matMul(h, a.recurrentKernel)), 4, 1);
      cNew = tf.sigmoid(zf).mul(c as tf.Tensor).add(tf.sigmoid(zi).mul(tf.tanh(zc)));
      hNew = tf.sigmoid(zo).mul(tf.tanh(cNew));
    } else if (a.cell === 'gru') {
      const [xz, xr, xh] = tf.split(xp, 3, 1);
      const recZr = tf.matMul(h, a.recurrentKernel.slice([0, 0], [U, 2 * U]));
      const [rz, rr] = tf.split(recZr, 2, 1);
      const z = tf.sigmoid(xz.add(rz));
      const r = tf.sigmoid(xr.add(rr));
      const hh = tf.tanh(xh.add(tf.matMul(r.mul(h), a.recurrentKernel.slice([0, 2 * U], [U, U]))));
      hNew = z.mul(h).add(tf.scalar(1).sub(z).mul(hh));
    } else {
      hNew = tf.tanh(xp.add(tf.matMul(h, a.recurrentKernel)));
    }
    if (a.mask) {
      const keep = a.mask.slice([0, t], [B, 1]).notEqual(0).tile([1, U]);
      hNew = tf.where(keep, hNew, h);
      if (cNew && c) cNew = tf.where(keep, cNew, c);
    }
    h = hNew;
    c = cNew;
    outs[t] = h;
  }
  return { outputs: tf.stack(outs, 1), h, c };
}
