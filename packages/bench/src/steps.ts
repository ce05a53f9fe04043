// One training step and one inference pass of a bench case, as `npm run bench` times them and `npm run profile`
// breaks them down.
import type * as tf from '@tensorflow/tfjs';
import { runModel } from '@rnnkit/core';
import type { BenchCase } from './models.js';

export function trainStep(c: BenchCase, optimizer: tf.Optimizer): () => void {
  const varList = c.model.trainableWeights.map((w) => w.read() as tf.Variable);
  return () => {
    const cost = optimizer.minimize(() => c.loss(c.targets, runModel(c.model, c.inputs, { training: true })[0]), true, varList);
    cost?.dataSync();
    cost?.dispose();
  };
}

export function inferStep(c: BenchCase): () => void {
  return () => {
    const [out] = runModel(c.model, c.inputs);
    out.dataSync();
    out.dispose();
  };
}
