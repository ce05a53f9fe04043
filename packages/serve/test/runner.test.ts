import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RnnkitError, createPredictor, initBackend, type Predictor, type StepFunction } from '@rnnkit/core';
import { BusyError, CancelledError, ModelRunner, TimeoutError, type RunnerOptions } from '../src/runner.js';

/**
 * The queue behind every model, with fake predictors (no tfjs): batching within the wait and up to the max batch,
 * one model call at a time, admission limits, timeouts, cancellation, and the fallback when a batch fails.
 */

const schema = z.strictObject({ x: z.number() });

function fake(opts: { batch?: boolean; stream?: boolean; delayMs?: number; failBatchOn?: number } = {}) {
  const calls: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const work = async (xs: number[]) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    calls.push(xs);
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    running--;
    return xs.map((x) => ({ y: 2 * x }));
  };
  const predictor: Predictor = createPredictor(
    'fake',
    schema,
    async (input, onToken) => {
      if (input.x < 0) throw new RnnkitError('input field "x" is negative');
      const [out] = await work([input.x]);
      if (onToken) for (const c of String(out.y)) onToken(c);
      return out;
    },
    () => {},
    {
      streams: opts.stream,
      runBatch: opts.batch
        ? async (inputs) => {
          if (inputs.some((i) => i.x === opts.failBatchOn)) throw new RnnkitError('bad input in batch');
          return work(inputs.map((i) => i.x));
        }
        : undefined,
    },
  );
  return { predictor, calls, maxRunning: () => maxRunning };
}

const base: RunnerOptions = { maxConcurrent: 100, batching: true, maxBatch: 4, batchWaitMs: 20, timeoutMs: 10_000 };

