import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { applyConstraints, checkDecodeOptions } from './constraints.js';
import { StateKeeper } from './states.js';
import { activeFusedKernels } from '../layers/fused-kernels.js';
import type { DecodeOptions, DecodeResult, StepFunction } from './step.js';

export interface BeamSearchOptions extends DecodeOptions {
  beamWidth: number;
  /**
   * Length normalization exponent alpha of GNMT (Wu et al. 2016): hypotheses are ranked by
   * logProb / ((5 + len) / 6)^alpha, len = generated tokens including EOS. 0 (default) ranks by raw log-probability;
   * larger values favour longer outputs.
   */
  lengthPenalty?: number;
  /** How many hypotheses to return (default beamWidth). */
  numReturn?: number;
}

interface Beam {
  history: number[];
  tokens: number[];
  logProb: number;
  extras?: number[][];
}

function lengthNorm(len: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + len) / 6) ** alpha;
}

/**
 * Indices of the `k` largest entries of `row` that are not -Infinity, largest first (ties: lower id first). The
 * native addon runs the same loop when it is loaded (one pass per live beam over the whole vocabulary was a fifth of
 * a beam-4 Seq2Seq reply in JS).
 */
function topIndices(row: Float32Array, k: number): number[] {
  const native = activeFusedKernels()?.topIndices;
  if (native) return Array.from(native(row, k));
  return topIndicesJs(row, k);
}

/** topIndices in JS. */
function topIndicesJs(row: Float32Array, k: number): number[] {
  const top: number[] = [];
  // The k-th largest value held so far once k are held (-Infinity before): most entries fail this one comparison.
  let floor = -Infinity;
  for (let v = 0; v < row.length; v++) {
    const x = row[v];
    if (x === -Infinity || x <= floor) continue;
    let i = Math.min(top.length, k - 1);
    top[i] = v;
    while (i > 0 && row[top[i - 1]] < x) {
      top[i] = top[i - 1];
      top[--i] = v;
    }
    if (top.length === k) floor = row[top[k - 1]];
  }
  return top;
}

/** Rows `rows` of every state tensor. */
function gatherRows(states: tf.Tensor[], rows: number[]): tf.Tensor[] {
  return tf.tidy(() => {
    const idx = tf.tensor1d(rows, 'int32');
    return states.map((s) => tf.gather(s, idx));
  });
}

/** One input's search in a batched beam search. */
interface Search {
  alive: Beam[];
  finished: DecodeResult[];
  done: boolean;
}

/**
 * Beam search over one input (initial states with batch 1). Keeps the `beamWidth` best partial hypotheses; a
 * hypothesis that emits EOS among the step's best `beamWidth` candidates is set aside as finished. Stops when no
 * live beam can still beat the `beamWidth`-th best finished one (an exact bound, since log-probabilities only
 * decrease), or at maxLen. Returns hypotheses best first; width 1 gives exactly greedyDecode's result.
 */
export function beamSearch(stepFn: StepFunction, initStates: tf.Tensor[], opts: BeamSearchOptions): DecodeResult[] {
  for (const s of initStates) {
    if (s.shape[0] !== 1) throw new RnnkitError(`beamSearch: initial states must have batch 1, got ${s.shape[0]}`);
  }
  return beamSearchBatch(stepFn, initStates, { ...opts, batchSize: 1 })[0];
}

/**
 * `beamSearch` over a batch of independent inputs at once (initial states with batch B): every step runs the live
 * beams of all inputs that are not settled yet as one batch of the step function, so decoding a test set costs about
 * as many step calls as its longest output instead of that times the number of inputs. Each input's search is
 * exactly `beamSearch`'s (same candidates, same stopping rule, same results). Returns, per input, its hypotheses
 * best first.
 */
