import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { seededRng } from '../src/random.js';
import { buildSeq2Seq, disposeSeq2Seq, encodeForDecoding, seq2seqStepFunction, type Seq2SeqModels } from '../src/seq2seq.js';
import { decode } from '../src/decode/strategy.js';
import { SharedDecoder, decodeShared, stackStates, type RowOutcome, type SharedRowOptions } from '../src/decode/shared.js';
import type { DecodeResult } from '../src/decode/step.js';
import { BOS as LM_BOS, bigramLM, initStates } from './decode-fixtures.js';

/**
 * SharedDecoder: requests that share decoding steps (joining and leaving the batch on their own) get exactly the
 * tokens each gets decoded alone; source contexts of different lengths are padded; nothing leaks.
 */

const [BOS, EOS] = [1, 2];
const VOCAB = 17;
let models: Seq2SeqModels;

beforeAll(async () => {
  await initBackend({ quiet: true });
  // An untrained network with large random weights: its distributions are far from uniform, so the greedy choices
  // depend on every input (a wrong row or a misread padding would change them).
  models = buildSeq2Seq({ srcVocab: VOCAB, tgtVocab: VOCAB, embedDim: 8, encoderCell: 'gru', encoderUnits: 8, bidirectional: true, attention: 'bahdanau', seed: 3 });
  models.train.setWeights(models.train.getWeights().map((w, i) => tf.tidy(() => tf.randomNormal(w.shape, 0, 1.5, 'float32', 100 + i))));
});

afterAll(() => disposeSeq2Seq(models));

const SOURCES = [[3, 4, 5], [6, 7, 8, 9, 10, 11, 12], [13], [14, 15, 16, 3, 4], [5, 5, 5, 5]];

type Opts = Omit<SharedRowOptions, 'rng'> & { seed?: number };

function alone(src: number[], o: Opts): DecodeResult {
  const states = encodeForDecoding(models, [src]);
  try {
    return decode(seq2seqStepFunction(models), states, { ...o, ...(o.seed !== undefined ? { rng: seededRng(o.seed) } : {}) })[0];
  } finally {
    tf.dispose(states);
  }
}

function row(src: number[], o: Opts) {
  return { states: encodeForDecoding(models, [src]), opts: { ...o, ...(o.seed !== undefined ? { rng: seededRng(o.seed) } : {}) } };
}

function expectSame(shared: DecodeResult, single: DecodeResult) {
  expect(shared.tokens).toEqual(single.tokens);
  expect(shared.finished).toBe(single.finished);
  expect(shared.logProb).toBeCloseTo(single.logProb, 4);
  expect(shared.extras?.length).toBe(single.extras?.length);
}

const greedy = (maxLen: number, extra: Partial<Opts> = {}): Opts => ({ strategy: 'greedy', bos: BOS, eos: EOS, maxLen, ...extra });

