import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activeFusedKernels, fusedKernelsActive, initBackend, saveModelDir, setSeed, useFusedKernels } from '@rnnkit/core';
import {
  APP_VERSION,
  CharGenerator,
  CharStepFunction,
  buildCharVocab,
  buildStepModel,
  buildTrainingModel,
  encodeText,
  loadTextgenModel,
  streamLoss,
  coldWindowLoss,
  charWindowSource,
  nextCharLoss,
  zeroStates,
  type TextgenModelConfig,
} from '../src/index.js';
import { TINY_TEXT, tempDir } from './fixtures.js';

const vocab = buildCharVocab(TINY_TEXT);
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyModel(cell: 'lstm' | 'gru', seed = 1): { config: TextgenModelConfig; model: tf.LayersModel } {
  setSeed(seed);
  const config: TextgenModelConfig = { vocabSize: vocab.size, embedDim: 6, cell, units: [8, 5], dropout: 0.1 };
  return { config, model: buildTrainingModel(config) };
}

/** Per-position log-probability of `ids[t+1]` under the training model run over the whole sequence at once. */
function fullSequenceLogProbs(model: tf.LayersModel, ids: Int32Array): number[] {
  return tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(ids.subarray(0, -1), [1, ids.length - 1], 'int32')) as tf.Tensor;
    const logProbs = tf.logSoftmax(logits).arraySync() as number[][][];
    return logProbs[0].map((row, t) => row[ids[t + 1]]);
  });
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe.each(['lstm', 'gru'] as const)('%s step model', (cell) => {
  it('fed one char at a time with carried state, matches the training model on the whole sequence', () => {
    const { config, model } = tinyModel(cell);
    const step = buildStepModel(config, model);
    const ids = encodeText(vocab, 'to be or not');
    const expected = fullSequenceLogProbs(model, ids);
    let states: tf.Tensor[] = zeroStates(config, 1);
    const got: number[] = [];
    for (let t = 0; t < ids.length - 1; t++) {
      const [logits, ...next] = step.predict([tf.tensor2d([ids[t]], [1, 1], 'int32'), ...states]) as tf.Tensor[];
      got.push((tf.logSoftmax(logits).arraySync() as number[][][])[0][0][ids[t + 1]]);
      tf.dispose([logits, ...states]);
      states = next;
    }
    tf.dispose(states);
    got.forEach((g, t) => expect(g).toBeCloseTo(expected[t], 5));
  });

  it('streamLoss in chunks and streams equals the loss of one full-sequence pass', () => {
    const { config, model } = tinyModel(cell);
    const step = buildStepModel(config, model);
    const ids = encodeText(vocab, TINY_TEXT.slice(0, 60));
    const expected = -fullSequenceLogProbs(model, ids).reduce((a, b) => a + b, 0) / (ids.length - 1);
    expect(streamLoss(step, config, ids, { streams: 1, chunk: 7 })).toBeCloseTo(expected, 5);
    // Several streams with warm-up as long as the text: every prediction still sees its whole history.
    expect(streamLoss(step, config, ids, { streams: 4, chunk: 5, warmup: 60 })).toBeCloseTo(expected, 5);
    // Without warm-up the streams lose context, so the figure changes (the test would catch a warm-up bug).
    expect(streamLoss(step, config, ids, { streams: 4, chunk: 5, warmup: 0 })).not.toBeCloseTo(expected, 5);
  });

  it('coldWindowLoss is the mean over whole windows, each read from the zero state; the tail that fills no window is not scored', () => {
    const { config, model } = tinyModel(cell);
    const step = buildStepModel(config, model);
    const ids = encodeText(vocab, TINY_TEXT.slice(0, 40)); // 39 targets: 4 windows of 9, 3 left over
    const perWindow = [0, 1, 2, 3].map((w) => fullSequenceLogProbs(model, ids.subarray(w * 9, w * 9 + 10)));
    const expected = -perWindow.flat().reduce((a, b) => a + b, 0) / 36;
    const before = tf.memory().numTensors;
    expect(coldWindowLoss(step, config, ids, 9, 3)).toBeCloseTo(expected, 5);
    expect(tf.memory().numTensors).toBe(before);
    // Carrying the state across windows would change the figure (the test catches a missing reset).
    expect(streamLoss(step, config, ids.subarray(0, 37), { streams: 1 })).not.toBeCloseTo(expected, 5);
    expect(() => coldWindowLoss(step, config, ids.subarray(0, 9), 9)).toThrow(/at least 10 characters/);
  });

  it('with --seq-len equal to the window, the validation loss train() watches is the cold-window figure', () => {
    const { config, model } = tinyModel(cell);
    const step = buildStepModel(config, model);
    const ids = encodeText(vocab, TINY_TEXT.slice(0, 40));
    // train() scores each validation batch with nextCharLoss (a mean) and weights it by its size.
    let sum = 0;
    let windows = 0;
    for (const b of charWindowSource(ids, { seqLen: 9, batchSize: 3, shuffle: false }).batches(0)) {
      const [xs, ys] = [b.xs as tf.Tensor, b.ys as tf.Tensor];
      sum += tf.tidy(() => nextCharLoss(ys, model.predict(xs) as tf.Tensor).dataSync()[0]) * b.size;
      windows += b.size;
      tf.dispose([xs, ys]);
    }
    expect(windows).toBe(4);
    expect(sum / windows).toBeCloseTo(coldWindowLoss(step, config, ids, 9, 3), 5);
  });
});

