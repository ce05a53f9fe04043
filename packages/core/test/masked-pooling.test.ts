import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { MaskedPooling, maskedPooling } from '../src/layers/masked-pooling.js';
import { paddingMask } from '../src/layers/padding-mask.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('MaskedPooling', () => {
  // Two sequences of 3 positions, 2 features; the second has one real position, then padding holding large values
  // that an unmasked pool would pick up.
  const values = tf.tensor3d([
    [[1, -2], [3, -5], [-1, 4]],
    [[-7, 0.5], [100, 100], [100, -100]],
  ]);
  const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);

  it('max and mean look only at the real positions', () => {
    const max = maskedPooling({ mode: 'max' }).apply([values, mask]) as tf.Tensor;
    const mean = maskedPooling({ mode: 'mean' }).apply([values, mask]) as tf.Tensor;
    expect(max.shape).toEqual([2, 2]);
    expect(Array.from(max.dataSync())).toEqual([3, 4, -7, 0.5]);
    expect(Array.from(mean.dataSync())).toEqual([1, -1, -7, 0.5].map((v) => expect.closeTo(v, 6)));
  });

  it('a padded text pools as it does alone (padding invariance), and an all-padding row gives a finite mean', () => {
    for (const mode of ['max', 'mean'] as const) {
      const layer = maskedPooling({ mode });
      const alone = layer.apply([tf.tensor3d([[[-7, 0.5]]]), tf.tensor2d([[1]])]) as tf.Tensor;
      const padded = layer.apply([values, mask]) as tf.Tensor;
      expect(Array.from(padded.dataSync().slice(2))).toEqual(Array.from(alone.dataSync()));
    }
    const empty = maskedPooling({ mode: 'mean' }).apply([values, tf.zeros([2, 3])]) as tf.Tensor;
    expect(Array.from(empty.dataSync())).toEqual([0, 0, 0, 0]);
  });

  it('refuses an unknown mode and wrong inputs naming the layer; survives a save and load; no tensor leak', async () => {
    expect(() => new MaskedPooling({ mode: 'min' as 'max' })).toThrow(/mode must be one of max, mean, got min/);
    expect(() => maskedPooling({ mode: 'max', name: 'pool' }).apply(values)).toThrow(/layer 'pool': expected \[values/);

    const ids = tf.input({ shape: [null], dtype: 'int32' });
    const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 3 }).apply(ids) as tf.SymbolicTensor;
    const m = paddingMask().apply(ids) as tf.SymbolicTensor;
    const pooled = maskedPooling({ mode: 'max' }).apply([embedded, m]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: ids, outputs: pooled });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = tf.tensor2d([[3, 4, 0, 0], [5, 0, 0, 0]], [2, 4], 'int32');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(loaded.predict(x));
    expect(tf.memory().numTensors).toBe(before);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(loaded.layers.some((l) => l instanceof MaskedPooling && l.mode === 'max')).toBe(true);
  });
});