describe('SharedDecoder', () => {
  it('gives each greedy row of a shared batch the tokens it gets alone (different sources, lengths and options)', () => {
    const opts = [greedy(6), greedy(12, { minLen: 4 }), greedy(3), greedy(9, { noRepeatNgram: 2 }), greedy(12, { bannedTokens: [0, 3] })];
    const before = tf.memory().numTensors;
    const stepFn = seq2seqStepFunction(models);
    const results = decodeShared(stepFn, SOURCES.map((s, i) => row(s, opts[i])));
    expect(tf.memory().numTensors).toBe(before);
    const single = SOURCES.map((s, i) => alone(s, opts[i]));
    results.forEach((r, i) => expectSame(r, single[i]));
    // The rows differ, and not every row ran as long as the longest: they left the batch as they finished.
    expect(new Set(results.map((r) => r.tokens.join()))).toHaveProperty('size', SOURCES.length);
    expect(results[2].tokens.length).toBeLessThanOrEqual(3);
  });

  it('gives each sampled row the tokens of the same request and seed alone, next to greedy rows', () => {
    const opts: Opts[] = SOURCES.map((_, i) => (i % 2 === 0 ? { strategy: 'sample', bos: BOS, eos: EOS, maxLen: 10, temperature: 0.9 + i / 10, seed: 40 + i, topK: i === 4 ? 5 : undefined } : greedy(10)));
    const results = decodeShared(seq2seqStepFunction(models), SOURCES.map((s, i) => row(s, opts[i])));
    results.forEach((r, i) => expectSame(r, alone(SOURCES[i], opts[i])));
  });

  it('lets rows join a running batch at a step boundary, with the same tokens as alone', () => {
    const decoder = new SharedDecoder(seq2seqStepFunction(models));
    const outcomes: RowOutcome[] = [];
    const opts = [greedy(12), greedy(8), { strategy: 'sample', bos: BOS, eos: EOS, maxLen: 8, seed: 9 } as Opts];
    const before = tf.memory().numTensors;
    decoder.add(row(SOURCES[1], opts[0]), (o) => (outcomes[0] = o));
    decoder.step();
    decoder.step();
    decoder.add(row(SOURCES[0], opts[1]), (o) => (outcomes[1] = o));
    decoder.step();
    decoder.add(row(SOURCES[3], opts[2]), (o) => (outcomes[2] = o));
    let steps = 3;
    while (decoder.size > 0) {
      decoder.step();
      steps++;
    }
    expect(tf.memory().numTensors).toBe(before);
    outcomes.forEach((o, i) => {
      expect(o.ok).toBe(true);
      if (o.ok) expectSame(o.result, alone([SOURCES[1], SOURCES[0], SOURCES[3]][i], opts[i]));
    });
    expect(steps).toBeLessThan(12 + 8 + 8);
  });

  it('feeds a multi-token prompt before generating (rows in their prompt and others generating share a step)', () => {
    const lm = bigramLM();
    const opts = (prompt: number[], maxLen: number) => ({ strategy: 'greedy' as const, prompt, eos: 1, maxLen });
    const single = (prompt: number[], maxLen: number) => {
      const states = initStates(1);
      const [r] = decode(lm, states, opts(prompt, maxLen));
      tf.dispose(states);
      return r;
    };
    const rows = [[LM_BOS], [LM_BOS, 2, 3, 2], [3, 2]].map((p, i) => ({ states: initStates(1), opts: opts(p, 4 + i) }));
    const results = decodeShared(lm, rows);
    results.forEach((r, i) => expect(r).toEqual(single(rows[i].opts.prompt, rows[i].opts.maxLen)));
    lm.dispose();
  });

  it("reads only a row's own columns when it has a vocabSize (an extended vocabulary as wide as the widest row's)", () => {
    // After every token, the last column (id 4) is the most likely; a row whose vocabulary has 4 ids never sees it.
    const lm = bigramLM([[0, 0, 0.3, 0.1, 0.6], [0, 1, 0, 0, 0], [0, 0.1, 0.2, 0.1, 0.6], [0, 0.1, 0.1, 0.2, 0.6], [0, 0.1, 0.1, 0.2, 0.6]]);
    const rows = [5, 4].map((vocabSize) => ({ states: initStates(1), opts: { strategy: 'greedy' as const, bos: LM_BOS, eos: 1, maxLen: 3, vocabSize } }));
    const [wide, narrow] = decodeShared(lm, rows);
    expect(wide.tokens).toEqual([4, 4, 4]);
    expect(narrow.tokens).toEqual([2, 2, 2]);
    lm.dispose();
  });

  it('ends a row whose onToken throws or that is cancelled, with its error; the others finish', () => {
    const decoder = new SharedDecoder(seq2seqStepFunction(models));
    const outcomes: RowOutcome[] = [];
    const before = tf.memory().numTensors;
    let seen = 0;
    decoder.add(row(SOURCES[0], greedy(10, { minLen: 10, onToken: () => { if (++seen === 3) throw new Error('client gone'); } })), (o) => (outcomes[0] = o));
    const second = decoder.add(row(SOURCES[1], greedy(10, { minLen: 10 })), (o) => (outcomes[1] = o));
    decoder.add(row(SOURCES[2], greedy(10, { minLen: 10 })), (o) => (outcomes[2] = o));
    decoder.step();
    second.cancel(new Error('timed out'));
    while (decoder.size > 0) decoder.step();
    expect(outcomes[0]).toMatchObject({ ok: false, error: new Error('client gone') });
    expect(outcomes[1]).toMatchObject({ ok: false, error: new Error('timed out') });
    expect(outcomes[2].ok && outcomes[2].result.tokens).toEqual(alone(SOURCES[2], greedy(10, { minLen: 10 })).tokens);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a row with a batch of states or invalid options, disposing its states', () => {
    const decoder = new SharedDecoder(seq2seqStepFunction(models));
    const before = tf.memory().numTensors;
    expect(() => decoder.add({ states: encodeForDecoding(models, [[3], [4]]), opts: greedy(3) }, () => {})).toThrow(/batch 1/);
    expect(() => decoder.add({ states: encodeForDecoding(models, [[3]]), opts: greedy(0) }, () => {})).toThrow(/maxLen/);
    expect(() => decoder.add({ states: encodeForDecoding(models, [[3]]), opts: { ...greedy(3), strategy: 'beam' as 'greedy' } }, () => {})).toThrow(/greedy or sample/);
    expect(decoder.size).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dispose ends every row with the error and frees the states', () => {
    const decoder = new SharedDecoder(seq2seqStepFunction(models));
    const before = tf.memory().numTensors;
    const outcomes: RowOutcome[] = [];
    decoder.add(row(SOURCES[0], greedy(10)), (o) => outcomes.push(o));
    decoder.step();
    decoder.add(row(SOURCES[1], greedy(10)), (o) => outcomes.push(o));
    decoder.dispose(new Error('closing'));
    expect(outcomes).toEqual([{ ok: false, error: new Error('closing') }, { ok: false, error: new Error('closing') }]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stackStates pads a sequence axis with zeros and refuses other shape differences', () => {
    const [a, b] = stackStates([[tf.ones([1, 2]), tf.ones([1, 2, 3])], [tf.ones([1, 4]), tf.ones([1, 1, 3])]]);
    expect(a.arraySync()).toEqual([[1, 1, 0, 0], [1, 1, 1, 1]]);
    expect(b.shape).toEqual([2, 2, 3]);
    expect((b.arraySync() as number[][][])[1][1]).toEqual([0, 0, 0]);
    expect(() => stackStates([[tf.ones([1, 2, 3])], [tf.ones([1, 2, 4])]])).toThrow(/state 0 has shape/);
  });
});
