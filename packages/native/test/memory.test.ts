import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedRecurrentSequence, installNativeKernels, recurrentStep } from '../src/index.js';
import { expectAddonLoaded, optedOut, randomMask, randomTensor } from './helpers.js';

describe.skipIf(optedOut)('memory', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
    installNativeKernels(tf);
  });

  it('leaks no tensors and no native memory across 1,000 training and decoding steps', () => {
    const B = 16, T = 12, D = 8, U = 32;
    const kernel = tf.variable(randomTensor([D, 4 * U], 1, 0.3));
    const recurrentKernel = tf.variable(randomTensor([U, 4 * U], 2, 0.3));
    const bias = tf.variable(tf.zeros([4 * U]));
    const head = tf.variable(randomTensor([U, 1], 3, 0.3));
    const x = randomTensor([B, T, D], 4);
    const mask = randomMask(B, T, 5);
    const target = randomTensor([B, 1], 6);
    const optimizer = tf.train.adam(1e-3);

    const trainStep = () =>
      optimizer.minimize(() => {
        const { h } = fusedRecurrentSequence({ cell: 'lstm', x, h0: null, c0: null, kernel, recurrentKernel, bias, mask, goBackwards: false });
        return tf.losses.meanSquaredError(target, tf.matMul(h, head)) as tf.Scalar;
      });
    const firstInput = x.slice([0, 0, 0], [B, 1, D]).reshape([B, D]);
    const decodeStep = (h: tf.Tensor, c: tf.Tensor) =>
      recurrentStep({ cell: 'lstm', x: firstInput, h, c, kernel, recurrentKernel, bias });

    // Warm up until allocators reach steady state (the optimizer creates its slots on the first step;
    // malloc arenas of the addon's worker threads and V8's heap grow for a while). A real leak of the
    // saved activations would be ~170 KB per step, i.e. ~170 MB over the measured 1,000 steps.
    for (let i = 0; i < 200; i++) trainStep();
    let h: tf.Tensor = tf.zeros([B, U]);
    let c: tf.Tensor = tf.zeros([B, U]);
    const tensorsBefore = tf.memory().numTensors;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let firstLoss = NaN;
    let lastLoss = NaN;
    for (let i = 0; i < 1000; i++) {
      const loss = optimizer.minimize(() => {
        const out = fusedRecurrentSequence({ cell: 'lstm', x, h0: null, c0: null, kernel, recurrentKernel, bias, mask, goBackwards: false });
        return tf.losses.meanSquaredError(target, tf.matMul(out.h, head)) as tf.Scalar;
      }, true) as tf.Scalar;
      if (i === 0) firstLoss = loss.dataSync()[0];
      if (i === 999) lastLoss = loss.dataSync()[0];
      loss.dispose();
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
