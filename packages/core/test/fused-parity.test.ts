// Parity of core's recurrent layers on the fused native path (@rnnkit/native) and on the reference
// tf-ops loop: forward values, every gradient, masks, both directions, and a model trained on the
// fused path that is saved and reloaded with the fused path off. Requires the native addon (CI
// builds it); RNNKIT_NATIVE=0 opts out explicitly.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { bidirectional, recurrent, type CellType } from '../src/layers/recurrent.js';
import {
  fusedKernelsActive,
  referenceRecurrent,
  runRecurrent,
  useFusedKernels,
  type FusedKernelModule,
  type RecurrentSequenceArgs,
} from '../src/layers/recurrent-kernel.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';
const CELLS: CellType[] = ['lstm', 'gru', 'simple'];
const GATES: Record<CellType, number> = { lstm: 4, gru: 3, simple: 1 };

let nativeModule: FusedKernelModule;

function uniform(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.randomUniform(shape, -scale, scale, 'float32', seed);
}

/** Norm-wise relative error max|a-b| / max|b|. */
function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
    const scale = tf.max(tf.abs(expected)).dataSync()[0];
    return diff / Math.max(scale, 1e-6);
  });
}

/** Runs fn with the fused kernels switched on or off, restoring them afterwards. */
function withFused<T>(on: boolean, fn: () => T): T {
  useFusedKernels(on ? nativeModule : null);
  try {
    return fn();
  } finally {
    useFusedKernels(nativeModule);
  }
}