describe('ModelRunner', () => {
  it('merges predict requests that arrive within the wait into one predictBatch call, at most maxBatch each', async () => {
    const f = fake({ batch: true });
    const sizes: number[] = [];
    const runner = new ModelRunner('m', f.predictor, { ...base, onBatch: (n) => sizes.push(n) });
    const outs = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => runner.submit({ x })));
    expect(outs).toEqual([2, 4, 6, 8, 10, 12].map((y) => ({ y })));
    expect(f.calls).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(sizes).toEqual([4, 2]);
    expect(runner.inFlight).toBe(0);
  });

  it('runs one request at a time without batching (option off, or no predictBatch)', async () => {
    for (const [batching, batch] of [[false, true], [true, false]] as const) {
      const f = fake({ batch, delayMs: 5 });
      const runner = new ModelRunner('m', f.predictor, { ...base, batching });
      expect(runner.batches).toBe(false);
      await Promise.all([1, 2, 3].map((x) => runner.submit({ x })));
      expect(f.calls).toEqual([[1], [2], [3]]);
      expect(f.maxRunning()).toBe(1);
    }
  });

  it('does not wait for a batch when it is already full', async () => {
    const f = fake({ batch: true });
    const runner = new ModelRunner('m', f.predictor, { ...base, batchWaitMs: 10_000 });
    const started = Date.now();
    await Promise.all([1, 2, 3, 4].map((x) => runner.submit({ x })));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(f.calls).toEqual([[1, 2, 3, 4]]);
  });

  it('never batches streaming or "alone" jobs, and keeps their order', async () => {
    const f = fake({ batch: true, stream: true });
    const runner = new ModelRunner('m', f.predictor, base);
    const tokens: string[] = [];
    await Promise.all([
      runner.submit({ x: 1 }),
      runner.submit({ x: 21 }, { onToken: (t) => tokens.push(t) }),
      runner.submit({ x: 3 }, { alone: true }),
      runner.submit({ x: 4 }),
    ]);
    expect(tokens.join('')).toBe('42');
    expect(f.calls).toContainEqual([21]);
    expect(f.calls).toContainEqual([3]);
    expect(f.calls).toContainEqual([1, 4]);
  });

  it('refuses beyond maxConcurrent admitted requests with BusyError, and admits again once they finish', async () => {
    const f = fake({ delayMs: 30 });
    const runner = new ModelRunner('m', f.predictor, { ...base, maxConcurrent: 2 });
    const a = runner.submit({ x: 1 });
    const b = runner.submit({ x: 2 });
    expect(() => runner.submit({ x: 3 })).toThrow(BusyError);
    await Promise.all([a, b]);
    await expect(runner.submit({ x: 3 })).resolves.toEqual({ y: 6 });
  });

  it('drops a job whose time ran out in the queue (TimeoutError "queued") without running it', async () => {
    const f = fake({ delayMs: 80 });
    const runner = new ModelRunner('m', f.predictor, { ...base, timeoutMs: 40 });
    const first = runner.submit({ x: 1 });
    const second = runner.submit({ x: 2 });
    await expect(first).resolves.toEqual({ y: 2 });
    await expect(second).rejects.toMatchObject({ name: 'TimeoutError', phase: 'queued' });
    expect(f.calls).toEqual([[1]]);
  });

  it('stops a streaming decode at the next token once its time is up (TimeoutError "running")', async () => {
    const predictor = createPredictor('slow', schema, async (_input, onToken) => {
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 5));
        onToken?.('a');
      }
      return { done: true };
    }, () => {}, { streams: true });
    const runner = new ModelRunner('m', predictor, { ...base, timeoutMs: 50 });
    const err = await runner.submit({ x: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).phase).toBe('running');
  });

  it('drops a job whose client went away before its turn, and stops a stream whose client goes away', async () => {
    const f = fake({ stream: true });
    const runner = new ModelRunner('m', f.predictor, base);
    await expect(runner.submit({ x: 1 }, { isCancelled: () => true })).rejects.toBeInstanceOf(CancelledError);
    let gone = false;
    const tokens: string[] = [];
    const p = runner.submit({ x: 61 }, { isCancelled: () => gone, onToken: (t) => ((gone = true), tokens.push(t)) });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(tokens).toEqual(['1']);
  });

  it('falls back to one call per input when a batch fails, so that each request gets its own answer', async () => {
    const f = fake({ batch: true, failBatchOn: -1 });
    const runner = new ModelRunner('m', f.predictor, base);
    const results = await Promise.allSettled([1, -1, 3].map((x) => runner.submit({ x })));
    expect(results[0]).toEqual({ status: 'fulfilled', value: { y: 2 } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'input field "x" is negative' } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: { y: 6 } });
  });

  it('idle() resolves when the last admitted job settles', async () => {
    const f = fake({ delayMs: 20 });
    const runner = new ModelRunner('m', f.predictor, base);
    await runner.idle();
    const p = runner.submit({ x: 1 });
    let idle = false;
    const i = runner.idle().then(() => (idle = true));
    expect(idle).toBe(false);
    await p;
    await i;
    expect(idle).toBe(true);
  });
});

describe('ModelRunner shared decoding', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', quiet: true });
  });

  /** A predictor whose every request decodes `x` tokens greedily through a trivial step function (token 1 always). */
  function counting(): Predictor {
    const stepFunction: StepFunction = {
      step: (tokens, states) => ({ logProbs: tf.tidy(() => tf.tile(tf.tensor2d([[-9, 0, -9]]), [tokens.length, 1])), states }),
    };
    return createPredictor('counting', schema, async (input) => ({ y: input.x }), () => {}, {
      stepDecoding: {
        stepFunction,
        shares: () => true,
        start: (input) => ({
          row: { states: [tf.zeros([1, 1])], opts: { strategy: 'greedy', prompt: [1], maxLen: input.x, eos: 2 } },
          finish: (result) => ({ y: result.tokens.length }),
        }),
      },
    });
  }

  it('runs decoding steps back to back between event-loop turns, not one step per turn', async () => {
    const runner = new ModelRunner('counting', counting(), base);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const before = tf.memory().numTensors;
    const [a, b] = await Promise.all([runner.submit({ x: 300 }), runner.submit({ x: 5 })]);
    ticking = false;
    expect(a).toEqual({ y: 300 });
    expect(b).toEqual({ y: 5 });
    // 300 steps of a step this cheap fit in a few slices of DECODE_SLICE_MS; one turn per step would be >= 300.
    expect(turns).toBeLessThan(100);
    expect(tf.memory().numTensors).toBe(before);
  });
});
