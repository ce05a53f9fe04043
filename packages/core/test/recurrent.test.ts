import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { bidirectional, recurrent, stackedRecurrent, type CellType, type MergeMode } from '../src/layers/recurrent.js';
import { GATES, referenceRecurrent, runRecurrent } from '../src/layers/recurrent-kernel.js';
import { fusedKernelsActive } from '../src/layers/fused-kernels.js';

const CELLS: CellType[] = ['lstm', 'gru', 'simple'];

beforeAll(async () => {
  await initBackend({ quiet: true });
  setSeed(7);
});

function randomInput(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** tfjs-layers' own implementation of the same cell, with sigmoid (not hard sigmoid) as recurrent activation. */
function tfjsLayer(cell: CellType, units: number, goBackwards: boolean): tf.layers.Layer {
  const args = { units, returnSequences: true, goBackwards };
  if (cell === 'lstm') return tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid' });
  if (cell === 'gru') return tf.layers.gru({ ...args, recurrentActivation: 'sigmoid' });
  return tf.layers.simpleRNN(args);
}

describe('recurrent layer forward pass', () => {
  for (const cell of CELLS) {
    for (const goBackwards of [false, true]) {
      it(`${cell}${goBackwards ? ' goBackwards' : ''} equals tf.layers with the same weights`, () => {
        const x = randomInput([3, 5, 4], 1);
        const ours = recurrent({ cell, units: 6, returnSequences: true, goBackwards });
        const reference = tfjsLayer(cell, 6, goBackwards);
        const ourOut = ours.apply(x) as tf.Tensor;
        reference.apply(x);
        // Random (not initial) weights so the forget-gate bias and zero biases do not hide layout mistakes.
        reference.setWeights(ours.getWeights().map((w, i) => randomInput(w.shape, 10 + i)));
        ours.setWeights(reference.getWeights());
        const expected = reference.apply(x) as tf.Tensor;
        const actual = ours.apply(x) as tf.Tensor;
        expect(actual.shape).toEqual([3, 5, 6]);
        expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
        expect(maxAbsDiff(actual, ourOut)).toBeGreaterThan(1e-3);
        tf.dispose([x, ourOut, expected, actual]);
      });
    }
  }

  it('initializes LSTM forget-gate bias to 1 and the recurrent kernel orthogonal', () => {
    const layer = recurrent({ cell: 'lstm', units: 4 });
    layer.apply(tf.zeros([1, 2, 3]));
    const [, recurrentKernel, bias] = layer.getWeights();
    expect(Array.from(bias.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const gram = tf.matMul(recurrentKernel, recurrentKernel, false, true); // rows orthonormal: W Wᵀ = I
    expect(maxAbsDiff(gram, tf.eye(4))).toBeLessThan(1e-5);
  });

  it('building a layer allocates exactly its weights', () => {
    const x = tf.zeros([1, 2, 3]);
    for (const cell of CELLS) {
      const layer = bidirectional({ cell, units: 4 });
      const before = tf.memory().numTensors;
      layer.build(x.shape);
      expect(tf.memory().numTensors - before).toBe(6);
    }
  });

  it('is reproducible with setSeed and with an explicit seed', () => {
    const weightsOf = (seed?: number) => {
      const layer = recurrent({ cell: 'gru', units: 3, seed });
      layer.apply(tf.zeros([1, 2, 2]));
      return layer.getWeights().map((w) => Array.from(w.dataSync()));
    };
    setSeed(5);
    const a = weightsOf();
    setSeed(5);
    expect(weightsOf()).toEqual(a);
    expect(weightsOf(123)).toEqual(weightsOf(123));
    expect(weightsOf(123)).not.toEqual(a);
  });
});

describe('native fused kernel', () => {
  for (const cell of CELLS) {
    it(`${cell}: the fused op (when installed) computes what the reference loop computes`, (ctx) => {
      if (!fusedKernelsActive()) ctx.skip(); // @rnnkit/native not built here: only the reference loop runs
      const [B, T, D, U] = [3, 7, 5, 6];
      const g = GATES[cell] * U;
      for (const goBackwards of [false, true]) {
        const args = {
          cell, goBackwards, x: randomInput([B, T, D], 40) as tf.Tensor3D, h0: randomInput([B, U], 41) as tf.Tensor2D,
          c0: cell === 'lstm' ? (randomInput([B, U], 42) as tf.Tensor2D) : null,
          kernel: randomInput([D, g], 43) as tf.Tensor2D, recurrentKernel: randomInput([U, g], 44) as tf.Tensor2D,
          bias: randomInput([g], 45) as tf.Tensor1D, mask: tf.tensor2d([[1, 1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1, 1]]),
        };
        const fused = runRecurrent(args);
        const reference = referenceRecurrent(args);
        expect(maxAbsDiff(fused.outputs, reference.outputs)).toBeLessThan(1e-5);
        expect(maxAbsDiff(fused.h, reference.h)).toBeLessThan(1e-5);
        if (cell === 'lstm') expect(maxAbsDiff(fused.c!, reference.c!)).toBeLessThan(1e-5);
      }
    });
  }
});

describe('returnState and initial state', () => {
  for (const cell of CELLS) {
    it(`${cell}: returnState gives the final states, initial states are used`, () => {
      const x = randomInput([2, 4, 3], 2);
      const layer = recurrent({ cell, units: 5, returnSequences: true, returnState: true });
      const [seq, ...states] = layer.apply(x) as tf.Tensor[];
      expect(states.length).toBe(cell === 'lstm' ? 2 : 1);
      expect(maxAbsDiff(seq.slice([0, 3, 0], [2, 1, 5]).reshape([2, 5]), states[0])).toBe(0);

      const initial = states.map((_, i) => randomInput([2, 5], 30 + i));
      const [seqFromInitial, ...statesFromInitial] = layer.apply([x, ...initial]) as tf.Tensor[];
      expect(maxAbsDiff(seqFromInitial, seq)).toBeGreaterThan(1e-3);
      // Continuing from the states after 2 steps equals running all 4 steps at once.
      const [, ...mid] = layer.apply(x.slice([0, 0, 0], [2, 2, 3])) as tf.Tensor[];
      const [, ...end] = layer.apply([x.slice([0, 2, 0], [2, 2, 3]), ...mid]) as tf.Tensor[];
      end.forEach((s, i) => expect(maxAbsDiff(s, states[i])).toBeLessThan(1e-6));
      expect(statesFromInitial.length).toBe(states.length);
    });
  }

  it('matches tf.layers.lstm given the same initial state', () => {
    const x = randomInput([2, 3, 4], 3);
    const ours = recurrent({ cell: 'lstm', units: 3, returnSequences: true });
    ours.apply(x);
    const reference = tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' });
    const h0 = randomInput([2, 3], 4);
    const c0 = randomInput([2, 3], 5);
    reference.apply(x, { initialState: [h0, c0] });
    reference.setWeights(ours.getWeights());
    const expected = reference.apply(x, { initialState: [h0, c0] }) as tf.Tensor;
    expect(maxAbsDiff(ours.apply([x, h0, c0]) as tf.Tensor, expected)).toBeLessThan(1e-5);
  });
});

describe('masking', () => {
  for (const cell of CELLS) {
    it(`${cell}: padded steps (Embedding maskZero) do not change the final state`, () => {
      const ids = tf.input({ shape: [null], dtype: 'int32' });
      const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }).apply(ids) as tf.SymbolicTensor;
      const outputs = recurrent({ cell, units: 3, returnSequences: true, returnState: true }).apply(embedded) as tf.SymbolicTensor[];
      const model = tf.model({ inputs: ids, outputs });
      const [, ...unpadded] = model.predict(tf.tensor2d([[4, 2, 7]], [1, 3], 'int32')) as tf.Tensor[];
      const [seqPost, ...post] = model.predict(tf.tensor2d([[4, 2, 7, 0, 0]], [1, 5], 'int32')) as tf.Tensor[];
      const [, ...pre] = model.predict(tf.tensor2d([[0, 0, 4, 2, 7]], [1, 5], 'int32')) as tf.Tensor[];
      unpadded.forEach((s, i) => {
        expect(maxAbsDiff(post[i], s)).toBeLessThan(1e-6);
        expect(maxAbsDiff(pre[i], s)).toBeLessThan(1e-6);
      });
      // Masked steps repeat the last real output.
      const steps = seqPost.arraySync() as number[][][];
      expect(steps[0][4]).toEqual(steps[0][2]);
      // Without the mask the padding would matter (so the test above can fail).
      const unmasked = recurrent({ cell, units: 3, returnState: true });
      const [, hUnmasked] = unmasked.apply(tf.tensor3d([[[1, 0], [0, 0]]])) as tf.Tensor[];
      const [, hShort] = unmasked.apply(tf.tensor3d([[[1, 0]]])) as tf.Tensor[];
      expect(maxAbsDiff(hUnmasked, hShort)).toBeGreaterThan(1e-4);
    });
  }

  it('a bidirectional layer ignores padding in both directions', () => {
    const ids = tf.input({ shape: [null], dtype: 'int32' });
    const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }).apply(ids) as tf.SymbolicTensor;
    const out = bidirectional({ cell: 'gru', units: 3 }).apply(embedded) as tf.SymbolicTensor;
    const model = tf.model({ inputs: ids, outputs: out });
    const short = model.predict(tf.tensor2d([[4, 2, 7]], [1, 3], 'int32')) as tf.Tensor;
    const padded = model.predict(tf.tensor2d([[4, 2, 7, 0, 0, 0]], [1, 6], 'int32')) as tf.Tensor;
    expect(maxAbsDiff(short, padded)).toBeLessThan(1e-6);
  });
});

