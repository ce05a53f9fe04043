import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed, rng } from '../src/random.js';
import { buildSeq2Seq, encodeForDecoding, seq2seqStepFunction, teacherForcingBatch, type Seq2SeqConfig, type Seq2SeqModels } from '../src/seq2seq.js';
import { sparseCategoricalCrossentropy } from '../src/train/losses.js';
import { greedyDecodeBatch } from '../src/decode/greedy.js';
import { beamSearch, beamSearchBatch } from '../src/decode/beam.js';
import type { StepFunction } from '../src/decode/step.js';

/** Toy task: reverse a sequence of 3-5 digits. Ids: 0 PAD, 1 BOS, 2 EOS, 3..12 digits. */
const [PAD, BOS, EOS] = [0, 1, 2];
const VOCAB = 13;

beforeAll(async () => {
  await initBackend({ quiet: true });
});

function randomSequences(n: number, random: () => number): number[][] {
  return Array.from({ length: n }, () =>
    Array.from({ length: 3 + Math.floor(random() * 3) }, () => 3 + Math.floor(random() * 10)));
}

function padded(rows: number[][]): tf.Tensor2D {
  const len = Math.max(...rows.map((r) => r.length));
  return tf.tensor2d(rows.map((r) => [...r, ...new Array(len - r.length).fill(PAD)]), [rows.length, len], 'int32');
}

/** Teacher-forcing batch: decoder input [BOS, reversed...], target [reversed..., EOS], weights mask padding. */
function reversalBatch(src: number[][]) {
  const reversed = src.map((s) => [...s].reverse());
  const tgtOut = padded(reversed.map((r) => [...r, EOS]));
  return {
    src: padded(src),
    tgtIn: padded(reversed.map((r) => [BOS, ...r])),
    tgtOut,
    weights: tf.tidy(() => tf.cast(tf.notEqual(tgtOut, PAD), 'float32')),
  };
}

/** Greedy decoding through encoder + decoderStep; fraction of target positions predicted correctly. */
function tokenAccuracy(models: Seq2SeqModels, src: number[][]): number {
  const states = encodeForDecoding(models, src);
  const results = greedyDecodeBatch(seq2seqStepFunction(models), states, { bos: BOS, eos: EOS, maxLen: 7 });
  tf.dispose(states);
  let correct = 0;
  let total = 0;
  src.forEach((s, i) => {
    const expected = [...s].reverse();
    expected.forEach((tok, t) => (correct += results[i].tokens[t] === tok ? 1 : 0));
    total += expected.length;
  });
  return correct / total;
}

function trainSteps(models: Seq2SeqModels, optimizer: tf.Optimizer, steps: number, random: () => number): number {
  let loss = NaN;
  for (let i = 0; i < steps; i++) {
    const batch = reversalBatch(randomSequences(32, random));
    const value = optimizer.minimize(() => {
      const probs = models.train.apply([batch.src, batch.tgtIn], { training: true }) as tf.Tensor;
      return sparseCategoricalCrossentropy(batch.tgtOut, probs, batch.weights);
    }, true) as tf.Scalar;
    loss = value.dataSync()[0];
    tf.dispose([value, batch.src, batch.tgtIn, batch.tgtOut, batch.weights]);
  }
  return loss;
}

const base = { srcVocab: VOCAB, tgtVocab: VOCAB, embedDim: 16, sharedEmbedding: true } as const;