describe.skipIf(optedOut)('fused native recurrent path vs reference tf-ops path', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info.native, 'the @rnnkit/native addon must be built (node scripts/build-addon.mjs in packages/native)').toBe(true);
    expect(fusedKernelsActive()).toBe(true);
    nativeModule = (await import('@rnnkit/native')) as unknown as FusedKernelModule;
    setSeed(11);
  });

  for (const cell of CELLS) {
    for (const masked of [false, true]) {
      for (const goBackwards of [false, true]) {
        it(`runRecurrent ${cell}${masked ? ' masked' : ''}${goBackwards ? ' goBackwards' : ''}: forward and gradients`, () => {
          const B = 3, T = 6, D = 5, U = 4, G = GATES[cell];
          const base: RecurrentSequenceArgs = {
            cell,
            x: uniform([B, T, D], 1) as tf.Tensor3D,
            h0: uniform([B, U], 2, 0.5) as tf.Tensor2D,
            c0: cell === 'lstm' ? (uniform([B, U], 3, 0.5) as tf.Tensor2D) : null,
            kernel: uniform([D, G * U], 4, 0.7) as tf.Tensor2D,
            recurrentKernel: uniform([U, G * U], 5, 0.7) as tf.Tensor2D,
            bias: uniform([G * U], 6, 0.3) as tf.Tensor1D,
            mask: masked ? tf.tensor2d([[1, 1, 0, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0]]) : null,
            goBackwards,
          };
          const wOut = uniform([B, T, U], 7);
          const wState = uniform([B, U], 8);
          const inputs = [base.x, base.h0, base.kernel, base.recurrentKernel, base.bias, ...(base.c0 ? [base.c0] : [])];
          const loss = (run: (a: RecurrentSequenceArgs) => { outputs: tf.Tensor; h: tf.Tensor; c: tf.Tensor | null }) =>
            (...ts: tf.Tensor[]): tf.Scalar => {
              const [x, h0, kernel, recurrentKernel, bias, c0] = ts;
              const r = run({ ...base, x, h0, kernel, recurrentKernel, bias, c0: c0 ?? null } as RecurrentSequenceArgs);
              let l = tf.sum(tf.mul(r.outputs, wOut)).add(tf.sum(tf.mul(r.h, wState)));
              if (r.c) l = l.add(tf.sum(tf.mul(r.c, wState)));
              return l as tf.Scalar;
            };
          const fused = runRecurrent(base);
          const reference = referenceRecurrent(base);
          expect(relativeError(fused.outputs, reference.outputs)).toBeLessThan(1e-4);
          expect(relativeError(fused.h, reference.h)).toBeLessThan(1e-4);
          if (cell === 'lstm') expect(relativeError(fused.c as tf.Tensor, reference.c as tf.Tensor)).toBeLessThan(1e-4);
          const gFused = tf.grads(loss(runRecurrent))(inputs);
          const gReference = tf.grads(loss(referenceRecurrent))(inputs);
          gFused.forEach((g, i) => expect(relativeError(g, gReference[i]), `gradient ${i}`).toBeLessThan(1e-4));
        });
      }
    }
  }

  for (const cell of CELLS) {
    it(`bidirectional ${cell} layer over a maskZero embedding: outputs and weight gradients`, () => {
      const ids = tf.tensor2d([[3, 1, 4, 1, 5, 0, 0], [2, 7, 1, 8, 2, 8, 1], [9, 0, 0, 0, 0, 0, 0]], undefined, 'int32');
      const input = tf.input({ shape: [7], dtype: 'int32' });
      const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 5, maskZero: true }).apply(input) as tf.SymbolicTensor;
      const out = bidirectional({ cell, units: 4, returnSequences: true, seed: 3 }).apply(embedded) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const w = uniform([3, 7, 8], 9);
      const run = () =>
        tf.variableGrads(() => tf.sum(tf.mul(model.apply(ids, { training: true }) as tf.Tensor, w)) as tf.Scalar);
      const fused = withFused(true, run);
      const reference = withFused(false, run);
      expect(Math.abs(fused.value.dataSync()[0] - reference.value.dataSync()[0])).toBeLessThan(1e-4 * Math.abs(reference.value.dataSync()[0]) + 1e-5);
      const names = Object.keys(reference.grads);
      expect(names.length).toBe(7); // embedding + 2 directions x (kernel, recurrent kernel, bias)
      for (const name of names) expect(relativeError(fused.grads[name], reference.grads[name]), name).toBeLessThan(1e-4);
      model.layers.forEach((l) => l.dispose());
    });
  }

  it('a model trained on the fused path is saved, reloaded with it off, and predicts identically', async () => {
    const T = 8, vocab = 12;
    const input = tf.input({ shape: [T], dtype: 'int32' });
    let h = tf.layers.embedding({ inputDim: vocab, outputDim: 6, maskZero: true }).apply(input) as tf.SymbolicTensor;
    h = bidirectional({ cell: 'gru', units: 5, returnSequences: true, seed: 1 }).apply(h) as tf.SymbolicTensor;
    h = recurrent({ cell: 'simple', units: 5, returnSequences: true, seed: 2 }).apply(h) as tf.SymbolicTensor;
    h = recurrent({ cell: 'lstm', units: 6, seed: 3 }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });

    // Class = (first token) mod 3, with trailing padding of random length.
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 48; i++) {
      const len = 2 + (i % (T - 1));
      rows.push(Array.from({ length: T }, (_, t) => (t < len ? 1 + ((i * 7 + t * 3) % (vocab - 1)) : 0)));
      labels.push(rows[i][0] % 3);
    }
    const xs = tf.tensor2d(rows, undefined, 'int32');
    const ys = tf.tensor2d(labels, [labels.length, 1]);
    const before = model.getWeights().map((w) => w.clone());
    const history = await withFused(true, () => model.fit(xs, ys, { epochs: 15, batchSize: 16, shuffle: false, verbose: 0 }));
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    expect(model.getWeights().some((w, i) => relativeError(w, before[i]) > 1e-3)).toBe(true);

    const trainedPrediction = withFused(true, () => model.predict(xs) as tf.Tensor);
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    expect(saved).not.toBeNull();

    // Reload and predict with the fused path off for the whole (async) load.
    useFusedKernels(null);
    let reloadedPrediction: tf.Tensor;
    try {
      expect(fusedKernelsActive()).toBe(false);
      const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts));
      reloadedPrediction = reloaded.predict(xs) as tf.Tensor;
    } finally {
      useFusedKernels(nativeModule);
    }
    expect(tf.max(tf.abs(tf.sub(reloadedPrediction, trainedPrediction))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
