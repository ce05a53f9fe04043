import * as tf from '@tensorflow/tfjs';
import { RnnkitError, runModel, tidyValues } from '@rnnkit/core';
import { lengthSortedBatches, setInputs, type EncodedSet } from './encode.js';
import { argmax } from './metrics.js';

/** A model's class probabilities over an encoded set, the predicted classes, and the mean of several members'. */

const PREDICT_BATCH = 256;

/** Class probabilities of every example, [n × numClasses] row-major, in the set's order; one batch alive at a time. */
export function predictProbs(model: tf.LayersModel, set: Pick<EncodedSet, 'ids' | 'subwords'>): Float32Array {
  const k = model.outputs[0].shape[1] as number;
  const out = new Float32Array(set.ids.length * k);
  for (const indices of lengthSortedBatches(set, PREDICT_BATCH)) {
    const values = tidyValues(() => runModel(model, setInputs(set, indices))[0]);
    indices.forEach((example, row) => out.set(values.subarray(row * k, (row + 1) * k), example * k));
  }
  return out;
}

export function predictedClasses(probs: Float32Array, numClasses: number): Int32Array {
  return Int32Array.from({ length: probs.length / numClasses }, (_, i) => argmax(probs.subarray(i * numClasses, (i + 1) * numClasses)));
}

/** Element-wise mean of equally long probability arrays. */
export function meanProbabilities(members: readonly Float32Array[]): Float32Array {
  if (members.length === 0) throw new RnnkitError('ensemble: no members');
  const n = members[0].length;
  const out = new Float32Array(n);
  for (const m of members) {
    if (m.length !== n) throw new RnnkitError(`ensemble: members scored different numbers of values (${n} and ${m.length})`);
    for (let i = 0; i < n; i++) out[i] += m[i];
  }
  for (let i = 0; i < n; i++) out[i] /= members.length;
  return out;
}
