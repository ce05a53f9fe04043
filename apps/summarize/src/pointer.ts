import * as tf from '@tensorflow/tfjs';
import { RnnkitError, Vocab, type Batch, type ForwardLoss, type StepFunction, type StepOutput, runModel } from '@rnnkit/core/browser';
import type { Summarizer } from './model.js';

/**
 * The pointer-generator's mixing of generating and copying (see model.ts for the formula), for training and decoding.
 * Ids ≥ vocabSize are "extended" ids: the k-th unknown word of the article has id vocabSize + k.
 */

/** Probabilities below this are clipped before the log, so an impossible target costs a large finite loss. */
const MIN_PROB = 1e-7;

/**
 * Negative log-likelihood of the targets under the mixed distribution, averaged over unmasked positions.
 * Only P(target) is needed, so the [B,T,V+oov] distribution is never built:
 *   P(y) = p_gen · P_vocab(y) [0 when y is an extended id] + (1 − p_gen) · Σ_i a_i [srcExt_i = y].
 */
export function pointerGeneratorLoss(
  pVocab: tf.Tensor, // [B,T,V]
  attention: tf.Tensor, // [B,T,S]
  pGen: tf.Tensor, // [B,T,1]
  srcExt: tf.Tensor, // int32 [B,S]
  tgtOut: tf.Tensor, // int32 [B,T]
  weights: tf.Tensor, // [B,T]
): tf.Scalar {
  return tf.tidy(() => {
    const [b, t, v] = pVocab.shape;
    const inVocab = tf.less(tgtOut, v);
    const vocabIds = tf.where(inVocab, tgtOut, tf.zerosLike(tgtOut));
    const flatIndex = tf.add(tf.mul(tf.range(0, b * t, 1, 'int32'), tf.scalar(v, 'int32')), vocabIds.reshape([b * t]));
    const pVocabTarget = tf.gather(pVocab.reshape([b * t * v]), flatIndex).reshape([b, t]).mul(inVocab.toFloat());
    const copyMatch = tf.equal(srcExt.expandDims(1), tgtOut.expandDims(2)).toFloat(); // [B,T,S]
    const pCopyTarget = tf.sum(tf.mul(attention, copyMatch), -1);
    const gen = pGen.reshape([b, t]);
    const p = tf.add(tf.mul(gen, pVocabTarget), tf.mul(tf.sub(1, gen), pCopyTarget));
    const nll = tf.neg(tf.log(tf.maximum(p, MIN_PROB)));
    return tf.div(tf.sum(tf.mul(nll, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
  });
}

/** Batches carry xs = [src, tgtIn, srcExt], ys = tgtOut, weights = target mask. */
export const pointerForwardLoss: ForwardLoss = {
  forward(model: tf.LayersModel, batch: Batch, training: boolean): tf.Scalar {
    const [src, tgtIn, srcExt] = batch.xs as tf.Tensor[];
    const [pVocab, attention, pGen] = runModel(model, [src, tgtIn], { training });
    if (!batch.weights) throw new RnnkitError('pointer-generator batches need a target mask (weights)');
    return pointerGeneratorLoss(pVocab, attention, pGen, srcExt, batch.ys as tf.Tensor, batch.weights);
  },
};

/**
 * Final distribution over the extended vocabulary for one decoder step: p_gen · P_vocab, padded with zeros for the
 * extended ids, plus (1 − p_gen) · attention scattered onto the source ids (summing repeats of a word).
 */
export function mixDistribution(pVocab: tf.Tensor2D, attention: tf.Tensor2D, pGen: tf.Tensor2D, srcExt: tf.Tensor2D, extSize: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, v] = pVocab.shape;
    const s = attention.shape[1];
    // Zero columns for the extended ids by concat: the cpu backend's pad is an element-by-element loop, which cost as
    // much as the output layer's matrix product at every decoding step.
    const mixed = tf.mul(pGen, pVocab);
    const generated = extSize > v ? tf.concat([mixed, tf.zeros([n, extSize - v])], 1) : mixed;
    const rows = tf.tile(tf.range(0, n, 1, 'int32').expandDims(1), [1, s]);
    const indices = tf.stack([rows, srcExt.toInt()], 2).reshape([n * s, 2]);
    const copied = tf.scatterND(indices, tf.mul(tf.sub(1, pGen), attention).reshape([n * s]), [n, extSize]);
    return tf.add(generated, copied) as tf.Tensor2D;
  });
}

/**
 * A core StepFunction over the pointer-generator. States are [...decoderStates, ...context, srcExt] (context as
 * encodeForDecoding returns it); context and srcExt pass through unchanged (beam search gathers their rows). Tokens fed back that are extended ids
 * (copied unknown words) enter the embedding as UNK. `extras` is the step's attention [N,S] followed by its copy
 * probability 1 − p_gen as one more column: [N,S+1] (decoding keeps one extras row per token, beam search included).
 */
export function pointerStepFunction(model: Summarizer, extSize: number): StepFunction {
  const stateCount = model.seq2seq.decoderStateCount;
  const contextEnd = stateCount + model.seq2seq.contextCount;
  const vocabSize = model.vocabSize;
  return {
    step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
      const decoderStates = states.slice(0, stateCount);
      const context = states.slice(stateCount, contextEnd);
      const srcExt = states[contextEnd];
      const fed = Int32Array.from(tokens, (id) => (id >= vocabSize ? Vocab.UNK : id));
      const [logProbs, extras, ...next] = tf.tidy(() => {
        const token = tf.tensor2d(fed, [fed.length, 1], 'int32');
        const [pVocab, attn, pGen, ...newStates] = runModel(model.step, [token, ...context, ...decoderStates]);
        const p = mixDistribution(pVocab as tf.Tensor2D, attn as tf.Tensor2D, pGen as tf.Tensor2D, srcExt as tf.Tensor2D, extSize);
        return [tf.log(tf.maximum(p, 1e-30)), tf.concat([attn, tf.sub(1, pGen)], 1), ...newStates];
      });
      return { logProbs: logProbs as tf.Tensor2D, states: [...next, ...context, srcExt], extras };
    },
  };
}
