import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RnnkitServer } from '../src/index.js';
import { appOrUndefined, call, metricValue, sseFromChild, tempDir, trainTiny } from './helpers.js';

/**
 * Batched decoding with real tiny models: concurrent greedy and sampled requests of textgen, chatbot and summarize
 * share decoding steps (rows join and leave the batch on their own), and each gets exactly the output it gets on a
 * server without batching (every request alone): greedy outputs identical, sampled ones identical for the same
 * seed. Scores may differ in the last float digits (a batched matrix product rounds differently).
 */

const root = tempDir();
const dirs: Record<string, string> = {};
const servers: RnnkitServer[] = [];
let batched: string;
let alone: string;

beforeAll(async () => {
  for (const name of ['textgen', 'chatbot', 'summarize']) {
    const app = await appOrUndefined(name);
    if (app) dirs[name] = await trainTiny(app, root);
  }
  const models = Object.entries(dirs).map(([name, dir]) => ({ name, dir }));
  const on = await createServer({ port: 0, models });
  const off = await createServer({ port: 0, models, batching: { enabled: false } });
  servers.push(on, off);
  batched = on.rnnkit.url;
  alone = off.rnnkit.url;
}, 600_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

/** Steps that decoded more than one row (the batch-size histogram's observations above 1), per model. */
async function sharedSteps(base: string, model: string): Promise<{ steps: number; shared: number }> {
  const text = (await call(base, 'GET', '/metrics')).text;
  const steps = metricValue(text, 'rnnkit_batch_size_count', { model });
  return { steps, shared: steps - metricValue(text, 'rnnkit_batch_size_bucket', { model, le: '1' }) };
}

/** Everything but the scores, which are compared within float tolerance. */
function expectSameOutput(a: Record<string, unknown>, b: Record<string, unknown>, what: string) {
  const strip = ({ score: _score, alternatives: _alternatives, attention: _attention, ...rest }: Record<string, unknown>) => rest;
  expect(strip(a), what).toEqual(strip(b));
  if (typeof b.score === 'number') expect(Math.abs((a.score as number) - b.score), what).toBeLessThan(1e-3);
  expect(a.attention === undefined, what).toBe(b.attention === undefined);
}

const TEXTGEN = [
  { text: 'ROMEO:', decode: { strategy: 'greedy', maxLen: 90 } },
  { text: 'JULIET: O', decode: { strategy: 'greedy', maxLen: 15 } },
  { text: 'Th', decode: { maxLen: 60, temperature: 0.7, seed: 1 } },
  { text: 'First Citizen:\nBefore we proceed', decode: { maxLen: 33, temperature: 1.2, topK: 5, seed: 2 } },
  { text: 'a', decode: { maxLen: 1, seed: 3 } },
  { text: 'KING', decode: { maxLen: 70, topP: 0.9, seed: 4 } },
];
const CHATBOT = [
  { message: 'How are you?', history: ['Hello', 'Hi'], decode: { strategy: 'greedy', maxLen: 8 } },
  { message: 'What is your name?', decode: { strategy: 'greedy', maxLen: 5, noRepeatNgram: 0 } },
  { message: 'Tell me about the weather today, it is very cold and raining', decode: { strategy: 'sample', seed: 7, maxLen: 8 } },
  { message: 'Hi', history: ['a', 'b', 'c', 'd'], decode: { strategy: 'sample', seed: 8, temperature: 0.5, maxLen: 6 }, attention: true },
  { message: 'Bye', decode: { beamWidth: 1, maxLen: 4, minLen: 3 } },
];
const SUMMARIZE = [
  { text: 'The Delhi government on Monday said it saved 290 MW of power during the Earth Hour.', decode: { strategy: 'greedy', maxLen: 10 } },
  { text: 'India won the match by six wickets on Sunday.', decode: { strategy: 'greedy', maxLen: 4, minLen: 1 }, attention: true },
  { text: 'Floods hit the state after heavy rain; thousands of people were moved to camps, officials said on Tuesday evening.', decode: { strategy: 'sample', seed: 5, maxLen: 8 } },
  { text: 'Zorblat quuxed the frobnicator.', decode: { strategy: 'sample', seed: 6, temperature: 0.8, topK: 20, maxLen: 6 } },
];
const CASES: [string, Record<string, unknown>[]][] = [['textgen', TEXTGEN], ['chatbot', CHATBOT], ['summarize', SUMMARIZE]];

describe('batched decoding', () => {
  it.each(CASES)('%s: concurrent greedy and sampled requests share steps and get the outputs they get alone', async (model, inputs) => {
    if (!dirs[model]) return;
    const before = await sharedSteps(batched, model);
    const together = await Promise.all(inputs.map((input) => call(batched, 'POST', `/v1/${model}/predict`, input)));
    const after = await sharedSteps(batched, model);
    expect(after.shared - before.shared, 'steps that decoded several requests').toBeGreaterThan(0);
    for (const [i, input] of inputs.entries()) {
      const single = await call(alone, 'POST', `/v1/${model}/predict`, input);
      expect(together[i].status, together[i].text).toBe(200);
      expect(single.status, single.text).toBe(200);
      expectSameOutput(together[i].body, single.body, `${model} request ${i}`);
    }
    // Attention rows keep the request's own source positions (not the widest of the batch), and their values.
    const withAttention = inputs.findIndex((x) => x.attention === true);
    if (withAttention >= 0) {
      const single = (await call(alone, 'POST', `/v1/${model}/predict`, inputs[withAttention])).body;
      const a = together[withAttention].body.attention;
      const weights = (x: any): number[][] => (model === 'chatbot' ? x.weights : x);
      expect(weights(a).map((r) => r.length)).toEqual(weights(single.attention).map((r) => r.length));
      weights(a).flat().forEach((w, k) => expect(Math.abs(w - weights(single.attention).flat()[k])).toBeLessThan(1e-4));
    }
  });

  it('a request joins a decoding already running, and a short one finishes before the long one it joined', async () => {
    const order: string[] = [];
    const long = call(batched, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { strategy: 'greedy', maxLen: 2000 } }).then((r) => (order.push('long'), r));
    // Timers run between two decoding steps: this request arrives while the long one decodes.
    await new Promise((r) => setTimeout(r, 30));
    const shortInput = { text: 'KING', decode: { maxLen: 20, seed: 9 } };
    const short = await call(batched, 'POST', '/v1/textgen/predict', shortInput).then((r) => (order.push('short'), r));
    expect((await long).status).toBe(200);
    expect(order).toEqual(['short', 'long']);
    expect(short.body).toEqual((await call(alone, 'POST', '/v1/textgen/predict', shortInput)).body);
    expect((await long).body).toEqual((await call(alone, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { strategy: 'greedy', maxLen: 2000 } })).body);
  });

  it('streamed requests share steps too: their tokens make their final text, the same as alone', async () => {
    // In this process: between two steps the server returns to the event loop, so these clients read as it decodes.
    const sse = async (body: unknown) => {
      const res = await fetch(`${batched}/v1/textgen/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      const events = text.split('\n\n').filter(Boolean).map((block) => {
        const lines = block.split('\n');
        return { event: lines[0].slice('event: '.length), data: JSON.parse(lines[1].slice('data: '.length)) };
      });
      return { status: res.status, events };
    };
    const bodies = [
      { text: 'ROMEO:', stream: true, decode: { maxLen: 300, seed: 21 } },
      { text: 'JULIET:', stream: true, decode: { strategy: 'greedy', maxLen: 120 } },
    ];
    const before = await sharedSteps(batched, 'textgen');
    const streams = await Promise.all(bodies.map(sse));
    expect((await sharedSteps(batched, 'textgen')).shared - before.shared).toBeGreaterThan(0);
    for (const [i, { status, events }] of streams.entries()) {
      expect(status).toBe(200);
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      expect(events.filter((e) => e.event === 'token').map((e) => e.data.text).join('')).toBe(done.data.text);
      const { stream: _s, ...plain } = bodies[i];
      expect(done.data).toEqual((await call(alone, 'POST', '/v1/textgen/predict', plain)).body);
    }
  });

  it('beam search requests run whole next to shared decoding, with their n-best lists', async () => {
    if (!dirs.chatbot) return;
    const beam = { message: 'How are you?', decode: { beamWidth: 3, maxLen: 6 } };
    const [a, b] = await Promise.all([call(batched, 'POST', '/v1/chatbot/predict', beam), call(batched, 'POST', '/v1/chatbot/predict', CHATBOT[0])]);
    expect(a.body.alternatives.length).toBeGreaterThan(0);
    expectSameOutput(a.body, (await call(alone, 'POST', '/v1/chatbot/predict', beam)).body, 'beam');
    expectSameOutput(b.body, (await call(alone, 'POST', '/v1/chatbot/predict', CHATBOT[0])).body, 'greedy');
  });

  it('stops a shared decoding whose client left, even without streaming (the event loop sees the disconnect between steps)', async () => {
    const cancelled = async () => metricValue((await call(batched, 'GET', '/metrics')).text, 'rnnkit_rejected_total', { model: 'textgen', reason: 'cancelled' });
    const before = await cancelled();
    const ctrl = new AbortController();
    const gone = fetch(`${batched}/v1/textgen/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'ROMEO:', decode: { maxLen: 10_000 } }), signal: ctrl.signal,
    }).catch((err: Error) => err.name);
    setTimeout(() => ctrl.abort(), 200);
    expect(await gone).toBe('AbortError');
    // 10,000 characters take many seconds; the request is dropped at its next token instead.
    for (let i = 0; i < 50 && servers[0].rnnkit.inFlight('textgen') > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(servers[0].rnnkit.inFlight('textgen')).toBe(0);
    expect(await cancelled()).toBe(before + 1);
  });

  it('keeps tf.memory().numTensors flat across shared decoding (finished, failed and cancelled rows)', async () => {
    const before = tf.memory().numTensors;
    await Promise.all([
      ...TEXTGEN.map((input) => call(batched, 'POST', '/v1/textgen/predict', input)),
      call(batched, 'POST', '/v1/textgen/predict', { text: 'ROMEO: \u{1F600}' }),
      sseFromChild(`${batched}/v1/textgen/predict`, { text: 'ROMEO:', stream: true, decode: { maxLen: 5000 } }, { abortAfter: 3 }),
      ...(dirs.summarize ? SUMMARIZE.map((input) => call(batched, 'POST', '/v1/summarize/predict', input)) : []),
      ...(dirs.chatbot ? CHATBOT.map((input) => call(batched, 'POST', '/v1/chatbot/predict', input)) : []),
    ]);
    for (const s of servers) for (const m of s.rnnkit.models) await new Promise<void>((r) => (s.rnnkit.inFlight(m.name) === 0 ? r() : setTimeout(r, 100)));
    expect(tf.memory().numTensors).toBe(before);
  });
});