describe('bidirectional', () => {
  const merges: Record<MergeMode, (f: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
    concat: (f, b) => tf.concat([f, b], -1),
    sum: (f, b) => tf.add(f, b),
    ave: (f, b) => tf.div(tf.add(f, b), 2),
    mul: (f, b) => tf.mul(f, b),
  };
  for (const [mode, expectedMerge] of Object.entries(merges) as [MergeMode, typeof merges.concat][]) {
    it(`mergeMode ${mode} merges a forward and a time-aligned backward pass`, () => {
      const x = randomInput([2, 4, 3], 6);
      const bi = bidirectional({ cell: 'lstm', units: 2, returnSequences: true, returnState: true, mergeMode: mode });
      const [seq, hf, cf, hb, cb] = bi.apply(x) as tf.Tensor[];
      const weights = bi.getWeights();
      const forward = recurrent({ cell: 'lstm', units: 2, returnSequences: true, returnState: true });
      const backward = recurrent({ cell: 'lstm', units: 2, returnSequences: true, returnState: true, goBackwards: true });
      forward.apply(x);
      backward.apply(x);
      forward.setWeights(weights.slice(0, 3));
      backward.setWeights(weights.slice(3));
      const [fSeq, fh, fc] = forward.apply(x) as tf.Tensor[];
      const [bSeqReversed, bh, bc] = backward.apply(x) as tf.Tensor[];
      const expected = expectedMerge(fSeq, tf.reverse(bSeqReversed, 1));
      expect(seq.shape).toEqual([2, 4, mode === 'concat' ? 4 : 2]);
      expect(maxAbsDiff(seq, expected)).toBeLessThan(1e-6);
      [[hf, fh], [cf, fc], [hb, bh], [cb, bc]].forEach(([a, b]) => expect(maxAbsDiff(a, b)).toBeLessThan(1e-6));
    });
  }

  it('returns the merged final states when returnSequences is false', () => {
    const x = randomInput([2, 4, 3], 8);
    const bi = bidirectional({ cell: 'gru', units: 2 });
    const out = bi.apply(x) as tf.Tensor;
    expect(out.shape).toEqual([2, 4]);
    const [, hf, hb] = (bidirectional({ cell: 'gru', units: 2, returnState: true }) as tf.layers.Layer).apply(x) as tf.Tensor[];
    expect(hf.shape).toEqual([2, 2]);
    expect(hb.shape).toEqual([2, 2]);
  });
});

