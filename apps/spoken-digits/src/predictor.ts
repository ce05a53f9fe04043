// The predictor: what the CLI's `predict`, rnnkit-serve and the web page run. Browser-safe: tfjs, zod and
// @rnnkit/core/browser only; reading a model directory from disk is load-model.ts.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  RnnkitError, appModelFromArtifacts, argmaxRows, checkSizesAgainstWeights, createPredictor, type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { FeatureExtractor, normalize, type FeatureMatrix } from './features.js';
import { extrasSchema, predictProbs, type Extras } from './model.js';
import { resample } from './resample.js';

export const APP_NAME = 'spoken-digits';

/** The longest input read: 30 s (a digit takes under a second; longer audio is cut to the model's maxFrames anyway). */
export const MAX_INPUT_SECONDS = 30;

/** The predictor's input: mono samples in [-1, 1] at `sampleRate` (resampled to the model's rate). */
export const inputSchema = z
  .strictObject({
    samples: z.array(z.number().min(-1).max(1)).min(1).max(MAX_INPUT_SECONDS * 192_000),
    sampleRate: z.number().int().min(1000).max(192_000),
    /** Also return the normalized feature frames the model read (the web page draws them; its test compares them with Node's). */
    features: z.boolean().optional(),
  })
  .refine((i) => i.samples.length <= MAX_INPUT_SECONDS * i.sampleRate, { message: `longer than ${MAX_INPUT_SECONDS} s`, path: ['samples'] });
export type AppInput = z.input<typeof inputSchema>;

export interface AppOutput {
  digit: string;
  probability: number;
  /** The most likely classes, best first (at most 3). */
  top: { digit: string; probability: number }[];
  /** Probability of every class, by class id. */
  probabilities: number[];
  /** Duration of the input in seconds. */
  seconds: number;
  /** With `features: true`: the normalized frames the model read, [frames][2 × numCeps], at the model's rate. */
  features?: number[][];
}

/** A small valid input: 0.3 s of a 440 Hz tone (no digit; it shows the shape). */
export const exampleInput: AppInput = {
  samples: Array.from({ length: 2400 }, (_, i) => Math.round(0.5 * Math.sin((2 * Math.PI * 440 * i) / 8000) * 1e4) / 1e4),
  sampleRate: 8000,
};

export interface LoadedDigits {
  dir: string;
  model: tf.LayersModel;
  extras: Extras;
  extractor: FeatureExtractor;
}

/** Checks the extras against the weights (crafted rnnkit.json refused naming the field); disposes on failure. */
export function digitsModelFrom(loaded: Pick<LoadedAppModel<Extras>, 'dir' | 'model' | 'extras'>): LoadedDigits {
  const source = `${loaded.dir}/rnnkit.json`;
  try {
    const cfg = loaded.extras.model;
    checkSizesAgainstWeights(loaded.model, { 'extras.model.units': cfg.units }, source);
    const input = loaded.model.inputs[0].shape;
    if (input[2] !== cfg.featureDim) throw new RnnkitError(`${source}: extras.model.featureDim is ${cfg.featureDim} but the network reads ${String(input[2])} features`);
    const classes = loaded.model.outputs[0].shape[1];
    if (classes !== cfg.numClasses) throw new RnnkitError(`${source}: extras.model.numClasses is ${cfg.numClasses} but the network has ${classes} outputs`);
    return { ...loaded, extractor: new FeatureExtractor(loaded.extras.features) };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

/** Normalized features of samples at `sampleRate` (resampled to the model's rate first). */
export function inputFeatures(loaded: LoadedDigits, samples: Float32Array, sampleRate: number): FeatureMatrix {
  const rate = loaded.extras.features.sampleRate;
  const at = sampleRate === rate ? samples : resample(samples, sampleRate, rate);
  return normalize(loaded.extractor.features(at), loaded.extras.normalization);
}

/** Classifies utterances (one model call per batch; padding is masked, so results match one at a time). */
export function classifyFeatures(loaded: LoadedDigits, mats: readonly FeatureMatrix[], seconds: readonly number[]): AppOutput[] {
  const k = loaded.extras.model.numClasses;
  const probs = predictProbs(loaded.model, mats);
  const best = argmaxRows(probs, k);
  const names = loaded.extras.classNames;
  return mats.map((_, i) => {
    const probabilities = Array.from(probs.subarray(i * k, (i + 1) * k));
    const top = probabilities.map((p, c) => ({ digit: names[c], probability: p })).sort((a, b) => b.probability - a.probability).slice(0, 3);
    return { digit: names[best[i]], probability: probabilities[best[i]], top, probabilities, seconds: seconds[i] };
  });
}

/** A feature matrix as rows of plain numbers (what a JSON answer or a worker message carries). */
export function featureRows(m: FeatureMatrix): number[][] {
  return Array.from({ length: m.frames }, (_, t) => Array.from(m.data.subarray(t * m.dim, (t + 1) * m.dim)));
}

export function digitsPredictor(loaded: LoadedDigits): Predictor<z.output<typeof inputSchema>, AppOutput> {
  const run = (inputs: z.output<typeof inputSchema>[]) => {
    const mats = inputs.map((i) => inputFeatures(loaded, Float32Array.from(i.samples), i.sampleRate));
    const outputs = classifyFeatures(loaded, mats, inputs.map((i) => i.samples.length / i.sampleRate));
    return outputs.map((o, k) => (inputs[k].features ? { ...o, features: featureRows(mats[k]) } : o));
  };
  return createPredictor(APP_NAME, inputSchema, (input) => run([input])[0], () => loaded.model.dispose(), {
    runBatch: (inputs) => (inputs.length === 0 ? [] : run(inputs)),
  });
}

export function predictorFromModel(loaded: LoadedAppModel<Extras>): Predictor<z.output<typeof inputSchema>, AppOutput> {
  return digitsPredictor(digitsModelFrom(loaded));
}

/** A predictor from a model directory's files already in memory (the web page: `loadModelFromUrl`). */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof inputSchema>, AppOutput> {
  return predictorFromModel(appModelFromArtifacts(loaded, APP_NAME, extrasSchema));
}

/** "7 (p = 0.981); then 1 0.012, 9 0.004" */
export function formatPrediction(o: AppOutput): string {
  return `${o.digit} (p = ${o.probability.toFixed(3)}); then ${o.top.slice(1).map((t) => `${t.digit} ${t.probability.toFixed(3)}`).join(', ')}`;
}
