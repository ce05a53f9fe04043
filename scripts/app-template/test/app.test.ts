import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@rnnkit/core';
import { buildModel, defaultConfig, evaluateAccuracy, trainApp } from '../src/index.js';

describe('__NAME__', () => {
  it('learns the toy task well above chance, which the untrained model does not reach', async () => {
    await initBackend({ quiet: true });
    const training = { epochs: 15, batchSize: 32, learningRate: 1e-2, clipNorm: 5, earlyStopping: { patience: 3 }, seed: 7 };
    const { model, test } = await trainApp({ training, examples: 1500 });
    const untrained = buildModel(defaultConfig);
    expect(evaluateAccuracy(untrained, test)).toBeLessThan(0.8);
    expect(evaluateAccuracy(model, test)).toBeGreaterThan(0.9);
    model.dispose();
    untrained.dispose();
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});