describe('Seq2Seq with attention learns to reverse digit sequences', () => {
  const cases: [string, Seq2SeqConfig][] = [
    ['bahdanau, bidirectional GRU', { ...base, encoderCell: 'gru', encoderUnits: 24, bidirectional: true, attention: 'bahdanau', seed: 1 }],
    ['luong dot, LSTM', { ...base, encoderCell: 'lstm', encoderUnits: 48, bidirectional: false, attention: 'dot', seed: 2 }],
  ];
  for (const [label, cfg] of cases) {
    it(label, () => {
      setSeed(3);
      const random = rng();
      const models = buildSeq2Seq(cfg);
      const test = randomSequences(100, random);
      const untrained = tokenAccuracy(models, test);
      const optimizer = tf.train.adam(0.01);
      const start = Date.now();
      const loss = trainSteps(models, optimizer, 100, random);
      const trained = tokenAccuracy(models, test);
      console.log(`${label}: token accuracy untrained ${untrained.toFixed(3)}, trained ${trained.toFixed(3)}, ` +
        `final loss ${loss.toFixed(3)}, ${((Date.now() - start) / 1000).toFixed(1)}s`);
      expect(untrained).toBeLessThan(0.3);
      expect(trained).toBeGreaterThanOrEqual(0.8);
      // Beam search reorders the carried states (encoder outputs and mask included) by row; its best hypothesis
      // must solve the task as well.
      const sample = test.slice(0, 10);
      const beamCorrect = sample.filter((s) => {
        const states = encodeForDecoding(models, [s]);
        const [best] = beamSearch(seq2seqStepFunction(models), states, { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 7 });
        tf.dispose(states);
        return best.tokens.join() === [...s].reverse().join();
      }).length;
      expect(beamCorrect).toBeGreaterThanOrEqual(8);
      // Batched beam search (sources of different lengths, padded and masked) gives each sentence the same
      // hypotheses as searching it alone, and frees what it allocates.
      const stepFn = seq2seqStepFunction(models);
      const batchStates = encodeForDecoding(models, sample);
      const before = tf.memory().numTensors;
      const batched = beamSearchBatch(stepFn, batchStates, { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 7, lengthPenalty: 0.6 });
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(batchStates);
      sample.forEach((s, i) => {
        const states = encodeForDecoding(models, [s]);
        const alone = beamSearch(stepFn, states, { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 7, lengthPenalty: 0.6 });
        tf.dispose(states);
        expect(batched[i].map((h) => h.tokens)).toEqual(alone.map((h) => h.tokens));
        batched[i].forEach((h, j) => expect(h.score).toBeCloseTo(alone[j].score, 4));
      });
      optimizer.dispose();
    });
  }
});