describe('dropout and stacking', () => {
  it('applies (seeded) dropout only in training', () => {
    const x = randomInput([4, 5, 3], 9);
    const layer = recurrent({ cell: 'lstm', units: 8, dropout: 0.5, recurrentDropout: 0.5, returnSequences: true });
    const inference = layer.apply(x) as tf.Tensor;
    expect(maxAbsDiff(layer.apply(x) as tf.Tensor, inference)).toBe(0);
    const trainingA = layer.apply(x, { training: true }) as tf.Tensor;
    const trainingB = layer.apply(x, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(trainingA, inference)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(trainingA, trainingB)).toBeGreaterThan(1e-3);
    setSeed(99);
    const seededA = layer.apply(x, { training: true }) as tf.Tensor;
    setSeed(99);
    expect(maxAbsDiff(layer.apply(x, { training: true }) as tf.Tensor, seededA)).toBe(0);
  });

  it('stackedRecurrent builds N layers, bidirectional if asked', () => {
    const input = tf.input({ shape: [6, 3] });
    const top = stackedRecurrent(input, { cell: 'gru', units: [8, 4], bidirectional: 'sum', name: 'enc' });
    const seqTop = stackedRecurrent(input, { cell: 'simple', units: [5, 5, 2], returnSequences: true });
    expect(top.shape).toEqual([null, 4]);
    expect(seqTop.shape).toEqual([null, 6, 2]);
    const model = tf.model({ inputs: input, outputs: [top, seqTop] });
    expect(model.layers.map((l) => l.name).filter((n) => n.startsWith('enc_'))).toEqual(['enc_1', 'enc_2']);
    const [a, b] = model.predict(randomInput([2, 6, 3], 10)) as tf.Tensor[];
    expect(a.shape).toEqual([2, 4]);
    expect(b.shape).toEqual([2, 6, 2]);
  });
});

