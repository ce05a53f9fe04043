import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { greedyDecode, greedyDecodeBatch, sampleDecode, sampleNext } from '../src/decode/index.js';
import { A, B, BOS, EOS, bigramLM, initStates } from './decode-fixtures.js';

const ln = Math.log;

describe('sampleNext', () => {
  const row = [0.5, 0.3, 0.2].map(ln);
  const freq = (opts: Parameters<typeof sampleNext>[1], n = 4000) => {
    const rng = seedrandom.alea('s');
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[sampleNext(row, opts, rng)]++;
    return counts.map((c) => c / n);
  };

  it('temperature 0 and topK 1 are argmax', () => {
    expect(sampleNext(row, { temperature: 0 }, () => 0.99)).toBe(0);
    expect(freq({ topK: 1 }, 200)).toEqual([1, 0, 0]);
  });

  it('samples in proportion to the probabilities at temperature 1', () => {
    const f = freq({});
    f.forEach((p, i) => expect(p).toBeCloseTo([0.5, 0.3, 0.2][i], 1));
  });

  it('top-p keeps the smallest nucleus reaching p and renormalizes', () => {
    const f = freq({ topP: 0.7 });
    expect(f[2]).toBe(0);
    expect(f[0]).toBeCloseTo(0.5 / 0.8, 1);
  });

  it('top-k renormalizes over the k best; high temperature flattens', () => {
    const f = freq({ topK: 2 });
    expect(f[2]).toBe(0);
    expect(f[1]).toBeCloseTo(0.3 / 0.8, 1);
    const hot = freq({ temperature: 100 });
    hot.forEach((p) => expect(p).toBeCloseTo(1 / 3, 1));
  });

  it('rejects bad options', () => {
    expect(() => sampleNext(row, { temperature: -1 }, Math.random)).toThrow(/temperature/);
    expect(() => sampleNext(row, { topK: 0 }, Math.random)).toThrow(/topK/);
    expect(() => sampleNext(row, { topP: 1.5 }, Math.random)).toThrow(/topP/);
    expect(() => sampleNext([-Infinity], {}, Math.random)).toThrow(/probability 0/);
  });

  it('never draws a token of probability 0, whatever the random number', () => {
    for (const u of [0, 0.5, 0.999999]) {
      expect(sampleNext([-Infinity, -2, -Infinity, -1, -Infinity], {}, () => u)).not.toSatisfy((id: number) => id % 2 === 0);
    }
  });
});

describe('greedyDecode', () => {
  it('follows the most likely token until maxLen, reporting extras per token', () => {
    const lm = bigramLM();
    const init = initStates();
    const r = greedyDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 4 });
    expect(r.tokens).toEqual([A, A, A, A]);
    expect(r.finished).toBe(false);
    expect(r.logProb).toBeCloseTo(ln(0.6 * 0.4 ** 3), 5);
    // extras are one-hot inputs: BOS, then A three times.
    expect(r.extras?.map((e) => e.indexOf(1))).toEqual([BOS, A, A, A]);
    expect(init.every((t) => !t.isDisposed)).toBe(true); // caller's states are left alone
    tf.dispose(init);
    lm.dispose();
  });

  it('stops at EOS and honours noRepeatNgram and minLen', () => {
    const lm = bigramLM();
    const init = initStates();
    // After "A A" the bigram (A, A) may not repeat, so B follows, then EOS (0.9).
    const streamed: number[] = [];
    const r = greedyDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 10, noRepeatNgram: 2, onToken: (t) => streamed.push(t) });
    expect(r.tokens).toEqual([A, A, B]);
    expect(streamed).toEqual([A, A, B]);
    expect(r.finished).toBe(true);
    expect(r.logProb).toBeCloseTo(ln(0.6 * 0.4 * 0.35 * 0.9), 5);
    // A prompt is fed first; generation continues after it. From B, EOS is best but minLen forbids it at first.
    const p = greedyDecode(lm, init, { prompt: [BOS, B], eos: EOS, maxLen: 3, minLen: 1 });
    expect(p.tokens[0]).toBe(A);
    // Banning A leaves B, then EOS.
    expect(greedyDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 5, bannedTokens: [A] }).tokens).toEqual([B]);
    tf.dispose(init);
    lm.dispose();
  });

  it('decodes a batch with the same result per row', () => {
    const lm = bigramLM();
    const init = initStates(3);
    const rs = greedyDecodeBatch(lm, init, { bos: BOS, eos: EOS, maxLen: 10, noRepeatNgram: 2 });
    expect(rs.map((r) => r.tokens)).toEqual([[A, A, B], [A, A, B], [A, A, B]]);
    tf.dispose(init);
    lm.dispose();
  });

  it('rejects bad options', () => {
    const lm = bigramLM();
    expect(() => greedyDecode(lm, [], { eos: EOS, maxLen: 3 })).toThrow(/bos token or a non-empty prompt/);
    expect(() => greedyDecode(lm, [], { bos: BOS, maxLen: 0 })).toThrow(/maxLen/);
    expect(() => greedyDecode(lm, initStates(2), { bos: BOS, maxLen: 2 })).toThrow(/batch 2, expected 1/);
    lm.dispose();
  });
});

describe('sampleDecode', () => {
  it('is reproducible from the seed and equals greedy at temperature 0', () => {
    const lm = bigramLM();
    const init = initStates();
    const opts = { bos: BOS, eos: EOS, maxLen: 20 };
    const a = sampleDecode(lm, init, opts, seedrandom.alea('x'));
    const b = sampleDecode(lm, init, opts, seedrandom.alea('x'));
    expect(a).toEqual(b);
    expect(a.finished || a.tokens.length === 20).toBe(true);
    expect(sampleDecode(lm, init, { ...opts, maxLen: 5, temperature: 0 }, seedrandom.alea('y')).tokens).toEqual(
      greedyDecode(lm, init, { ...opts, maxLen: 5 }).tokens,
    );
    tf.dispose(init);
    lm.dispose();
  });
});

describe('decoding memory', () => {
  it('does not grow the tensor count across 100 greedy/sampling steps', () => {
    const lm = bigramLM();
    const init = initStates();
    const before = tf.memory().numTensors;
    greedyDecode(lm, init, { bos: BOS, maxLen: 100 });
    sampleDecode(lm, init, { bos: BOS, maxLen: 100 }, seedrandom.alea('m'));
    expect(lm.memory.length).toBe(200);
    // After the first step (which adds the first owned state next to the caller's), the count never changes.
    expect(new Set(lm.memory.slice(1, 100)).size).toBe(1);
    expect(new Set(lm.memory.slice(101)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(init);
    lm.dispose();
  });
});
