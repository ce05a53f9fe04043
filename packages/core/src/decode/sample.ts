import { RnnkitError } from '../errors.js';
import type { Rng } from '../random.js';

export interface SampleOptions {
  /** Softmax temperature; 0 picks the most likely token (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens. */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability mass reaches p (nucleus sampling). */
  topP?: number;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Draws the next token id from one row of log-probabilities (or logits: only differences matter). */
export function sampleNext(logProbs: ArrayLike<number>, opts: SampleOptions, rng: Rng): number {
  const temperature = opts.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RnnkitError(`sampleNext: temperature must be >= 0, got ${opts.temperature}`);
  }
  if (opts.topK !== undefined && (!Number.isInteger(opts.topK) || opts.topK < 1)) {
    throw new RnnkitError(`sampleNext: topK must be an integer >= 1, got ${opts.topK}`);
  }
  if (opts.topP !== undefined && !(opts.topP > 0 && opts.topP <= 1)) {
    throw new RnnkitError(`sampleNext: topP must be in (0, 1], got ${opts.topP}`);
  }
  if (logProbs.length === 0) throw new RnnkitError('sampleNext: empty distribution');
  const best = argmax(logProbs);
  if (logProbs[best] === -Infinity) throw new RnnkitError('sampleNext: every token has probability 0');
  if (temperature === 0) return best;
  if (opts.topK === undefined && opts.topP === undefined) return sampleAll(logProbs, logProbs[best], temperature, rng);

  // Candidates sorted by probability, most likely first (ties by id, for determinism).
  const ids = Array.from({ length: logProbs.length }, (_, i) => i).filter((i) => logProbs[i] > -Infinity);
  ids.sort((a, b) => logProbs[b] - logProbs[a] || a - b);
  let kept = ids.slice(0, opts.topK ?? ids.length);
  const weights = kept.map((i) => Math.exp((logProbs[i] - logProbs[best]) / temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined) {
    let mass = 0;
    let cut = kept.length;
    for (let j = 0; j < kept.length; j++) {
      mass += weights[j] / total;
      if (mass >= opts.topP - 1e-12) {
        cut = j + 1;
        break;
      }
    }
    kept = kept.slice(0, cut);
    weights.length = cut;
    total = weights.reduce((a, b) => a + b, 0);
  }
  let u = rng() * total;
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j];
    if (u < 0) return kept[j];
  }
  return kept[kept.length - 1];
}

/** Sampling from the whole distribution in id order: no candidate list and no sort (a word vocabulary has thousands). */
function sampleAll(logProbs: ArrayLike<number>, maxLogProb: number, temperature: number, rng: Rng): number {
  const weights = new Float64Array(logProbs.length);
  let total = 0;
  for (let i = 0; i < logProbs.length; i++) {
    weights[i] = Math.exp((logProbs[i] - maxLogProb) / temperature);
    total += weights[i];
  }
  let u = rng() * total;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    last = i;
    u -= weights[i];
    if (u < 0) return i;
  }
  return last;
}
