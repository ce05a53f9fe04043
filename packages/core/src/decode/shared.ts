import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { rng as globalRng, type Rng } from '../random.js';
import { applyConstraints, checkDecodeOptions } from './constraints.js';
import { argmax, sampleNext, type SampleOptions } from './sample.js';
import type { DecodeOptions, DecodeResult, StepFunction } from './step.js';

/** How one row of a SharedDecoder decodes: greedy or sampled (beam search keeps a batch of its own). */
export interface SharedRowOptions extends DecodeOptions, SampleOptions {
  strategy: 'greedy' | 'sample';
  /** sample only: the row's generator (default: core's shared seeded one). */
  rng?: Rng;
  /**
   * Only the first `vocabSize` columns of the step's log-probabilities belong to this row (a pointer-generator's
   * extended vocabulary is as wide as the widest row's); default: all of them.
   */
  vocabSize?: number;
}

/** One decoding request in a SharedDecoder. */
export interface SharedRow {
  /** Its initial states, batch 1, in the layout the step function takes. The decoder owns and disposes them. */
  states: tf.Tensor[];
  opts: SharedRowOptions;
}

/** How a row ended: its result, or the error that stopped it (its onToken threw, it was cancelled, the step failed). */
export type RowOutcome = { ok: true; result: DecodeResult } | { ok: false; error: unknown };

interface ActiveRow {
  opts: SharedRowOptions;
  prompt: number[];
  /** Prompt tokens fed so far; generation starts once all but the last are in. */
  fed: number;
  last: number;
  history: number[];
  result: DecodeResult;
  states?: tf.Tensor[];
  done: (outcome: RowOutcome) => void;
  cancelled?: unknown;
}

/**
 * Right-pads `t` with zeros along axis 1 to `width` (a source sequence axis: an encoder's outputs, its padding mask,
 * the source ids), so rows of different source lengths share one batch.
 */
function padAxis1(t: tf.Tensor, width: number): tf.Tensor {
  const pad: [number, number][] = t.shape.map(() => [0, 0]);
  pad[1] = [0, width - t.shape[1]!];
  return tf.pad(t, pad);
}

/**
 * Stacks the rows' states along the batch axis. Tensors of one state index may differ in axis 1 only (a
 * Seq2Seq model's source length): the shorter are right-padded with zeros, which the step functions of rnnkit
 * read as absent (the source mask is 0 there, the attention weight 0).
 */
export function stackStates(parts: tf.Tensor[][]): tf.Tensor[] {
  const count = parts[0].length;
  for (const p of parts) {
    if (p.length !== count) throw new RnnkitError(`shared decoding: a row has ${p.length} states, another ${count}`);
  }
  return Array.from({ length: count }, (_, i) => {
    const column = parts.map((p) => p[i]);
    const rank = column[0].rank;
    const width = rank >= 2 ? Math.max(...column.map((t) => t.shape[1]!)) : 0;
    for (const t of column) {
      const sameRest = t.rank === rank && t.shape.every((d, k) => k < 2 || d === column[0].shape[k]);
      if (!sameRest) throw new RnnkitError(`shared decoding: state ${i} has shape [${t.shape.join(', ')}] in one row and [${column[0].shape.join(', ')}] in another`);
    }
    return tf.tidy(() => tf.concat(column.map((t) => (rank >= 2 && t.shape[1] !== width ? padAxis1(t, width) : t)), 0));
  });
}

/**
 * Greedy and sampled decoding of many requests that share each step: every step feeds one token per active row in
 * one step-function call. A request joins at the next step boundary (its states are stacked onto the batch's) and
 * leaves as soon as it finishes (EOS or its own maxLen), so requests of different lengths share steps until each
 * finishes and a short one never waits for a long one. Each row keeps its own options (maxLen, constraints,
 * temperature, seeded generator), and its tokens are those `decode` gives the same request alone: rows never see
 * each other's numbers (up to the float rounding of a batched matrix product).
 *
 * The caller drives it: `add` rows, call `step` until `size` is 0 (a server yields to its event loop between
 * steps, which is where new requests join and finished ones are answered).
 */
export class SharedDecoder {
  private rows: ActiveRow[] = [];
  private joining: ActiveRow[] = [];
  private states: tf.Tensor[] = [];

  constructor(private readonly stepFn: StepFunction) {}

  /** Rows decoding or waiting to join at the next step. */
  get size(): number {
    return this.rows.length + this.joining.length;
  }

  /**
   * Adds a row; it joins at the next step. `done` is called once, from inside `step` (or `cancel`/`dispose`).
   * Invalid options throw here, and the row's states are then disposed.
   */
  add(row: SharedRow, done: (outcome: RowOutcome) => void): { cancel(reason: unknown): void } {
    let prompt: number[];
    try {
      prompt = checkDecodeOptions(row.opts, 'shared decoding');
      if (row.opts.strategy !== 'greedy' && row.opts.strategy !== 'sample') throw new RnnkitError(`shared decoding: strategy must be greedy or sample, got "${String(row.opts.strategy)}"`);
      for (const s of row.states) if (s.shape[0] !== 1) throw new RnnkitError(`shared decoding: a row's initial states must have batch 1, got [${s.shape.join(', ')}]`);
    } catch (err) {
      tf.dispose(row.states);
      throw err;
    }
    const active: ActiveRow = {
      opts: row.opts,
      prompt,
      fed: 0,
      last: prompt[prompt.length - 1],
      history: [...prompt],
      result: { tokens: [], score: 0, logProb: 0, finished: false },
      states: row.states,
      done,
    };
    this.joining.push(active);
    return { cancel: (reason) => (active.cancelled ??= reason ?? new RnnkitError('cancelled')) };
  }