describe('bad inputs', () => {
  it('rejects bad options', () => {
    expect(() => recurrent({ cell: 'lstm', units: 0 })).toThrow(/units must be a positive integer, got 0/);
    expect(() => recurrent({ cell: 'lstm', units: 2.5 })).toThrow(/units/);
    expect(() => recurrent({ cell: 'rnn' as CellType, units: 2 })).toThrow(/unknown cell 'rnn'/);
    expect(() => recurrent({ cell: 'gru', units: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => bidirectional({ cell: 'gru', units: 2, mergeMode: 'max' as MergeMode })).toThrow(/unknown mergeMode 'max'/);
  });

  it('rejects inputs of the wrong rank or size', () => {
    expect(() => recurrent({ cell: 'gru', units: 2, name: 'enc' }).apply(tf.input({ shape: [3] })))
      .toThrow(/layer 'enc': expected input \[batch, time, features\]/);
    const layer = recurrent({ cell: 'lstm', units: 2, name: 'dec' });
    layer.apply(tf.zeros([1, 2, 3]));
    expect(() => layer.apply(tf.zeros([1, 2, 4]))).toThrow(/layer 'dec': expected input \[batch, time, 3\], got \[1, 2, 4\]/);
    expect(() => layer.apply([tf.zeros([1, 2, 3]), tf.zeros([1, 2])])).toThrow(/expected 2 initial state tensors/);
    expect(() => layer.apply([tf.zeros([1, 2, 3]), tf.zeros([1, 3]), tf.zeros([1, 2])]))
      .toThrow(/initial state must be \[1, 2\], got \[1, 3\]/);
  });
});
