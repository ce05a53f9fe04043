// Parity of core's recurrent and attention layers on the fused native path (@rnnkit/native) and on
// their tf ops: forward values, every gradient, masks, both directions, and models trained on the
// fused path that are saved and reloaded with the fused path off. Requires the native addon (CI
// builds it); RNNKIT_NATIVE=0 opts out explicitly.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { bidirectional, recurrent, type CellType } from '../src/layers/recurrent.js';
import { BahdanauAttention } from '../src/layers/attention.js';
import { buildSeq2Seq } from '../src/seq2seq.js';
import { sparseCategoricalCrossentropy } from '../src/train/losses.js';
import { referenceRecurrent, runRecurrent, type RecurrentSequenceArgs } from '../src/layers/recurrent-kernel.js';
import { fusedKernelsActive, useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';

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

  // [B, Tq, S]: batch 1, a single query step (decoding) and a single source position among them. Over one source
  // position the softmax is constant, so the score gradients are 0 on both paths (the native op's own tests check
  // that shape through the raw scores); here it checks the layer's edge shapes.
  const ATTENTION_SHAPES: [number, number, number][] = [[3, 4, 5], [1, 6, 7], [4, 1, 6], [2, 3, 1], [1, 1, 1]];
  for (const [B, Tq, S] of ATTENTION_SHAPES) {
    it(`BahdanauAttention B=${B} Tq=${Tq} S=${S} with a source mask: outputs and every gradient`, () => {
      const layer = new BahdanauAttention({ units: 9, seed: 4 });
      const query = uniform([B, Tq, 5], 21);
      const values = uniform([B, S, 6], 22);
      // Padding at the end of every row but the first (S = 1 leaves nothing to pad).
      const mask = tf.tensor2d(Array.from({ length: B }, (_, b) => Array.from({ length: S }, (_, s) => (b > 0 && s >= S - b ? 0 : 1))));
      const wContext = uniform([B, Tq, 6], 23);
      const wWeights = uniform([B, Tq, S], 24);
      const loss = (q: tf.Tensor, v: tf.Tensor): tf.Scalar => {
        const [context, weights] = layer.apply([q, v, mask]) as tf.Tensor[];
        return tf.add(tf.sum(tf.mul(context, wContext)), tf.sum(tf.mul(weights, wWeights))) as tf.Scalar;
      };
      const run = () => {
        const outputs = layer.apply([query, values, mask]) as tf.Tensor[];
        const inputGrads = tf.grads(loss)([query, values]);
        const { grads } = tf.variableGrads(() => loss(query, values));
        return { outputs, inputGrads, weightGrads: layer.trainableWeights.map((w) => grads[w.name]) };
      };
      const fused = withFused(true, run);
      const reference = withFused(false, run);
      fused.outputs.forEach((t, i) => expect(relativeError(t, reference.outputs[i]), `output ${i}`).toBeLessThan(1e-4));
      fused.inputGrads.forEach((g, i) => expect(relativeError(g, reference.inputGrads[i]), `input gradient ${i}`).toBeLessThan(1e-4));
      expect(fused.weightGrads.length).toBe(4);
      fused.weightGrads.forEach((g, i) => {
        expect(relativeError(g, reference.weightGrads[i]), layer.trainableWeights[i].originalName).toBeLessThan(1e-4);
      });
      layer.dispose();
    });
  }

  it('a Seq2Seq with Bahdanau attention trained on the fused path is reloaded with it off and predicts identically', async () => {
    const vocab = 14, S = 6, T = 5, B = 8;
    const models = buildSeq2Seq({ srcVocab: vocab, tgtVocab: vocab, embedDim: 6, encoderCell: 'gru', encoderUnits: 5,
      bidirectional: true, decoderUnits: 7, attention: 'bahdanau', seed: 9 });
    // Target = source ids shifted by one, with trailing source padding of varying length.
    const srcRows = Array.from({ length: B }, (_, b) => Array.from({ length: S }, (_, s) => (s < S - (b % 3) ? 1 + ((b * 5 + s * 3) % (vocab - 2)) : 0)));
    const tgtOut = srcRows.map((row) => row.slice(0, T).map((id) => (id === 0 ? 1 : id + 1)));
    const tgtIn = tgtOut.map((row) => [1, ...row.slice(0, T - 1)]);
    const xs = [tf.tensor2d(srcRows, undefined, 'int32'), tf.tensor2d(tgtIn, undefined, 'int32')];
    const ys = tf.tensor2d(tgtOut, undefined, 'int32');

    // Counts fused score calls, so the test knows the trained model really went through the native op.
    let fusedScoreCalls = 0;
    const counting: FusedKernelModule = {
      ...nativeModule,
      additiveAttentionScores: (q, k, v) => {
        fusedScoreCalls++;
        return nativeModule.additiveAttentionScores(q, k, v);
      },
    };
    const optimizer = tf.train.adam(0.02);
    const losses: number[] = [];
    useFusedKernels(counting);
    let trainedPrediction: tf.Tensor;
    try {
      for (let step = 0; step < 25; step++) {
        const cost = optimizer.minimize(() => sparseCategoricalCrossentropy(ys, models.train.apply(xs, { training: true }) as tf.Tensor), true);
        losses.push((cost as tf.Scalar).dataSync()[0]);
        cost?.dispose();
      }
      trainedPrediction = models.train.predict(xs) as tf.Tensor;
    } finally {
      useFusedKernels(nativeModule);
    }
    expect(fusedScoreCalls).toBeGreaterThan(25);
    expect(losses[losses.length - 1]).toBeLessThan(0.8 * losses[0]);

    let saved: tf.io.ModelArtifacts | null = null;
    await models.train.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    useFusedKernels(null);
    let reloadedPrediction: tf.Tensor;
    try {
      const reloaded = await tf.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts));
      reloadedPrediction = reloaded.predict(xs) as tf.Tensor;
    } finally {
      useFusedKernels(nativeModule);
    }
    expect(tf.max(tf.abs(tf.sub(reloadedPrediction, trainedPrediction))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
