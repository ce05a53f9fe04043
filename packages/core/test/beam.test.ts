import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { beamSearch, greedyDecode } from '../src/decode/index.js';
import { A, B, BOS, EOS, bigramLM, enumerate, initStates } from './decode-fixtures.js';

const ln = Math.log;
const gnmt = (len: number, alpha: number) => ((5 + len) / 6) ** alpha;

describe('beamSearch', () => {
  it('finds the hand-computed best sentences with width 2', () => {
    // Step 1: A .6, B .4. Step 2: "B EOS" .36 finishes; "A A" .24 and "A B" .21 live on.
    // Step 3: "A B EOS" .189 finishes; both finished beat every live beam (<= .096), so the search stops.
    const lm = bigramLM();
    const init = initStates();
    const hyps = beamSearch(lm, init, { beamWidth: 2, bos: BOS, eos: EOS, maxLen: 10 });
    expect(hyps.map((h) => h.tokens)).toEqual([[B], [A, B]]);
    expect(hyps[0].score).toBeCloseTo(ln(0.36), 5);
    expect(hyps[1].score).toBeCloseTo(ln(0.189), 5);
    expect(hyps.every((h) => h.finished)).toBe(true);
    expect(lm.memory.length).toBe(3);
    // Extras follow their hypothesis through the reordering: inputs were BOS, A, B for "A B EOS".
    expect(hyps[1].extras?.map((e) => e.indexOf(1))).toEqual([BOS, A, B]);
    tf.dispose(init);
    lm.dispose();
  });

  it('width 1 equals greedy, also with minLen and noRepeatNgram', () => {
    const lm = bigramLM();
    const init = initStates();
    for (const opts of [
      { bos: BOS, eos: EOS, maxLen: 6 },
      { bos: BOS, eos: EOS, maxLen: 10, noRepeatNgram: 2 },
      { prompt: [BOS, B], eos: EOS, maxLen: 5, minLen: 2 },
    ]) {
      const g = greedyDecode(lm, init, opts);
      const [b] = beamSearch(lm, init, { ...opts, beamWidth: 1 });
      expect(b.tokens).toEqual(g.tokens);
      expect(b.logProb).toBeCloseTo(g.logProb, 5);
      expect(b.finished).toBe(g.finished);
      expect(b.extras).toEqual(g.extras);
    }
    tf.dispose(init);
    lm.dispose();
  });

  it('a beam wider than the search space returns the brute-force optimum, with and without GNMT length penalty', () => {
    const lm = bigramLM();
    const init = initStates();
    const maxLen = 4;
    for (const alpha of [0, 4]) {
      const all = enumerate(maxLen).map((h) => ({ ...h, score: h.logProb / gnmt(h.finished ? h.tokens.length + 1 : h.tokens.length, alpha) }));
      all.sort((x, y) => y.score - x.score);
      const hyps = beamSearch(lm, init, { beamWidth: 16, bos: BOS, eos: EOS, maxLen, lengthPenalty: alpha, numReturn: 3 });
      expect(hyps.map((h) => h.tokens)).toEqual(all.slice(0, 3).map((h) => h.tokens));
      hyps.forEach((h, i) => expect(h.score).toBeCloseTo(all[i].score, 5));
    }
    // By hand: with alpha 4, "A A B EOS" (.0756, 4 tokens) outranks "B EOS" (.36, 2 tokens).
    const [best] = beamSearch(lm, init, { beamWidth: 16, bos: BOS, eos: EOS, maxLen, lengthPenalty: 4 });
    expect(best.tokens).toEqual([A, A, B]);
    expect(best.score).toBeCloseTo(ln(0.6 * 0.4 * 0.35 * 0.9) / gnmt(4, 4), 5);
    tf.dispose(init);
    lm.dispose();
  });

  it('blocks repeated n-grams and early EOS', () => {
    const lm = bigramLM();
    const init = initStates();
    const [h] = beamSearch(lm, init, { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 6, minLen: 2 });
    expect(h.tokens.length).toBeGreaterThanOrEqual(2);
    expect(h.tokens).toEqual([A, B]); // best complete sentence of >= 2 tokens before EOS: .6 * .35 * .9
    const hyps = beamSearch(lm, init, { beamWidth: 4, bos: BOS, eos: EOS, maxLen: 8, noRepeatNgram: 2 });
    for (const hyp of hyps) {
      const grams = hyp.tokens.slice(1).map((t, i) => `${hyp.tokens[i]},${t}`);
      expect(new Set(grams).size).toBe(grams.length);
    }
    tf.dispose(init);
    lm.dispose();
  });

  it('keeps the tensor count flat across 100 steps', () => {
    const lm = bigramLM([
      [0, 0, 0.5, 0.5],
      [0, 1, 0, 0],
      [0, 0, 0.5, 0.5],
      [0, 0, 0.5, 0.5],
    ]);
    const init = initStates();
    const before = tf.memory().numTensors;
    const hyps = beamSearch(lm, init, { beamWidth: 3, bos: BOS, eos: EOS, maxLen: 100 });
    expect(hyps[0].tokens.length).toBe(100);
    expect(lm.memory.length).toBe(100);
    expect(new Set(lm.memory.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(init);
    lm.dispose();
  });

  it('rejects bad options', () => {
    const lm = bigramLM();
    expect(() => beamSearch(lm, initStates(), { beamWidth: 0, bos: BOS, maxLen: 3 })).toThrow(/beamWidth/);
    expect(() => beamSearch(lm, initStates(2), { beamWidth: 2, bos: BOS, maxLen: 3 })).toThrow(/batch 1/);
    lm.dispose();
  });
});