describe('CharGenerator', () => {
  it('on the generic path, reads the prime in one call, then calls the step model once per generated char, one timestep each: O(length)', () => {
    // The fused native step, when active, replaces the step model's per-char calls (next test); this checks the model path.
    const fused = activeFusedKernels();
    useFusedKernels(null);
    try {
      const { config, model } = tinyModel('lstm');
      const step = buildStepModel(config, model);
      // Every run of the step model starts with its embedding layer, which sees the token ids [1, T].
      const embed = vi.spyOn(step.getLayer('embedding'), 'call');
      const text = new CharGenerator(step, config, vocab).generate('to be', { length: 40, temperature: 1 });
      expect(text.length).toBe(40);
      // The prime but its last char in one call; core's decoding loop then feeds the last prime char and 39 generated ones.
      expect(embed).toHaveBeenCalledTimes(41);
      const timesteps = embed.mock.calls.map(([inputs]) => ([inputs].flat() as tf.Tensor[])[0].shape[1]);
      expect(timesteps).toEqual([4, ...new Array(40).fill(1)]);
    } finally {
      useFusedKernels(fused);
    }
  });

  it('generates the same text through the fused native step as through the step model', () => {
    const { config, model } = tinyModel('lstm');
    const step = buildStepModel(config, model);
    const generate = () => {
      setSeed(9);
      return new CharGenerator(step, config, vocab).generate('to be', { length: 80, temperature: 1 });
    };
    const fused = activeFusedKernels();
    useFusedKernels(null);
    let viaModel: string;
    try {
      viaModel = generate();
    } finally {
      useFusedKernels(fused);
    }
    // With @rnnkit/native active (CI builds it) the generator takes the fused step.
    if (fusedKernelsActive()) expect(new CharGenerator(step, config, vocab).stepFn).not.toBeInstanceOf(CharStepFunction);
    expect(generate()).toBe(viaModel);
  });

  it('uses only vocabulary characters, is reproducible for a seed, and leaks no tensors across steps', () => {
    const { config, model } = tinyModel('gru');
    const step = buildStepModel(config, model);
    const generator = new CharGenerator(step, config, vocab);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    setSeed(5);
    const a = generator.generate('be', { length: 60, temperature: 1.2, onChar: () => counts.push(tf.memory().numTensors) });
    expect(tf.memory().numTensors).toBe(before);
    expect(new Set(counts).size).toBe(1);
    expect(vocab.unknownTokens([...a])).toEqual([]);
    setSeed(5);
    expect(generator.generate('be', { length: 60, temperature: 1.2 })).toBe(a);
    setSeed(6);
    expect(generator.generate('be', { length: 60, temperature: 1.2 })).not.toBe(a);
    // top-k 1 is greedy: the same text whatever the seed.
    setSeed(1);
    const greedy = generator.generate('be', { length: 30, topK: 1 });
    setSeed(2);
    expect(generator.generate('be', { length: 30, topK: 1 })).toBe(greedy);
  });

  it('names the priming characters the vocabulary lacks', () => {
    const { config, model } = tinyModel('gru');
    const generator = new CharGenerator(buildStepModel(config, model), config, vocab);
    expect(() => generator.generate('ROMEO: to be', { length: 5 })).toThrow(
      `input: field "text" contains characters the model's vocabulary lacks: "R", "O", "M", "E", ":"`,
    );
    expect(() => generator.generate('', { length: 5 })).toThrow('the priming text must contain at least one character');
  });
});

describe('saved model', () => {
  it('round-trips through saveModelDir/loadTextgenModel with vocab and config', async () => {
    const { config, model } = tinyModel('lstm');
    const modelDir = `${dir}/roundtrip`;
    await saveModelDir(modelDir, model, { app: { name: 'textgen', version: APP_VERSION }, extras: { model: config, vocab: vocab.toJSON(), data: 'x.txt' } });
    const loaded = await loadTextgenModel(modelDir);
    expect(loaded.config).toEqual(config);
    expect(loaded.vocab.toJSON()).toEqual(vocab.toJSON());
    const originalGenerator = new CharGenerator(buildStepModel(config, model), config, vocab);
    setSeed(3);
    const original = originalGenerator.generate('to', { length: 30 });
    setSeed(3);
    expect(new CharGenerator(loaded.stepModel, loaded.config, loaded.vocab).generate('to', { length: 30 })).toBe(original);
  });

  it('names the field when the saved config is broken', async () => {
    const { config, model } = tinyModel('gru');
    const modelDir = `${dir}/broken`;
    await saveModelDir(modelDir, model, {
      app: { name: 'textgen', version: APP_VERSION },
      extras: { model: { ...config, cell: 'rnn' }, vocab: vocab.toJSON(), data: 'x.txt' },
    });
    await expect(loadTextgenModel(modelDir)).rejects.toThrow(`${modelDir}/rnnkit.json (extras): field "model.cell": Invalid option: expected one of "lstm"|"gru"|"simple" (got "rnn")`);
  });

  it("refuses another app's model with the shared error", async () => {
    const { model } = tinyModel('gru');
    const modelDir = `${dir}/other-app`;
    await saveModelDir(modelDir, model, { app: { name: 'chatbot', version: '0.2.0' } });
    await expect(loadTextgenModel(modelDir)).rejects.toThrow(`${modelDir}: holds a chatbot model (use rnnkit-chatbot), not a textgen model`);
  });
});
