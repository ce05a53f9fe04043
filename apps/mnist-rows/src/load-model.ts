import { loadAppModel } from '@rnnkit/core';
import { mnistExtrasSchema } from './model.js';
import { MNIST_APP, mnistFromAppModel, type LoadedMnist } from './predictor.js';

/** Loads a mnist-rows model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadMnistModel(dir: string): Promise<LoadedMnist> {
  return mnistFromAppModel(await loadAppModel(dir, MNIST_APP, mnistExtrasSchema));
}