describe('Seq2Seq models', () => {
  const configs: [string, Seq2SeqConfig][] = [
    ['bidirectional LSTM, bridge, general', { srcVocab: 11, tgtVocab: 9, embedDim: 4, encoderCell: 'lstm', encoderUnits: 3,
      bidirectional: true, decoderUnits: 5, attention: 'general', seed: 5 }],
    ['GRU, bahdanau', { srcVocab: 11, tgtVocab: 9, embedDim: 4, encoderCell: 'gru', encoderUnits: 5, bidirectional: false,
      attention: 'bahdanau', seed: 6 }],
  ];
  for (const [label, cfg] of configs) {
    it(`${label}: step-by-step decoding reproduces the teacher-forced training model`, () => {
      const models = buildSeq2Seq(cfg);
      const srcIds = [[3, 4, 5, 6], [7, 8]];
      const tgtIn = tf.tensor2d([[1, 3, 4, 5], [1, 6, 7, 8]], [2, 4], 'int32');
      const expected = models.train.predict([padded(srcIds), tgtIn]) as tf.Tensor3D;
      expect(expected.shape).toEqual([2, 4, cfg.tgtVocab]);

      const stepFn = seq2seqStepFunction(models);
      let states = encodeForDecoding(models, srcIds);
      // [...decoderStates, encoderOutputs, srcMask] and, for Bahdanau, the attention keys [B, S, decoderUnits].
      const keyed = cfg.attention === 'bahdanau';
      expect(models.contextCount).toBe(keyed ? 3 : 2);
      expect(states.length).toBe(models.decoderStateCount + models.contextCount);
      const [encoderOutputs, srcMask, keys] = states.slice(models.decoderStateCount);
      expect(encoderOutputs.shape).toEqual([2, 4, cfg.encoderUnits * (cfg.bidirectional ? 2 : 1)]);
      expect(Array.from(srcMask.dataSync())).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
      if (keyed) expect(keys.shape).toEqual([2, 4, models.decoderStep.getLayer('attention').getWeights()[0].shape[1]]);
      const tokens = tgtIn.arraySync() as number[][];
      for (let t = 0; t < 4; t++) {
        const out = stepFn.step(Int32Array.from(tokens.map((row) => row[t])), states);
        const want = tf.log(expected.slice([0, t, 0], [2, 1, cfg.tgtVocab]).reshape([2, cfg.tgtVocab]));
        expect(tf.max(tf.abs(tf.sub(out.logProbs, want))).dataSync()[0]).toBeLessThan(1e-5);
        // Attention rows are distributions over the real source tokens only.
        const attention = out.extras!.arraySync() as number[][];
        expect(attention[1][2]).toBeLessThan(1e-30); // 0 up to float32 denormals of a vectorized exp
        attention.forEach((row) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5));
        states = out.states;
      }
    });
  }

  it('beam search copies the encoder context once per search, with the hypotheses of gathering it every step', () => {
    const models = buildSeq2Seq(configs[1][1]);
    const stepFn = seq2seqStepFunction(models);
    const contexts: tf.Tensor[][] = [];
    const recording: StepFunction = {
      step: (tokens, states) => (contexts.push(states.slice(models.decoderStateCount)), stepFn.step(tokens, states)),
      selectRows: (states, rows) => stepFn.selectRows!(states, rows),
    };
    // The same step without selectRows: beam search gathers every state tensor at every step.
    const gathering: StepFunction = { step: (tokens, states) => stepFn.step(tokens, states) };
    for (const sources of [[[3, 4, 5, 6]], [[3, 4, 5, 6], [7, 8], [9, 10, 3]]]) {
      const states = encodeForDecoding(models, sources);
      const opts = { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 6, minLen: 6, lengthPenalty: 0.6 };
      const before = tf.memory().numTensors;
      contexts.length = 0;
      const reused = beamSearchBatch(recording, states, opts);
      expect(tf.memory().numTensors).toBe(before);
      expect(reused).toEqual(beamSearchBatch(gathering, states, opts));
      // Step 1 reads the caller's context (one row per source), step 2 a copy with a row per beam; later steps the same copy.
      expect(contexts.length).toBe(6);
      contexts[1].forEach((t, i) => {
        expect(t).not.toBe(contexts[0][i]);
        expect(t.shape[0]).toBe(3 * sources.length);
        for (const later of contexts.slice(2)) expect(later[i]).toBe(t);
      });
      tf.dispose(states);
    }
  });

  it('shares weights between train, encoder and decoderStep', () => {
    const models = buildSeq2Seq(configs[0][1]);
    const trainWeights = new Set(models.train.weights.map((w) => w.name));
    for (const m of [models.encoder, models.decoderStep]) {
      for (const w of m.weights) expect(trainWeights.has(w.name)).toBe(true);
    }
    expect(models.encoder.weights.length + models.decoderStep.weights.length).toBeGreaterThanOrEqual(models.train.weights.length);
  });

  it('does not leak tensors across 20 training steps and 100 decoding steps', () => {
    setSeed(8);
    const random = rng();
    const models = buildSeq2Seq({ ...base, encoderCell: 'lstm', encoderUnits: 8, bidirectional: true, attention: 'bahdanau', dropout: 0.1 });
    const optimizer = tf.train.adam(0.01);
    trainSteps(models, optimizer, 1, random); // creates Adam's slot variables
    const beforeTraining = tf.memory().numTensors;
    trainSteps(models, optimizer, 20, random);
    expect(tf.memory().numTensors).toBe(beforeTraining);

    const stepFn = seq2seqStepFunction(models);
    const init = encodeForDecoding(models, [[3, 4, 5], [6, 7, 8, 9]]);
    let states = init;
    let tokens = Int32Array.from([BOS, BOS]);
    const first = stepFn.step(tokens, states); // warm-up (first predict builds per-model caches)
    tf.dispose([first.logProbs, first.extras!, ...first.states.slice(0, models.decoderStateCount)]);
    const beforeDecoding = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const out = stepFn.step(tokens, states);
      tokens = Int32Array.from(tf.tidy(() => tf.argMax(out.logProbs, -1).dataSync()));
      // Replace the carried states; encoder outputs and mask pass through unchanged.
      if (states !== init) tf.dispose(states.slice(0, models.decoderStateCount));
      tf.dispose([out.logProbs, out.extras!]);
      states = out.states;
    }
    tf.dispose(states.slice(0, models.decoderStateCount));
    expect(tf.memory().numTensors).toBe(beforeDecoding);
    tf.dispose(init);
    optimizer.dispose();
  });

  it('rejects bad configurations and inputs with clear errors', () => {
    const ok: Seq2SeqConfig = { srcVocab: 10, tgtVocab: 10, embedDim: 4, encoderCell: 'gru', encoderUnits: 4, bidirectional: false, attention: 'dot' };
    expect(() => buildSeq2Seq({ ...ok, srcVocab: 0 })).toThrow(/Seq2SeqConfig.srcVocab must be a positive integer, got 0/);
    expect(() => buildSeq2Seq({ ...ok, encoderCell: 'rnn' as 'gru' })).toThrow(/encoderCell must be one of lstm, gru, simple/);
    expect(() => buildSeq2Seq({ ...ok, attention: 'cosine' as 'dot' })).toThrow(/attention must be 'bahdanau', 'dot' or 'general'/);
    expect(() => buildSeq2Seq({ ...ok, decoderUnits: 6 })).toThrow(/dot attention needs decoderUnits \(6\) equal to the encoder output size \(4\)/);
    expect(() => buildSeq2Seq({ ...ok, sharedEmbedding: true, tgtVocab: 12 })).toThrow(/sharedEmbedding needs srcVocab === tgtVocab/);
    expect(() => buildSeq2Seq({ ...ok, dropout: 1.5 })).toThrow(/dropout must be in \[0, 1\)/);
    const models = buildSeq2Seq(ok);
    expect(() => encodeForDecoding(models, [[3, 4], []])).toThrow(/source row 1 is empty/);
    expect(() => encodeForDecoding(models, [[3, 10]])).toThrow(/source row 0, position 1: id 10 is outside \[1, 9\]/);
    const states = encodeForDecoding(models, [[3, 4]]);
    expect(() => seq2seqStepFunction(models).step(Int32Array.from([1]), states.slice(1))).toThrow(/expected 3 states/);
    expect(() => seq2seqStepFunction(models).step(Int32Array.from([1, 1]), states)).toThrow(/2 tokens for a batch of 1/);
  });
});

describe('teacherForcingBatch', () => {
  it('pads each side to its own longest row, shifts the target right and masks padding', () => {
    const batch = teacherForcingBatch([[5, 6, 7], [8]], [[9], [10, 11]]);
    const [src, tgtIn] = batch.xs as tf.Tensor[];
    // core's vocabulary ids: BOS 2, EOS 3 (this file's toy ids differ).
    expect(src.arraySync()).toEqual([[5, 6, 7], [8, 0, 0]]);
    expect(tgtIn.arraySync()).toEqual([[2, 9, 0], [2, 10, 11]]);
    expect((batch.ys as tf.Tensor).arraySync()).toEqual([[9, 3, 0], [10, 11, 3]]);
    expect(batch.weights!.arraySync()).toEqual([[1, 1, 0], [1, 1, 1]]);
    expect(batch.size).toBe(2);
    tf.dispose([src, tgtIn, batch.ys as tf.Tensor, batch.weights!]);
    expect(() => teacherForcingBatch([[1]], [])).toThrow(/1 source rows but 0/);
  });
});
