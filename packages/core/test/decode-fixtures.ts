import * as tf from '@tensorflow/tfjs';
import type { StepFunction } from '../src/decode/index.js';

// Prod mode: no first-use banner from the cpu backend in test output.
tf.enableProdMode();

/** Token ids of the toy language: BOS, EOS and two words. */
export const BOS = 0;
export const EOS = 1;
export const A = 2;
export const B = 3;

/**
 * Rows: previous token; columns: next-token probabilities. Greedy follows A forever, while "B EOS" is the most
 * likely complete sentence (0.4 * 0.9 = 0.36), so beam search and greedy disagree in a hand-checkable way.
 */
export const TRANSITIONS = [
  [0, 0, 0.6, 0.4], // after BOS
  [0, 1, 0, 0], // after EOS (never used)
  [0, 0.25, 0.4, 0.35], // after A
  [0, 0.9, 0.05, 0.05], // after B
];

/**
 * A bigram language model as a StepFunction built from tf ops. State 0 counts steps ([N, 1], replaced each step);
 * state 1 is a constant context passed through unchanged (like encoder outputs); extras are one-hot inputs.
 */
export function bigramLM(probs: number[][] = TRANSITIONS): StepFunction & { memory: number[]; dispose(): void } {
  const logT = tf.log(tf.tensor2d(probs));
  const memory: number[] = [];
  return {
    memory,
    step(tokens: Int32Array, states: tf.Tensor[]) {
      memory.push(tf.memory().numTensors);
      return tf.tidy(() => {
        const idx = tf.tensor1d(tokens, 'int32');
        return {
          logProbs: tf.gather(logT, idx) as tf.Tensor2D,
          states: [states[0].add(1), states[1]],
          extras: tf.oneHot(idx, probs.length).toFloat(),
        };
      });
    },
    dispose: () => logT.dispose(),
  };
}

export function initStates(batch = 1): tf.Tensor[] {
  return [tf.zeros([batch, 1]), tf.ones([batch, 3])];
}

/** Every sequence the bigram LM can produce within maxLen tokens, with its log-probability (brute force). */
export function enumerate(maxLen: number, probs: number[][] = TRANSITIONS): { tokens: number[]; logProb: number; finished: boolean }[] {
  const out: { tokens: number[]; logProb: number; finished: boolean }[] = [];
  const grow = (prev: number, tokens: number[], logProb: number) => {
    probs[prev].forEach((p, next) => {
      if (p === 0) return;
      const lp = logProb + Math.log(p);
      if (next === EOS) out.push({ tokens, logProb: lp, finished: true });
      else if (tokens.length + 1 === maxLen) out.push({ tokens: [...tokens, next], logProb: lp, finished: false });
      else grow(next, [...tokens, next], lp);
    });
  };
  grow(BOS, [], 0);
  return out;
}
