import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { GATES, referenceRecurrent, runRecurrent, type CellType, type RecurrentSequenceArgs,
  type RecurrentSequenceResult } from '../src/layers/recurrent-kernel.js';
import { fusedKernelsActive, useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';
import { BahdanauAttention, LuongAttention } from '../src/layers/attention.js';

/**
 * Analytic gradients (autodiff through the reference loop, or the native op's custom gradient when installed)
 * against central finite differences, in float32: small sizes, eps 1e-2, relative tolerance 1e-2.
 */

const EPS = 1e-2;
const REL_TOL = 1e-2;
const ABS_TOL = 2e-3;

await initBackend({ quiet: true });

beforeAll(() => setSeed(11));

/** The reference tf-ops loop always; the native fused op (custom gradient) too when @rnnkit/native is installed. */
const IMPLEMENTATIONS: [string, (a: RecurrentSequenceArgs) => RecurrentSequenceResult][] = [
  ['reference loop', referenceRecurrent],
  ...(fusedKernelsActive() ? [['native fused op', runRecurrent] as [string, typeof runRecurrent]] : []),
];

function uniform(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.randomUniform(shape, -scale, scale, 'float32', seed);
}

/** Compares `analytic` with central differences of `lossAt(perturbed copy of base)` over every element. */
function expectGradientMatches(label: string, base: tf.Tensor, analytic: tf.Tensor, lossAt: (value: tf.Tensor) => number): void {
  const values = base.dataSync().slice();
  const grad = analytic.dataSync();
  const numeric = new Float32Array(values.length);
  for (let j = 0; j < values.length; j++) {
    const original = values[j];
    const at = (v: number): number => {
      values[j] = v;
      const t = tf.tensor(values, base.shape);
      const loss = lossAt(t);
      t.dispose();
      return loss;
    };
    numeric[j] = (at(original + EPS) - at(original - EPS)) / (2 * EPS);
    values[j] = original;
  }
  let diffNorm = 0;
  let sumNorm = 0;
  for (let j = 0; j < values.length; j++) {
    const d = Math.abs(grad[j] - numeric[j]);
    diffNorm += d * d;
    sumNorm += (Math.abs(grad[j]) + Math.abs(numeric[j])) ** 2;
    if (d > ABS_TOL + REL_TOL * Math.max(Math.abs(grad[j]), Math.abs(numeric[j]))) {
      throw new Error(`${label}[${j}]: analytic ${grad[j]} vs numeric ${numeric[j]}`);
    }
  }
  expect(Math.sqrt(diffNorm / Math.max(sumNorm, 1e-12)), label).toBeLessThan(REL_TOL);
  // A gradient check over an all-zero gradient proves nothing.
  expect(Math.sqrt(sumNorm), `${label} gradient norm`).toBeGreaterThan(1e-3);
}

const CELLS: CellType[] = ['lstm', 'gru', 'simple'];

describe.each(IMPLEMENTATIONS)('recurrent cells (%s): gradients match finite differences', (_label, run) => {
  const [B, T, D, U] = [2, 3, 3, 2];
  for (const cell of CELLS) {
    for (const masked of [false, true]) {
      for (const goBackwards of masked ? [false, true] : [false]) {
        it(`${cell}${masked ? ' masked' : ''}${goBackwards ? ' goBackwards' : ''}`, () => {
          const g = GATES[cell] * U;
          const inputs: Record<string, tf.Tensor> = {
            x: uniform([B, T, D], 1),
            h0: uniform([B, U], 2, 0.5),
            kernel: uniform([D, g], 3),
            recurrentKernel: uniform([U, g], 4),
            bias: uniform([g], 5, 0.5),
          };
          if (cell === 'lstm') inputs.c0 = uniform([B, U], 6, 0.5);
          // Leading and trailing padding, so masked steps sit on both sides of real ones.
          const mask = masked ? tf.tensor2d([[0, 1, 1], [1, 1, 0]]) : null;
          // Random projections of every output so that no gradient is a plain sum.
          const wOut = uniform([B, T, U], 7);
          const wH = uniform([B, U], 8);
          const wC = uniform([B, U], 9);
          const names = Object.keys(inputs);
          const loss = (...ts: tf.Tensor[]): tf.Scalar => {
            const a = Object.fromEntries(names.map((n, i) => [n, ts[i]]));
            const r = run({
              cell, x: a.x, h0: a.h0, c0: a.c0 ?? null, kernel: a.kernel, recurrentKernel: a.recurrentKernel,
              bias: a.bias, mask, goBackwards,
            } as RecurrentSequenceArgs);
            const total = tf.add(tf.sum(tf.mul(r.outputs, wOut)), tf.sum(tf.mul(r.h, wH)));
            return (r.c ? tf.add(total, tf.sum(tf.mul(r.c, wC))) : total) as tf.Scalar;
          };
          const baseValues = names.map((n) => inputs[n]);
          const analytic = tf.grads(loss)(baseValues);
          names.forEach((name, i) => {
            expectGradientMatches(`${cell} d/d${name}`, baseValues[i], analytic[i], (value) =>
              tf.tidy(() => loss(...baseValues.map((v, k) => (k === i ? value : v))).dataSync()[0]),
            );
          });
          if (mask) {
            // Masked input steps must get no gradient at all.
            const dx = analytic[names.indexOf('x')].arraySync() as number[][][];
            expect(dx[0][0].every((v) => v === 0)).toBe(true);
            expect(dx[1][2].every((v) => v === 0)).toBe(true);
          }
        });
      }
    }
  }
});

/** Attention layers on their own tf ops always; with the native fused ops (Bahdanau scores) too when installed. */
const nativeModule = fusedKernelsActive() ? ((await import('@rnnkit/native')) as unknown as FusedKernelModule) : null;
const ATTENTION_PATHS: [string, FusedKernelModule | null][] = [
  ['tf ops', null],
  ...(nativeModule ? [['native fused ops', nativeModule] as [string, FusedKernelModule]] : []),
];

describe.each(ATTENTION_PATHS)('attention layers (%s): gradients match finite differences', (_label, fusedOps) => {
  beforeAll(() => useFusedKernels(fusedOps));
  afterAll(() => useFusedKernels(nativeModule));
  const [B, Tq, S, Dq, Dv] = [2, 2, 3, 3, 4];
  const layers: [string, () => tf.layers.Layer, number][] = [
    ['bahdanau', () => new BahdanauAttention({ units: 3 }), Dq],
    // Luong scores have no fused op: their tf ops run on either path, so they are checked once.
    ...(fusedOps ? [] : [
      ['luong general', () => new LuongAttention({ score: 'general' }), Dq] as [string, () => tf.layers.Layer, number],
      ['luong dot', () => new LuongAttention({ score: 'dot' }), Dv] as [string, () => tf.layers.Layer, number],
    ]),
  ];
  for (const [label, make, queryDim] of layers) {
    for (const masked of [false, true]) {
      it(`${label}${masked ? ' masked' : ''}`, () => {
        const layer = make();
        const query = uniform([B, Tq, queryDim], 21);
        const values = uniform([B, S, Dv], 22);
        const mask = masked ? tf.tensor2d([[1, 1, 0], [1, 1, 1]]) : null;
        const wContext = uniform([B, Tq, Dv], 23);
        const wWeights = uniform([B, Tq, S], 24);
        const loss = (q: tf.Tensor, v: tf.Tensor): tf.Scalar => {
          const [context, weights] = layer.apply(mask ? [q, v, mask] : [q, v]) as tf.Tensor[];
          return tf.add(tf.sum(tf.mul(context, wContext)), tf.sum(tf.mul(weights, wWeights))) as tf.Scalar;
        };
        const lossValue = (q: tf.Tensor, v: tf.Tensor): number => tf.tidy(() => loss(q, v).dataSync()[0]);
        const [dq, dv] = tf.grads(loss)([query, values]);
        expectGradientMatches(`${label} d/dquery`, query, dq, (q) => lossValue(q, values));
        expectGradientMatches(`${label} d/dvalues`, values, dv, (v) => lossValue(query, v));

        const weights = layer.getWeights();
        expect(weights.length).toBe(label === 'luong dot' ? 0 : label === 'bahdanau' ? 4 : 1);
        const { grads } = weights.length ? tf.variableGrads(() => loss(query, values)) : { grads: {} as tf.NamedTensorMap };
        layer.trainableWeights.forEach((w, i) => {
          expectGradientMatches(`${label} d/d${w.originalName}`, weights[i], grads[w.name], (value) => {
            layer.setWeights(weights.map((orig, k) => (k === i ? value : orig)));
            const result = lossValue(query, values);
            layer.setWeights(weights);
            return result;
          });
        });
        if (mask) {
          // A padded source position gets no attention and therefore no gradient.
          const dvValues = dv.arraySync() as number[][][];
          expect(Math.max(...dvValues[0][2].map(Math.abs))).toBeLessThan(1e-30);
        }
      });
    }
  }
});
