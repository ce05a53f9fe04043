import { rmSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext, exportModel, initBackend, runTraining, type ExportManifest } from '@rnnkit/core';
import { predictWithPlainTfjs } from '../../../packages/core/test/fixtures/plain-tfjs-node.js';
import { inputTensor, loadMnistModel, loadSplits, mnistApp, mnistConfigSchema, resolveFiles, type EvaluationReport } from '../src/index.js';
import { tempDir } from './fixtures.js';

/**
 * `export` on a real, small trained model: quantized web exports keep the test accuracy within 0.5 point of the
 * float32 model (measured with the app's own evaluate on the held-out digits), and the plain-tfjs export loads in a
 * fresh Node process that has no rnnkit and predicts the same probabilities within 1e-5.
 */
const dataRoot = process.env.RNNKIT_DATA_DIR;
if (!dataRoot) throw new Error('export test: set RNNKIT_DATA_DIR to the datasets folder (e.g. /work/shared/datasets)');

const root = tempDir('export');
const run = path.join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ctx = commandContext({ quiet: true });
const accuracyOf = async (dir: string) =>
  ((await mnistApp.evaluate.run(dir, { out: path.join(root, 'eval') }, ctx)).report as EvaluationReport).accuracy;

beforeAll(async () => {
  await initBackend({ quiet: true });
  // The demo's model (64-unit GRU, lr 5e-3), step-budgeted: ~94% on the held-out digits (integration test).
  const config = mnistConfigSchema.parse({
    out: run, data: path.join(dataRoot, 'mnist'), cell: 'gru', units: [64], epochs: 3, maxStepsPerEpoch: 100, lr: 5e-3, seed: 1,
  });
  await runTraining(mnistApp, config, false, commandContext({ quiet: true, out: () => undefined }));
}, 600_000);

describe('mnist-rows export', () => {
  it('float16 and uint8 web exports keep the test accuracy within 0.5 point at 1/2 and 1/4 of the weights', async () => {
    const float32 = await accuracyOf(run);
    expect(float32).toBeGreaterThan(0.85);
    const rows: string[] = [`float32 ${(100 * float32).toFixed(2)}%`];
    for (const quantize of ['none', 'float16', 'uint8'] as const) {
      const out = path.join(root, `web-${quantize}`);
      const manifest: ExportManifest = await exportModel({ modelDir: run, outDir: out, kind: 'web', quantize });
      const acc = await accuracyOf(out);
      const weights = manifest.files.find((f) => f.name === 'weights.bin')!.bytes;
      rows.push(`${quantize}: ${(100 * acc).toFixed(2)}% (Δ ${(100 * (acc - float32)).toFixed(2)} pt), weights ${weights} B, download ${manifest.totalBytes} B (gzip ${manifest.totalGzipBytes} B)`);
      expect(weights).toBe(manifest.source.weightsBytes / { none: 1, float16: 2, uint8: 4 }[quantize]);
      expect(Math.abs(acc - float32)).toBeLessThanOrEqual(0.005);
      if (quantize === 'none') expect(acc).toBe(float32);
    }
    console.log(`mnist-rows export (GRU 64, held-out digits): ${rows.join('; ')}`);
  });

  it('the plain-tfjs export predicts like rnnkit in a fresh process without rnnkit', async () => {
    const out = path.join(root, 'plain');
    const manifest = await exportModel({ modelDir: run, outDir: out, kind: 'plain-tfjs' });
    expect(manifest.check.maxAbsDiff).toBeLessThan(1e-5);

    const loaded = await loadMnistModel(run);
    const files = await resolveFiles({ dataset: loaded.extras.dataset, dir: path.join(dataRoot, 'mnist') });
    const test = loadSplits(files, { ...loaded.extras.split, holdOutFromTestSet: loaded.extras.trainedOnTestSet }).test;
    const x = inputTensor(test, Int32Array.from({ length: 64 }, (_, i) => i), 'rows');
    const want = tf.tidy(() => Array.from((loaded.model.predict(x) as tf.Tensor).dataSync()));
    const plain = predictWithPlainTfjs(out, { dtype: 'float32', shape: x.shape, values: Array.from(x.dataSync()) });
    x.dispose();
    loaded.model.dispose();

    expect(plain.rnnkitResolvable).toBe(false);
    expect(plain.classes).toEqual(['InputLayer', 'GRU', 'Dense']);
    expect(plain.shape).toEqual([64, 10]);
    const diff = Math.max(...plain.values.map((v, i) => Math.abs(v - want[i])));
    console.log(`mnist-rows plain-tfjs: check ${manifest.check.maxAbsDiff.toExponential(2)}, 64 real test digits ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
  });
});
