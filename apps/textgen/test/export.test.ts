import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext, exportModel, initBackend, runTraining, type ExportManifest } from '@rnnkit/core';
import { predictWithPlainTfjs } from '../../../packages/core/test/fixtures/plain-tfjs-node.js';
import { TINY_SHAKESPEARE, encodeText, loadTextgenModel, readCorpus, splitTrainVal, streamLoss, textgenApp, textgenConfigSchema } from '../src/index.js';
import { tempDir } from './fixtures.js';

/**
 * `export` on a real, small trained character model: quantized web exports keep the validation loss (nats/char)
 * close to the float32 model's, and the plain-tfjs export's logits match rnnkit's within 1e-5 in a fresh Node
 * process that has no rnnkit.
 */
const dataDir = process.env.RNNKIT_DATA_DIR;
if (!dataDir) throw new Error('RNNKIT_DATA_DIR is not set: point it at the datasets directory (e.g. /work/shared/datasets)');
const dataPath = join(dataDir, TINY_SHAKESPEARE.relativePath);
const root = tempDir();
const run = join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The same 20k validation characters for every variant (the whole 10% split takes minutes per model here). */
let valIds: Int32Array;
const natsPerChar = async (dir: string) => {
  const loaded = await loadTextgenModel(dir);
  try {
    return streamLoss(loaded.stepModel, loaded.config, valIds);
  } finally {
    loaded.stepModel.dispose();
    loaded.model.dispose();
  }
};

beforeAll(async () => {
  await initBackend({ quiet: true });
  // The integration test's recipe with fewer steps: ~2.2 nats/char, well below the bigram baseline (2.49).
  const config = textgenConfigSchema.parse({
    data: dataPath, out: run, cell: 'lstm', units: [128], embedDim: 32, dropout: 0, seqLen: 32, batchSize: 32, epochs: 1,
    maxStepsPerEpoch: 200, lr: 1e-2, clipNorm: 5, seed: 1, sampleLength: 0,
  });
  await runTraining(textgenApp, config, false, commandContext({ quiet: true, out: () => undefined }));
  const loaded = await loadTextgenModel(run);
  valIds = splitTrainVal(encodeText(loaded.vocab, readCorpus(dataPath), dataPath), 1, dataPath).val.subarray(0, 20_000);
  loaded.stepModel.dispose();
  loaded.model.dispose();
}, 600_000);

describe('textgen export', () => {
  it('float16 and uint8 web exports keep the validation loss within 0.02 nats/char', async () => {
    const float32 = await natsPerChar(run);
    expect(float32).toBeLessThan(2.5);
    const rows = [`float32 ${float32.toFixed(4)}`];
    for (const quantize of ['none', 'float16', 'uint8'] as const) {
      const out = join(root, `web-${quantize}`);
      const manifest: ExportManifest = await exportModel({ modelDir: run, outDir: out, kind: 'web', quantize });
      const loss = await natsPerChar(out);
      const weights = manifest.files.find((f) => f.name === 'weights.bin')!.bytes;
      rows.push(`${quantize}: ${loss.toFixed(4)} (Δ ${(loss - float32).toFixed(4)}), weights ${weights} B, download ${manifest.totalBytes} B (gzip ${manifest.totalGzipBytes} B)`);
      expect(weights).toBe(manifest.source.weightsBytes / { none: 1, float16: 2, uint8: 4 }[quantize]);
      expect(Math.abs(loss - float32)).toBeLessThanOrEqual(0.02);
      if (quantize === 'none') expect(loss).toBe(float32);
    }
    console.log(`textgen export (LSTM 128, 20k validation chars, nats/char): ${rows.join('; ')}`);
  });

  it('the plain-tfjs export gives rnnkit\'s logits in a fresh process without rnnkit', async () => {
    const out = join(root, 'plain');
    const manifest = await exportModel({ modelDir: run, outDir: out, kind: 'plain-tfjs' });
    expect(manifest.check.maxAbsDiff).toBeLessThan(1e-5);

    // Four real 64-character windows of the validation text.
    const shape = [4, 64];
    const values = Array.from(valIds.subarray(0, 256));
    const loaded = await loadTextgenModel(run);
    const want = tf.tidy(() => Array.from((loaded.model.predict(tf.tensor2d(values, [4, 64], 'int32')) as tf.Tensor).dataSync()));
    loaded.stepModel.dispose();
    loaded.model.dispose();
    const plain = predictWithPlainTfjs(out, { dtype: 'int32', shape, values });

    expect(plain.rnnkitResolvable).toBe(false);
    expect(plain.classes).toEqual(['InputLayer', 'Embedding', 'LSTM', 'Dense']);
    expect(plain.shape).toEqual([4, 64, loaded.config.vocabSize]);
    const diff = Math.max(...plain.values.map((v, i) => Math.abs(v - want[i])));
    console.log(`textgen plain-tfjs: check ${manifest.check.maxAbsDiff.toExponential(2)}, 4×64 validation chars ${diff.toExponential(2)} (logits)`);
    expect(diff).toBeLessThan(1e-5);
  });
});
