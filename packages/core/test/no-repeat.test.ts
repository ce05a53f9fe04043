import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { beamSearch, beamSearchBatch, decode, decodeShared, greedyDecode, greedyDecodeBatch, sampleDecode, type DecodeOptions } from '../src/decode/index.js';
import { seededRng } from '../src/random.js';
import { bigramLM, initStates } from './decode-fixtures.js';

/**
 * noRepeatTokens / repeatableTokens: a generated token may not be generated again unless it is repeatable. The toy
 * language has a content word A that the model loves to repeat, a content word B, and C, a "stop word".
 */
const BOS = 0;
const EOS = 1;
const A = 2;
const B = 3;
const C = 4;
const PROBS = [
  [0, 0, 0.7, 0.2, 0.1], // after BOS
  [0, 1, 0, 0, 0], // after EOS (never used)
  [0, 0.1, 0.5, 0.1, 0.3], // after A: A again is the most likely
  [0, 0.1, 0.5, 0.3, 0.1], // after B
  [0, 0.05, 0.6, 0.1, 0.25], // after C
];
const REPEATABLE = new Set([C]);
const base: DecodeOptions = { bos: BOS, eos: EOS, maxLen: 5, noRepeatTokens: true };

/** Whether a token other than the repeatable ones occurs twice. */
const repeats = (tokens: number[], repeatable: ReadonlySet<number> = new Set()) =>
  tokens.some((t, i) => !repeatable.has(t) && tokens.indexOf(t) !== i);

/** Every sequence of at most maxLen tokens (EOS counted), its log-probability, and whether it ended with EOS. */
function enumerateAll(maxLen: number): { tokens: number[]; logProb: number }[] {
  const out: { tokens: number[]; logProb: number }[] = [];
  const grow = (prev: number, tokens: number[], logProb: number) => {
    PROBS[prev].forEach((p, next) => {
      if (p === 0 || next === BOS) return;
      const lp = logProb + Math.log(p);
      if (next === EOS) out.push({ tokens, logProb: lp });
      else if (tokens.length + 1 === maxLen) out.push({ tokens: [...tokens, next], logProb: lp });
      else grow(next, [...tokens, next], lp);
    });
  };
  grow(BOS, [], 0);
  return out;
}

