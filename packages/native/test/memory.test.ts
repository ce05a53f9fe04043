import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { additiveAttentionScores, fusedAdamUpdate, fusedRecurrentSequence, installNativeKernels, recurrentStep } from '../src/index.js';
import { expectAddonLoaded, optedOut, randomMask, randomTensor } from './helpers.js';

describe.skipIf(optedOut)('memory', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
    installNativeKernels(tf);
  });

  it('leaks no tensors and no native memory across 1,000 training and decoding steps', () => {
    // Every fused op is in the loop: the recurrent sequence op and the attention score op (forward and gradient),
    // the fused Adam update, and the one-step decoding kernel.
    const B = 16, T = 12, D = 8, U = 32;
    const params = {
      kernel: tf.variable(randomTensor([D, 4 * U], 1, 0.3)),
      recurrentKernel: tf.variable(randomTensor([U, 4 * U], 2, 0.3)),
      bias: tf.variable(tf.zeros([4 * U])),
      scoreVector: tf.variable(randomTensor([U], 7, 0.3)),
      head: tf.variable(randomTensor([U, 1], 3, 0.3)),
    };
    const moments = Object.values(params).map((p) => ({ m: tf.variable(tf.zerosLike(p)), v: tf.variable(tf.zerosLike(p)) }));
    const x = randomTensor([B, T, D], 4);
    const mask = randomMask(B, T, 5);
    const target = randomTensor([B, 1], 6);
    let step = 0;

    const trainStep = (): number => {
      const { value: loss, grads } = tf.variableGrads(() => {
        const { outputs, h } = fusedRecurrentSequence({ cell: 'lstm', x, h0: null, c0: null, ...params, mask, goBackwards: false });
        const scores = additiveAttentionScores(h.reshape([B, 1, U]), outputs, params.scoreVector); // [B, 1, T]
        const context = tf.matMul(tf.softmax(scores), outputs).reshape([B, U]);
        return tf.losses.meanSquaredError(target, tf.matMul(context, params.head)) as tf.Scalar;
      });
      step++;
      tf.tidy(() => {
        const [c1, c2] = [tf.scalar(1 - 0.9 ** step), tf.scalar(1 - 0.999 ** step)];
        Object.values(params).forEach((value, i) => {
          const next = fusedAdamUpdate({ value, gradient: grads[value.name], m: moments[i].m, v: moments[i].v,
            biasCorrection1: c1, biasCorrection2: c2, learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
          value.assign(next.value);
          moments[i].m.assign(next.m);
          moments[i].v.assign(next.v);
        });
      });
      const lossValue = loss.dataSync()[0];
      tf.dispose([loss, ...Object.values(grads)]);
      return lossValue;
    };
    const firstInput = x.slice([0, 0, 0], [B, 1, D]).reshape([B, D]);
    const decodeStep = (h: tf.Tensor, c: tf.Tensor) => recurrentStep({ cell: 'lstm', x: firstInput, h, c, ...params });

    // Warm up until allocators reach steady state (malloc arenas of the addon's worker threads and V8's heap grow
    // for a while). A real leak of the saved activations would be ~170 KB per step, ~170 MB over 1,000 steps.
    for (let i = 0; i < 200; i++) trainStep();
    let h: tf.Tensor = tf.zeros([B, U]);
    let c: tf.Tensor = tf.zeros([B, U]);
    const tensorsBefore = tf.memory().numTensors;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let firstLoss = NaN;
    let lastLoss = NaN;
    for (let i = 0; i < 1000; i++) {
      const loss = trainStep();
      if (i === 0) firstLoss = loss;
      lastLoss = loss;
      const next = decodeStep(h, c);
      h.dispose();
      c.dispose();
      h = next.h;
      c = next.c as tf.Tensor;
    }
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(rssGrowthMb).toBeLessThan(50);
    // The loop really trained: the loss went down.
    expect(lastLoss).toBeLessThan(firstLoss);
    h.dispose();
    c.dispose();
  });
});
