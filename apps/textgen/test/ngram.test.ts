import { describe, expect, it } from 'vitest';
import { CharNgramModel } from '../src/index.js';

// Hand-checked example, characters a = 0, b = 1, alphabet size V = 2, training text "abab".
//   unigram: C(a) = C(b) = 2, N = 4 → P1(x) = (2 + 1) / (4 + 2) = 1/2
//   bigram histories: "a" → {b: 2} (T = 1), "b" → {a: 1} (T = 1)
//   trigram histories: "ab" → {a: 1}, "ba" → {b: 1}
const a = 0;
const b = 1;
const model = new CharNgramModel([a, b, a, b], 2, 3);

describe('CharNgramModel (Witten-Bell)', () => {
  it('matches hand-computed probabilities', () => {
    // "aab": at t = 1 (a after "a"): P2 = (0 + 1·1/2) / (2 + 1) = 1/6; at t = 2 (b after "a"): (2 + 1/2) / 3 = 5/6.
    // The trigram history "aa" never occurs in training, so P3 falls back to P2.
    expect(model.probabilities([a, a, b], 1)).toEqual([0.5, 1 / 6, 1 / 6].map((p) => expect.closeTo(p, 12)));
    expect(model.probabilities([a, a, b], 2)).toEqual([0.5, 5 / 6, 5 / 6].map((p) => expect.closeTo(p, 12)));
    // "aba" at t = 2 (a after "ab"): P2 = (1 + 1/2) / (1 + 1) = 3/4; P3 = (1 + 1·3/4) / (1 + 1) = 7/8.
    expect(model.probabilities([a, b, a], 2)).toEqual([0.5, 0.75, 0.875].map((p) => expect.closeTo(p, 12)));
  });

  it('scores every character after the first, in nats and bits', () => {
    const [uni, bi, tri] = model.score([a, a, b]);
    expect(uni.natsPerChar).toBeCloseTo(Math.log(2), 12);
    expect(uni.bitsPerChar).toBeCloseTo(1, 12);
    expect(bi.natsPerChar).toBeCloseTo(-(Math.log(1 / 6) + Math.log(5 / 6)) / 2, 12);
    expect(tri.natsPerChar).toBeCloseTo(bi.natsPerChar, 12);
  });

  it('gives a proper distribution over the alphabet for every history', () => {
    const big = new CharNgramModel([0, 1, 2, 0, 1, 1, 2, 0, 2, 2, 1, 0], 4, 4);
    for (const history of [[0, 1, 2], [2, 2, 1], [3, 3, 3], []]) {
      let total = 0;
      for (let c = 0; c < 4; c++) total += big.probabilities([...history, c], history.length)[3];
      expect(total).toBeCloseTo(1, 12);
    }
  });
});
