import { describe, expect, test } from 'vitest';
import { bigramModel, mostFrequentResponse, responsesNll, unigramModel } from '../src/baselines.js';

const V = 8;
const train = [[4, 5, 6], [4, 5, 7], [4, 5, 6], [6]];

describe('baseline language models', () => {
  test('each model is a proper distribution over the vocabulary for every previous token', () => {
    for (const model of [unigramModel(train, V), bigramModel(train, V)]) {
      for (const prev of [2, 4, 5, 6, 7, 0]) {
        let total = 0;
        for (let next = 0; next < V; next++) total += Math.exp(model.logProb(prev, next));
        expect(total).toBeCloseTo(1, 9);
      }
    }
  });

  test('unigram add-1 probabilities match hand counts', () => {
    // tokens scored: 4,5,6,EOS, 4,5,7,EOS, 4,5,6,EOS, 6,EOS → 14; count(5) = 3
    expect(Math.exp(unigramModel(train, V).logProb(2, 5))).toBeCloseTo((3 + 1) / (14 + 8), 12);
  });

  test('the bigram model beats the unigram model on text that follows the training bigrams', () => {
    const held = [[4, 5, 6], [4, 5, 7]];
    const uni = responsesNll(unigramModel(train, V), held);
    const bi = responsesNll(bigramModel(train, V), held);
    expect(uni.tokens).toBe(8);
    expect(bi.nll).toBeLessThan(uni.nll);
  });

  test('most frequent response', () => {
    expect(mostFrequentResponse([['a'], ['b', 'c'], ['b', 'c'], ['a', 'b']])).toEqual(['b', 'c']);
  });
});
