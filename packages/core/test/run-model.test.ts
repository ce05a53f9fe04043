import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { runModel, tidyValues } from '../src/run-model.js';
import type { BahdanauAttention } from '../src/layers/attention.js';
import { recurrent } from '../src/layers/recurrent.js';
import { setSeed } from '../src/random.js';
import { buildSeq2Seq } from '../src/seq2seq.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
  setSeed(7);
});

function expectSameOutputs(model: tf.LayersModel, inputs: tf.Tensor[]): void {
  const expected = model.predictOnBatch(inputs) as tf.Tensor | tf.Tensor[];
  const actual = runModel(model, inputs);
  const list = Array.isArray(expected) ? expected : [expected];
  expect(actual.length).toBe(list.length);
  list.forEach((e, i) => {
    expect(actual[i].shape).toEqual(e.shape);
    const [a, b] = [actual[i].dataSync(), e.dataSync()];
    a.forEach((v, j) => expect(v).toBeCloseTo(b[j], 6));
  });
  tf.dispose([...list, ...actual]);
}

/** A char-LM step model: embedding → two stateful LSTMs → dropout → softmax, states in and out. */
function charStepModel(): tf.LayersModel {
  const tokens = tf.input({ shape: [null], dtype: 'int32' });
  let h = tf.layers.embedding({ inputDim: 20, outputDim: 6 }).apply(tokens) as tf.SymbolicTensor;
  const stateInputs: tf.SymbolicTensor[] = [];
  const stateOutputs: tf.SymbolicTensor[] = [];
  for (const units of [8, 5]) {
    const states = [tf.input({ shape: [units] }), tf.input({ shape: [units] })];
    const [seq, ...next] = recurrent({ cell: 'lstm', units, returnSequences: true, returnState: true }).apply([h, ...states]) as tf.SymbolicTensor[];
    h = seq;
    stateInputs.push(...states);
    stateOutputs.push(...next);
  }
  const dropped = tf.layers.dropout({ rate: 0.5 }).apply(h) as tf.SymbolicTensor;
  const probs = tf.layers.dense({ units: 20, activation: 'softmax' }).apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: [tokens, ...stateInputs], outputs: [probs, ...stateOutputs] });
}

