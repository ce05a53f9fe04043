import type * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { rng as globalRng, type Rng } from '../random.js';
import { beamSearch } from './beam.js';
import { greedyDecode, sampleDecode } from './greedy.js';
import type { SampleOptions } from './sample.js';
import type { DecodeOptions, DecodeResult, StepFunction } from './step.js';

/** greedy: the most likely token each step; sample: draw with temperature/top-k/top-p; beam: beam search. */
export type DecodeStrategy = 'greedy' | 'sample' | 'beam';

/** One options object for every strategy: what `decode` needs, whichever strategy it picks. */
export interface DecodeRequest extends DecodeOptions, SampleOptions {
  strategy: DecodeStrategy;
  /** beam only. */
  beamWidth?: number;
  /** beam only: GNMT length-normalization exponent. */
  lengthPenalty?: number;
  /** beam only: how many hypotheses to return (default beamWidth). */
  numReturn?: number;
  /** sample only: the generator (default: core's shared seeded one). */
  rng?: Rng;
}

/**
 * The one decoding entry point of textgen, summarize and chatbot: picks greedy, sampling or beam search from
 * `req.strategy`. Returns the hypotheses best first: one for greedy and sampling, up to `numReturn` for beam.
 * Beam search does not stream (`onToken` is for greedy and sampling); its result arrives whole.
 */
export function decode(stepFn: StepFunction, initStates: tf.Tensor[], req: DecodeRequest): DecodeResult[] {
  switch (req.strategy) {
    case 'greedy':
      return [greedyDecode(stepFn, initStates, req)];
    case 'sample':
      return [sampleDecode(stepFn, initStates, req, req.rng ?? globalRng())];
    case 'beam':
      return beamSearch(stepFn, initStates, { ...req, beamWidth: req.beamWidth ?? 4 });
    default:
      throw new RnnkitError(`decode: strategy must be greedy, sample or beam, got "${String((req as { strategy: unknown }).strategy)}"`);
  }
}

/** The strategy a request means when it does not name one: beam when a width > 1 is given, sampling when a temperature > 0, top-k or top-p is, else the app's default. */
export function impliedStrategy(
  req: { strategy?: DecodeStrategy; beamWidth?: number; temperature?: number; topK?: number; topP?: number },
  fallback: DecodeStrategy,
): DecodeStrategy {
  if (req.strategy) return req.strategy;
  if (req.beamWidth !== undefined && req.beamWidth > 1) return 'beam';
  if ((req.temperature !== undefined && req.temperature > 0) || req.topK !== undefined || req.topP !== undefined) return 'sample';
  return fallback;
}
