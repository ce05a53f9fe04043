import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { bidirectional, recurrent } from '../src/layers/recurrent.js';
import { bahdanauAttention, luongAttention } from '../src/layers/attention.js';
import { paddingMask } from '../src/layers/padding-mask.js';
import { buildSeq2Seq, encodeForDecoding, seq2seqFromTrained, seq2seqStepFunction, type Seq2SeqConfig } from '../src/seq2seq.js';

beforeAll(async () => {
  await initBackend({ quiet: true });
  setSeed(21);
});

/** Save through tfjs's own serialization (model.json topology + weight buffer) and load back from memory. */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  // Through JSON text, as a model.json file would be.
  const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({ ...saved!, modelTopology: topology }));
}

function expectSamePredictions(a: tf.Tensor | tf.Tensor[], b: tf.Tensor | tf.Tensor[]): void {
  const as = Array.isArray(a) ? a : [a];
  const bs = Array.isArray(b) ? b : [b];
  expect(bs.length).toBe(as.length);
  as.forEach((t, i) => expect(Array.from(bs[i].dataSync())).toEqual(Array.from(t.dataSync())));
}

describe('serialization', () => {
  it('a model with recurrent, bidirectional and attention layers predicts identically after save/load', async () => {
    const ids = tf.input({ shape: [null], dtype: 'int32' });
    const embedded = tf.layers.embedding({ inputDim: 20, outputDim: 6, maskZero: true }).apply(ids) as tf.SymbolicTensor;
    const encoded = bidirectional({ cell: 'lstm', units: 4, returnSequences: true, mergeMode: 'ave', dropout: 0.2 })
      .apply(embedded) as tf.SymbolicTensor;
    const [decoded, h] = recurrent({ cell: 'gru', units: 4, returnSequences: true, returnState: true, goBackwards: true })
      .apply(encoded) as tf.SymbolicTensor[];
    const mask = paddingMask().apply(ids) as tf.SymbolicTensor;
    const [context, weights] = bahdanauAttention({ units: 5 }).apply([decoded, encoded, mask]) as tf.SymbolicTensor[];
    const [context2] = luongAttention({ score: 'general' }).apply([decoded, encoded, mask]) as tf.SymbolicTensor[];
    const simple = recurrent({ cell: 'simple', units: 3 }).apply(context) as tf.SymbolicTensor;
    const model = tf.model({ inputs: ids, outputs: [context2, weights, h, simple] });

    const loaded = await roundTrip(model);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(expect.arrayContaining(
      ['RnnkitRecurrent', 'RnnkitBidirectional', 'BahdanauAttention', 'LuongAttention', 'RnnkitPaddingMask']));
    const x = tf.tensor2d([[3, 5, 7, 0], [9, 2, 0, 0]], [2, 4], 'int32');
    expectSamePredictions(model.predict(x) as tf.Tensor[], loaded.predict(x) as tf.Tensor[]);
    // The restored config is the same layer configuration, not just the same weights.
    expect(loaded.layers[2].getConfig()).toEqual(model.layers[2].getConfig());
  });

  it('a Seq2Seq training model round-trips and gets its encoder and decoderStep back', async () => {
    const cfg: Seq2SeqConfig = { srcVocab: 12, tgtVocab: 9, embedDim: 5, encoderCell: 'lstm', encoderUnits: 4,
      bidirectional: true, decoderUnits: 6, attention: 'general', dropout: 0.1, seed: 4 };
    const models = buildSeq2Seq(cfg);
    const loaded = await roundTrip(models.train);
    const src = tf.tensor2d([[3, 4, 5], [6, 0, 0]], [2, 3], 'int32');
    const tgt = tf.tensor2d([[1, 2, 3, 4], [1, 5, 0, 0]], [2, 4], 'int32');
    expectSamePredictions(models.train.predict([src, tgt]) as tf.Tensor, loaded.predict([src, tgt]) as tf.Tensor);

    const restored = seq2seqFromTrained({ ...cfg, seed: 99 }, loaded);
    const step = (m: typeof models) => {
      const states = encodeForDecoding(m, [[3, 4, 5], [6]]);
      return seq2seqStepFunction(m).step(Int32Array.from([1, 1]), states).logProbs;
    };
    expectSamePredictions(step(models), step(restored));
    expect(() => seq2seqFromTrained({ ...cfg, decoderUnits: 7 }, loaded)).toThrow(/Seq2SeqConfig gives .* the config does not match/);
    expect(() => seq2seqFromTrained({ ...cfg, bidirectional: false }, loaded)).toThrow(/config does not match the saved model/);
  });
});