  /** One step for every row (joining ones first join). Rows that finish, fail or were cancelled leave and get `done`. */
  step(): void {
    this.leave(this.rows.filter((r) => r.cancelled !== undefined), (r) => ({ ok: false, error: r.cancelled }));
    const cancelledJoining = this.joining.filter((r) => r.cancelled !== undefined);
    this.joining = this.joining.filter((r) => r.cancelled === undefined);
    for (const r of cancelledJoining) {
      tf.dispose(r.states!);
      r.done({ ok: false, error: r.cancelled });
    }
    this.join();
    if (this.rows.length === 0) return;
    const tokens = Int32Array.from(this.rows, (r) => (r.fed < r.prompt.length - 1 ? r.prompt[r.fed] : r.last));
    let logProbs: Float32Array;
    let extras: Float32Array | undefined;
    try {
      const out = this.stepFn.step(tokens, this.states);
      const kept = new Set(out.states);
      for (const t of this.states) if (!kept.has(t)) t.dispose();
      this.states = out.states;
      logProbs = out.logProbs.dataSync().slice() as Float32Array;
      extras = out.extras ? (out.extras.dataSync().slice() as Float32Array) : undefined;
      out.logProbs.dispose();
      out.extras?.dispose();
    } catch (err) {
      this.leave(this.rows, () => ({ ok: false, error: err }));
      return;
    }
    const n = this.rows.length;
    const width = logProbs.length / n;
    const extrasWidth = extras ? extras.length / n : 0;
    const finished: ActiveRow[] = [];
    const failed = new Map<ActiveRow, unknown>();
    this.rows.forEach((r, i) => {
      if (r.fed < r.prompt.length - 1) {
        r.fed++;
        return;
      }
      const { opts, result } = r;
      const row = logProbs.subarray(i * width, i * width + Math.min(width, opts.vocabSize ?? width));
      applyConstraints(row, r.history, r.history.length - r.prompt.length, opts);
      let token: number;
      try {
        token = opts.strategy === 'greedy' ? argmax(row) : sampleNext(row, opts, opts.rng ?? globalRng());
      } catch (err) {
        failed.set(r, err);
        return;
      }
      result.logProb += row[token];
      const extrasRow = extras ? extras.subarray(i * extrasWidth, (i + 1) * extrasWidth) : undefined;
      if (extrasRow) (result.extras ??= []).push(Array.from(extrasRow));
      if (token === opts.eos) result.finished = true;
      else {
        result.tokens.push(token);
        try {
          opts.onToken?.(token, 0, extrasRow);
        } catch (err) {
          failed.set(r, err);
          return;
        }
      }
      r.history.push(token);
      r.last = token;
      const generated = r.history.length - r.prompt.length;
      if (result.finished || generated >= opts.maxLen) finished.push(r);
    });
    const leaving = new Set([...finished, ...failed.keys()]);
    this.leave([...leaving], (r) => {
      if (failed.has(r)) return { ok: false, error: failed.get(r) };
      r.result.score = r.result.logProb;
      return { ok: true, result: r.result };
    });
  }

  /** Ends every row with `error` (a server closing) and frees the states. */
  dispose(error: unknown = new RnnkitError('the decoder was disposed')): void {
    const rows = [...this.rows, ...this.joining];
    for (const r of this.joining) tf.dispose(r.states!);
    tf.dispose(this.states);
    this.rows = [];
    this.joining = [];
    this.states = [];
    for (const r of rows) r.done({ ok: false, error });
  }

  /** Stacks the joining rows' states onto the batch's. */
  private join(): void {
    if (this.joining.length === 0) return;
    const joining = this.joining;
    this.joining = [];
    const parts = [...(this.rows.length > 0 ? [this.states] : []), ...joining.map((r) => r.states!)];
    let stacked: tf.Tensor[];
    try {
      stacked = parts.length === 1 ? parts[0] : stackStates(parts);
    } catch (err) {
      for (const r of joining) {
        tf.dispose(r.states!);
        r.done({ ok: false, error: err });
      }
      return;
    }
    if (parts.length > 1) for (const p of parts) tf.dispose(p);
    for (const r of joining) r.states = undefined;
    this.states = stacked;
    this.rows.push(...joining);
  }

  /** Removes `leaving` rows from the batch (gathering the others' state rows), then tells each how it ended. */
  private leave(leaving: ActiveRow[], outcome: (r: ActiveRow) => RowOutcome): void {
    if (leaving.length === 0) return;
    const gone = new Set(leaving);
    const keep = this.rows.flatMap((r, i) => (gone.has(r) ? [] : [i]));
    const old = this.states;
    if (keep.length === 0) this.states = [];
    else {
      const index = tf.tensor1d(keep, 'int32');
      this.states = old.map((t) => tf.gather(t, index));
      index.dispose();
    }
    tf.dispose(old);
    this.rows = this.rows.filter((r) => !gone.has(r));
    for (const r of leaving) r.done(outcome(r));
  }
}

/**
 * Decodes `rows` together in one SharedDecoder until each finishes; the results in row order (a row that fails
 * throws its error after the others finished). For tests and batch jobs: a server drives the decoder itself.
 */
export function decodeShared(stepFn: StepFunction, rows: SharedRow[]): DecodeResult[] {
  const decoder = new SharedDecoder(stepFn);
  const outcomes: RowOutcome[] = new Array(rows.length);
  try {
    rows.forEach((row, i) => decoder.add(row, (o) => (outcomes[i] = o)));
  } catch (err) {
    decoder.dispose(err);
    throw err;
  }
  while (decoder.size > 0) decoder.step();
  const results: DecodeResult[] = [];
  for (const o of outcomes) {
    if (!o.ok) throw o.error;
    results.push(o.result);
  }
  return results;
}