export function beamSearchBatch(stepFn: StepFunction, initStates: tf.Tensor[], opts: BeamSearchOptions & { batchSize?: number }): DecodeResult[][] {
  const prompt = checkDecodeOptions(opts, 'beamSearch');
  const k = opts.beamWidth;
  if (!Number.isInteger(k) || k < 1) throw new RnnkitError(`beamSearch: beamWidth must be an integer >= 1, got ${k}`);
  const alpha = opts.lengthPenalty ?? 0;
  if (!Number.isFinite(alpha)) throw new RnnkitError(`beamSearch: lengthPenalty must be a finite number, got ${alpha}`);
  const numReturn = opts.numReturn ?? k;
  const batch = opts.batchSize ?? (initStates.length > 0 ? initStates[0].shape[0] : 1);
  for (const s of initStates) {
    if (s.shape[0] !== batch) throw new RnnkitError(`beamSearch: initial states must have batch ${batch}, got ${s.shape[0]}`);
  }
  const score = (logProb: number, len: number) => logProb / lengthNorm(len, alpha);
  // Best normalized score a live beam could still reach at any length in [len, maxLen].
  const bound = (logProb: number, len: number) => logProb / Math.max(lengthNorm(len, alpha), lengthNorm(opts.maxLen, alpha));

  const keeper = new StateKeeper(initStates);
  const searches: Search[] = Array.from({ length: batch }, () => ({ alive: [{ history: [...prompt], tokens: [], logProb: 0 }], finished: [], done: false }));
  try {
    for (let i = 0; i < prompt.length - 1; i++) {
      const out = stepFn.step(new Int32Array(batch).fill(prompt[i]), keeper.current);
      keeper.replace(out.states);
      out.logProbs.dispose();
      out.extras?.dispose();
    }
    for (let t = 0; t < opts.maxLen; t++) {
      const len = t + 1;
      // Rows of the step batch: the live beams of every unsettled search, search after search.
      const active = searches.filter((s) => !s.done);
      const rows = active.reduce((n, s) => n + s.alive.length, 0);
      const tokens = new Int32Array(rows);
      let r = 0;
      for (const s of active) for (const b of s.alive) tokens[r++] = b.history[b.history.length - 1];
      const out = stepFn.step(tokens, keeper.current);
      const logProbs = out.logProbs.dataSync().slice() as Float32Array;
      const extras = out.extras ? (out.extras.dataSync().slice() as Float32Array) : undefined;
      out.logProbs.dispose();
      out.extras?.dispose();
      const vocab = logProbs.length / rows;
      const extrasRow = (row: number) => extras && Array.from(extras.subarray((row * extras.length) / rows, ((row + 1) * extras.length) / rows));

      const parents: number[] = [];
      let base = 0;
      for (const search of active) {
        const { alive, finished } = search;
        const candidates: { beam: number; token: number; logProb: number }[] = [];
        alive.forEach((beam, b) => {
          const row = logProbs.subarray((base + b) * vocab, (base + b + 1) * vocab);
          applyConstraints(row, beam.history, t, opts);
          for (const token of topIndices(row, 2 * k)) candidates.push({ beam: b, token, logProb: beam.logProb + row[token] });
        });
        candidates.sort((x, y) => y.logProb - x.logProb || x.beam - y.beam || x.token - y.token);

        const next: Beam[] = [];
        const nextParents: number[] = [];
        for (let rank = 0; rank < candidates.length && next.length < k; rank++) {
          const c = candidates[rank];
          const parent = alive[c.beam];
          const row = extrasRow(base + c.beam);
          const ext = row ? [...(parent.extras ?? []), row] : undefined;
          if (c.token === opts.eos) {
            if (rank < k) finished.push({ tokens: parent.tokens, logProb: c.logProb, score: score(c.logProb, len), finished: true, extras: ext });
            continue;
          }
          next.push({ history: [...parent.history, c.token], tokens: [...parent.tokens, c.token], logProb: c.logProb, extras: ext });
          nextParents.push(base + c.beam);
        }
        base += alive.length;

        const lastStep = len === opts.maxLen || next.length === 0;
        finished.sort((x, y) => y.score - x.score);
        const settled = finished.length >= k && next.every((b) => bound(b.logProb, len) <= finished[k - 1].score);
        if (lastStep || settled) {
          if (!settled) {
            for (const b of next) finished.push({ tokens: b.tokens, logProb: b.logProb, score: score(b.logProb, len), finished: false, extras: b.extras });
          }
          search.done = true;
          search.alive = [];
          continue;
        }
        search.alive = next;
        parents.push(...nextParents);
      }

      if (parents.length === 0) {
        keeper.releaseUnused(out.states);
        break;
      }
      const identity = parents.length === rows && parents.every((p, i) => p === i);
      if (identity) {
        keeper.replace(out.states);
      } else {
        const gathered = stepFn.selectRows ? stepFn.selectRows(out.states, parents) : gatherRows(out.states, parents);
        keeper.replace(gathered);
        keeper.releaseUnused(out.states);
      }
    }
  } finally {
    keeper.disposeAll();
  }
  return searches.map(({ finished }, i) => {
    if (finished.length === 0) {
      throw new RnnkitError(`beamSearch: every continuation was forbidden${batch > 1 ? ` (input ${i})` : ''} (check minLen/noRepeatNgram/noRepeatTokens)`);
    }
    finished.sort((x, y) => y.score - x.score || y.logProb - x.logProb);
    return finished.slice(0, numReturn);
  });
}
