import * as tf from '@tensorflow/tfjs';
import { runModel, tidyValues } from '@rnnkit/core';
import { lengthSortedBatches, setInputs, type EncodedSet } from './encode.js';

/** A model's class probabilities over an encoded set (core's argmaxRows and meanProbabilities turn them into classes and ensembles). */

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
