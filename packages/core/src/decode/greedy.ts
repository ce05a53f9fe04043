import type * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import type { Rng } from '../random.js';
import { rng as globalRng } from '../random.js';
import { applyConstraints, checkDecodeOptions } from './constraints.js';
import { argmax, sampleNext, type SampleOptions } from './sample.js';
import { StateKeeper } from './states.js';
import type { DecodeOptions, DecodeResult, StepFunction } from './step.js';

type Pick = (row: Float32Array) => number;

/**
 * Feeds the prompt, then generates token by token for `batch` independent rows, each choosing with `pick`.
 * Shared by greedy and sampling decoding.
 */
function decodeRows(stepFn: StepFunction, initStates: tf.Tensor[], batch: number, opts: DecodeOptions, pick: Pick, where: string): DecodeResult[] {
  const prompt = checkDecodeOptions(opts, where);
  for (const s of initStates) {
    if (s.shape[0] !== batch) throw new RnnkitError(`${where}: initial state has batch ${s.shape[0]}, expected ${batch}`);
  }
  const keeper = new StateKeeper(initStates);
  const results: DecodeResult[] = Array.from({ length: batch }, () => ({ tokens: [], score: 0, logProb: 0, finished: false }));
  const histories = results.map(() => [...prompt]);
  const feed = (ids: ArrayLike<number>) => {
    const out = stepFn.step(Int32Array.from(ids), keeper.current);
    keeper.replace(out.states);
    const logProbs = out.logProbs.dataSync().slice() as Float32Array;
    const extras = out.extras ? (out.extras.dataSync().slice() as Float32Array) : undefined;
    out.logProbs.dispose();
    out.extras?.dispose();
    return { logProbs, extras };
  };
  try {
    for (let i = 0; i < prompt.length - 1; i++) feed(new Array(batch).fill(prompt[i]));
    const last: number[] = new Array(batch).fill(prompt[prompt.length - 1]);
    for (let t = 0; t < opts.maxLen; t++) {
      const { logProbs, extras } = feed(last);
      const vocab = logProbs.length / batch;
      results.forEach((res, r) => {
        if (res.finished) return;
        const row = logProbs.subarray(r * vocab, (r + 1) * vocab);
        applyConstraints(row, histories[r], t, opts);
        const token = pick(row);
        res.logProb += row[token];
        const extrasRow = extras ? extras.subarray((r * extras.length) / batch, ((r + 1) * extras.length) / batch) : undefined;
        if (extrasRow) (res.extras ??= []).push(Array.from(extrasRow));
        if (token === opts.eos) res.finished = true;
        else {
          res.tokens.push(token);
          opts.onToken?.(token, r, extrasRow);
        }
        histories[r].push(token);
        last[r] = token;
      });
      if (results.every((r) => r.finished)) break;
    }
  } finally {
    keeper.disposeAll();
  }
  for (const r of results) r.score = r.logProb;
  return results;
}

function batchOf(initStates: tf.Tensor[]): number {
  return initStates.length > 0 ? initStates[0].shape[0] : 1;
}

/** Always takes the most likely next token. */
export function greedyDecode(stepFn: StepFunction, initStates: tf.Tensor[], opts: DecodeOptions): DecodeResult {
  return decodeRows(stepFn, initStates, 1, opts, argmax, 'greedyDecode')[0];
}

/** Greedy decoding of a whole batch at once (one step call per position); rows are independent. */
export function greedyDecodeBatch(stepFn: StepFunction, initStates: tf.Tensor[], opts: DecodeOptions & { batchSize?: number }): DecodeResult[] {
  return decodeRows(stepFn, initStates, opts.batchSize ?? batchOf(initStates), opts, argmax, 'greedyDecodeBatch');
}

/** Samples each token with temperature / top-k / top-p from `rng` (default: the global seeded generator). */
export function sampleDecode(
  stepFn: StepFunction,
  initStates: tf.Tensor[],
  opts: DecodeOptions & SampleOptions,
  rng: Rng = globalRng(),
): DecodeResult {
  return decodeRows(stepFn, initStates, 1, opts, (row) => sampleNext(row, opts, rng), 'sampleDecode')[0];
}