describe('runModel', () => {
  it('matches predictOnBatch on a stacked stateful char-LM step model (dropout off)', () => {
    const model = charStepModel();
    const tokens = tf.tensor2d([[3, 4, 5], [1, 19, 2]], [2, 3], 'int32');
    const states = [8, 8, 5, 5].map((u) => tf.randomNormal([2, u]));
    expectSameOutputs(model, [tokens, ...states]);
    tf.dispose([tokens, ...states]);
    model.dispose();
  });

  it('matches predictOnBatch on a Seq2Seq encoder and decoder step, with padded sources (masks flow)', () => {
    const models = buildSeq2Seq({ srcVocab: 15, tgtVocab: 12, embedDim: 6, encoderCell: 'gru', encoderUnits: 5, bidirectional: true, decoderUnits: 7, attention: 'bahdanau', seed: 3 });
    const src = tf.tensor2d([[4, 5, 6, 0, 0], [7, 8, 9, 10, 11]], [2, 5], 'int32');
    expectSameOutputs(models.encoder, [src]);
    const [encoderOutputs, srcMask, ...states] = models.encoder.predictOnBatch(src) as tf.Tensor[];
    const keys = (models.attention as BahdanauAttention).projectValues(encoderOutputs);
    const token = tf.tensor2d([[3], [5]], [2, 1], 'int32');
    expectSameOutputs(models.decoderStep, [token, encoderOutputs, srcMask, keys, ...states]);
    tf.dispose([src, token, encoderOutputs, srcMask, keys, ...states]);
    models.decoderStep.dispose();
    models.train.dispose();
  });

  it('trains like model.apply, calling the bidirectional encoder once per step instead of once per used output', () => {
    const models = buildSeq2Seq({ srcVocab: 15, tgtVocab: 12, embedDim: 6, encoderCell: 'lstm', encoderUnits: 5, bidirectional: true, decoderUnits: 7, attention: 'general', seed: 4 });
    const src = tf.tensor2d([[4, 5, 6, 0], [7, 8, 9, 10]], [2, 4], 'int32');
    const tgtIn = tf.tensor2d([[3, 5, 0], [5, 6, 7]], [2, 3], 'int32');
    const weights = models.train.trainableWeights.map((w) => w.read());
    const encoder = models.train.getLayer('encoder');
    const originalCall = encoder.call.bind(encoder);
    let encoderCalls = 0;
    encoder.call = (inputs, kwargs) => {
      encoderCalls++;
      return originalCall(inputs, kwargs);
    };
    const gradsVia = (forward: () => tf.Tensor) => tf.variableGrads(() => tf.sum(tf.square(forward())) as tf.Scalar, weights as tf.Variable[]);
    const viaApply = gradsVia(() => models.train.apply([src, tgtIn], { training: true }) as tf.Tensor);
    encoderCalls = 0;
    const viaRunModel = gradsVia(() => runModel(models.train, [src, tgtIn], { training: true })[0]);
    expect(encoderCalls).toBe(1);
    expect(viaRunModel.value.dataSync()[0]).toBeCloseTo(viaApply.value.dataSync()[0], 5);
    for (const name of Object.keys(viaApply.grads)) {
      const [a, b] = [viaRunModel.grads[name].dataSync(), viaApply.grads[name].dataSync()];
      a.forEach((v, j) => expect(v, name).toBeCloseTo(b[j], 5));
    }
    tf.dispose([src, tgtIn, viaApply.value, viaRunModel.value, ...Object.values(viaApply.grads), ...Object.values(viaRunModel.grads)]);
    models.decoderStep.dispose();
    models.train.dispose();
  });

  it('runs a layer shared by two branches once per branch', () => {
    const x = tf.input({ shape: [3] });
    const shared = tf.layers.dense({ units: 3, activation: 'tanh' });
    const a = shared.apply(x) as tf.SymbolicTensor;
    const b = shared.apply(a) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: [tf.layers.add().apply([a, b]) as tf.SymbolicTensor, b] });
    const input = tf.randomNormal([4, 3]);
    expectSameOutputs(model, [input]);
    tf.dispose(input);
    model.dispose();
  });

  it('reads the current weights at every call and leaks no tensors', () => {
    const model = charStepModel();
    const run = (xs: tf.Tensor[]) => runModel(model, xs);
    const inputs = [tf.tensor2d([[2]], [1, 1], 'int32'), ...[8, 8, 5, 5].map((u) => tf.zeros([1, u]))];
    tf.dispose(run(inputs));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) tf.dispose(run(inputs));
    expect(tf.memory().numTensors).toBe(before);
    const first = run(inputs)[0];
    model.setWeights(model.getWeights().map((w) => tf.mul(w, 0.5)));
    const second = run(inputs)[0];
    expect(Math.max(...tf.abs(tf.sub(first, second)).dataSync())).toBeGreaterThan(1e-6);
    expectSameOutputs(model, inputs);
    tf.dispose([first, second, ...inputs]);
    model.dispose();
  });

  it('names the model when the number of inputs is wrong', () => {
    const x = tf.input({ shape: [2] });
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ units: 1 }).apply(x) as tf.SymbolicTensor, name: 'tiny' });
    expect(() => runModel(model, [])).toThrow(/model 'tiny' takes 1 input\(s\), got 0/);
    model.dispose();
  });

  it('draws a new dropout mask on every training call of a seeded Dropout layer, reproducibly under setSeed', () => {
    // tfjs's own Dropout.call reuses its seed, so every step would drop the same units.
    const x = tf.input({ shape: [64] });
    const model = tf.model({ inputs: x, outputs: tf.layers.dropout({ rate: 0.5, seed: 3, noiseShape: [1, 64] }).apply(x) as tf.SymbolicTensor });
    const ones = tf.ones([1, 64]);
    const masks = (n: number) => Array.from({ length: n }, () => tf.tidy(() => Array.from(runModel(model, ones, { training: true })[0].dataSync())));
    setSeed(11);
    const first = masks(3);
    expect(first[0]).not.toEqual(first[1]);
    expect(first[1]).not.toEqual(first[2]);
    for (const m of first) expect(new Set(m)).toEqual(new Set([0, 2]));
    setSeed(11);
    expect(masks(3)).toEqual(first);
    const inference = runModel(model, ones)[0];
    expect(Array.from(inference.dataSync())).toEqual(Array(64).fill(1));
    tf.dispose([ones, inference]);
    model.dispose();
  });
});

describe('tidyValues', () => {
  it('reads what the function returns, frees every tensor it made, and leaves tensors made outside alive', () => {
    const outside = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const one = tidyValues(() => tf.mul(tf.add(outside, 1), 2));
      expect(Array.from(one)).toEqual([4, 6, 8]);
      const [a, b, c] = tidyValues(() => [tf.square(outside), tf.cast(outside, 'int32'), outside]);
      expect(Array.from(a)).toEqual([1, 4, 9]);
      expect(b).toBeInstanceOf(Int32Array);
      expect(Array.from(c)).toEqual([1, 2, 3]);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(outside.isDisposed).toBe(false);
    outside.dispose();
  });

  it('frees the tensors made before the function threw', () => {
    const before = tf.memory().numTensors;
    expect(() => tidyValues(() => {
      tf.ones([4]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
  });
});
