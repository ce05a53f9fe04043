import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { commandContext, initBackend, runTraining } from '@rnnkit/core';
import { app, buildModel, configSchema, evaluateAccuracy, type TrainedApp } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), '__NAME__-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('__NAME__', () => {
  it('learns the toy task well above chance, which the untrained model does not reach', async () => {
    await initBackend({ quiet: true });
    const config = configSchema.parse({ out: join(dir, 'run'), examples: 1500, seed: 7 });
    const run = (await runTraining(app, config, false, commandContext({ quiet: true }))) as TrainedApp;
    const untrained = buildModel(run.config);
    expect(evaluateAccuracy(untrained, run.test)).toBeLessThan(0.8);
    expect(evaluateAccuracy(run.model, run.test)).toBeGreaterThan(0.9);

    // The saved model answers through the predictor; a bad input names the field.
    const predictor = await app.loadPredictor(join(dir, 'run'));
    const out = await predictor.predict(app.predict.example);
    expect(out.probability).toBeGreaterThanOrEqual(0);
    await expect(predictor.predict({ sequence: [0.5] })).rejects.toThrow(/field "sequence"/);
    predictor.dispose();

    run.model.dispose();
    untrained.dispose();
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});