describe('noRepeatTokens', () => {
  it('greedy: blocks every repeat, or every repeat but the repeatable tokens', () => {
    const lm = bigramLM(PROBS);
    const init = initStates();
    expect(greedyDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 5 }).tokens).toEqual([A, A, A, A, A]);
    // A, then (A blocked) C, then (A, C blocked) B, then only EOS is left.
    const blocked = greedyDecode(lm, init, base);
    expect(blocked.tokens).toEqual([A, C, B]);
    expect(blocked.finished).toBe(true);
    expect(blocked.logProb).toBeCloseTo(Math.log(0.7 * 0.3 * 0.1 * 0.1), 5);
    // C may repeat: after "A C" the model keeps taking C.
    expect(greedyDecode(lm, init, { ...base, repeatableTokens: REPEATABLE }).tokens).toEqual([A, C, C, C, C]);
    // The prompt is not output: A in it does not block A.
    expect(greedyDecode(lm, init, { ...base, prompt: [BOS, A] }).tokens).toEqual([A, C, B]);
    // Batched greedy: each row keeps its own history.
    const init3 = initStates(3);
    expect(greedyDecodeBatch(lm, init3, base).map((r) => r.tokens)).toEqual([[A, C, B], [A, C, B], [A, C, B]]);
    tf.dispose([...init, ...init3]);
    lm.dispose();
  });

  it('beam search: width 1 equals greedy; a wide beam finds the best sequence without repeats', () => {
    const lm = bigramLM(PROBS);
    const init = initStates();
    for (const repeatable of [undefined, REPEATABLE]) {
      const opts = { ...base, ...(repeatable ? { repeatableTokens: repeatable } : {}) };
      const [one] = beamSearch(lm, init, { ...opts, beamWidth: 1 });
      expect(one.tokens).toEqual(greedyDecode(lm, init, opts).tokens);
      // 64 beams keep every live hypothesis of this 3-word language at this length: the search is exhaustive.
      const found = beamSearch(lm, init, { ...opts, beamWidth: 64 });
      for (const h of found) expect(repeats(h.tokens, repeatable)).toBe(false);
      const allowed = enumerateAll(opts.maxLen).filter((s) => !repeats(s.tokens, repeatable));
      const best = allowed.reduce((x, y) => (y.logProb > x.logProb ? y : x));
      expect(found[0].tokens).toEqual(best.tokens);
      expect(found[0].logProb).toBeCloseTo(best.logProb, 5);
      // Without the constraint the same beam returns repeating hypotheses: the constraint is what removed them.
      const free = beamSearch(lm, init, { bos: BOS, eos: EOS, maxLen: 5, beamWidth: 64 });
      expect(free.some((h) => repeats(h.tokens, repeatable))).toBe(true);
      // Batched beam search: each input as searched alone.
      const init2 = initStates(2);
      for (const hyps of beamSearchBatch(lm, init2, { ...opts, beamWidth: 4 })) {
        expect(hyps.map((h) => h.tokens)).toEqual(beamSearch(lm, init, { ...opts, beamWidth: 4 }).map((h) => h.tokens));
      }
      tf.dispose(init2);
    }
    tf.dispose(init);
    lm.dispose();
  });

  it('sampling: no sampled sequence repeats a blocked token; repeatable ones still repeat', () => {
    const lm = bigramLM(PROBS);
    const init = initStates();
    const rng = seededRng(7);
    let repeatedC = 0;
    for (let i = 0; i < 200; i++) {
      const s = sampleDecode(lm, init, { ...base, repeatableTokens: REPEATABLE }, rng);
      expect(repeats(s.tokens, REPEATABLE)).toBe(false);
      if (s.tokens.filter((t) => t === C).length > 1) repeatedC++;
    }
    expect(repeatedC).toBeGreaterThan(0);
    // Without the constraint, sampling repeats A often.
    const free = Array.from({ length: 50 }, () => sampleDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 5 }, rng));
    expect(free.some((s) => repeats(s.tokens))).toBe(true);
    tf.dispose(init);
    lm.dispose();
  });

  it('shared-step decoding gives each row what it gets alone, with its own setting', () => {
    const lm = bigramLM(PROBS);
    const rows = [
      { strategy: 'greedy' as const, ...base },
      { strategy: 'greedy' as const, bos: BOS, eos: EOS, maxLen: 5 },
      { strategy: 'greedy' as const, ...base, repeatableTokens: REPEATABLE },
      { strategy: 'sample' as const, ...base, rng: seededRng(3) },
    ];
    const shared = decodeShared(lm, rows.map((opts) => ({ states: initStates(), opts })));
    const alone = rows.map((opts) => {
      const init = initStates();
      const r = decode(lm, init, { ...opts, rng: opts.strategy === 'sample' ? seededRng(3) : undefined })[0];
      tf.dispose(init);
      return r.tokens;
    });
    expect(shared.map((r) => r.tokens)).toEqual(alone);
    expect(shared.map((r) => r.tokens).slice(0, 3)).toEqual([[A, C, B], [A, A, A, A, A], [A, C, C, C, C]]);
    expect(repeats(shared[3].tokens)).toBe(false);
    lm.dispose();
  });

  it('refuses repeatableTokens without noRepeatTokens', () => {
    const lm = bigramLM(PROBS);
    const init = initStates();
    expect(() => greedyDecode(lm, init, { bos: BOS, eos: EOS, maxLen: 3, repeatableTokens: REPEATABLE })).toThrow(/noRepeatTokens is off/);
    tf.dispose(init);
    lm.dispose();
  });
});
