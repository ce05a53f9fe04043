import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Predictor } from '@rnnkit/core';
import { createServer, type RnnkitServer } from '../src/index.js';
import type { AnyApp } from '../src/apps.js';
import { appOrUndefined, call, metricValue, tempDir, trainTiny } from './helpers.js';

/**
 * sentiment behind the server, with a tiny attention GRU trained here on 500 SST-2 phrases: concurrent texts of
 * different lengths run as one padded model call and get the probabilities, labels and attention weights they get
 * one at a time; the server's answer is the in-process predictor's; bad texts get a 400 naming the field; requests
 * leave no tensors behind.
 */

const sentiment = await appOrUndefined('sentiment');
const root = tempDir();
const servers: RnnkitServer[] = [];
let dir: string;
let local: Predictor;

/** Texts of 1 to 40 words, known and unknown, so that a batch pads most rows (the mask must hide the padding). */
const TEXTS = [
  'a gorgeous , witty , seductive movie .',
  'bad',
  "it 's not a bad film , but it is n't a good one either .",
  'the plot is predictable and the acting is wooden , a tedious mess from start to finish that never finds its footing or its heart .',
  'zyxwv qqqq',
  'one of the best films of the year',
  'dull',
  'an exhilarating , moving , beautifully acted story about friendship , loss and the long way home , told with wit and grace and without a single false note .',
  'i laughed , i cried',
  'worst',
  'the movie is funny , smart and sweet',
  'nothing happens',
];

afterAll(async () => {
  local?.dispose();
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

interface Output {
  label: string;
  labelId: number;
  probabilities: number[];
  tokens: string[];
  attention: number[];
}

describe.runIf(sentiment)('sentiment', () => {
  beforeAll(async () => {
    dir = await trainTiny(sentiment as AnyApp, root);
    local = await (sentiment as AnyApp).loadPredictor(dir);
  }, 600_000);

  async function start(batching: boolean): Promise<string> {
    const server = await createServer({ port: 0, models: [{ name: 'sentiment', dir }], batching: { enabled: batching, waitMs: 50, maxBatch: 32 } });
    servers.push(server);
    return server.rnnkit.url;
  }

  async function run(base: string) {
    const answers = await Promise.all(TEXTS.map((text) => call(base, 'POST', '/v1/sentiment/predict', { text })));
    for (const a of answers) expect(a.status, a.text).toBe(200);
    const metrics = (await call(base, 'GET', '/metrics')).text;
    return {
      outputs: answers.map((a) => a.body as Output),
      calls: metricValue(metrics, 'rnnkit_batch_size_count', { model: 'sentiment' }),
      inputs: metricValue(metrics, 'rnnkit_batch_size_sum', { model: 'sentiment' }),
    };
  }

  it('batches concurrent texts of different lengths into fewer model calls with the unbatched outputs (within 1e-5)', async () => {
    const batched = await run(await start(true));
    const alone = await run(await start(false));
    const n = TEXTS.length;
    expect(alone.calls).toBe(n);
    expect(batched.inputs).toBe(n);
    expect(batched.calls).toBeLessThan(n / 2);
    let maxDiff = 0;
    for (let i = 0; i < n; i++) {
      const [b, a] = [batched.outputs[i], alone.outputs[i]];
      expect(b.label).toBe(a.label);
      expect(b.tokens).toEqual(a.tokens);
      expect(b.attention).toHaveLength(b.tokens.length);
      b.probabilities.forEach((p, k) => (maxDiff = Math.max(maxDiff, Math.abs(p - a.probabilities[k]))));
      b.attention.forEach((w, k) => (maxDiff = Math.max(maxDiff, Math.abs(w - a.attention[k]))));
    }
    expect(maxDiff).toBeLessThan(1e-5);
    // Rows were not mixed up: each text's token list came back with its own answer, and the answers differ.
    expect(batched.outputs.map((o) => o.tokens.join(' '))).toEqual(alone.outputs.map((o) => o.tokens.join(' ')));
    expect(new Set(batched.outputs.map((o) => o.probabilities[0].toFixed(7))).size).toBeGreaterThan(n / 2);
  });

  it("answers with the in-process predictor's output", async () => {
    const base = await start(true);
    for (const text of TEXTS.slice(0, 4)) {
      const res = await call(base, 'POST', '/v1/sentiment/predict', { text });
      expect(res.status, res.text).toBe(200);
      const mine = JSON.parse(JSON.stringify(await local.predict({ text }))) as Output;
      expect(res.body.label).toBe(mine.label);
      expect(res.body.tokens).toEqual(mine.tokens);
      res.body.probabilities.forEach((p: number, k: number) => expect(Math.abs(p - mine.probabilities[k])).toBeLessThan(1e-5));
    }
  });

  it.each([
    ['no text', {}, /field "text"/],
    ['a number for text', { text: 42 }, /field "text"/],
    ['an empty text', { text: '' }, /field "text"/],
    ['a text of spaces only', { text: '   ' }, /field "text": has no words/],
    ['a text over the length limit', { text: 'a'.repeat(100_001) }, /field "text"/],
    ['an unknown field', { text: 'good', mood: 'happy' }, /unknown field "mood"/],
    ['streaming', { text: 'good', stream: true }, /does not stream/],
  ])('400 for %s, naming the field', async (_what, body, message) => {
    const base = await start(true);
    const res = await call(base, 'POST', '/v1/sentiment/predict', body);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatch(message);
  });

  it('a bad text among concurrent ones gets its own 400; the others are answered', async () => {
    const base = await start(true);
    const [good, bad, good2] = await Promise.all([
      call(base, 'POST', '/v1/sentiment/predict', { text: TEXTS[0] }),
      call(base, 'POST', '/v1/sentiment/predict', { text: 7 }),
      call(base, 'POST', '/v1/sentiment/predict', { text: TEXTS[1] }),
    ]);
    expect([good.status, bad.status, good2.status]).toEqual([200, 400, 200]);
    expect(bad.body.error).toMatch(/^body: field "text"/);
  });

  it('is listed as batching in /v1/models and /openapi.json (with the example), and keeps tensors flat', async () => {
    const base = await start(true);
    expect((await call(base, 'GET', '/v1/models')).body.models).toEqual([{ name: 'sentiment', app: 'sentiment', streams: false, batching: true, sessions: false }]);
    const doc = (await call(base, 'GET', '/openapi.json')).body;
    expect(doc.paths['/v1/sentiment/predict'].post.requestBody.content['application/json'].example).toEqual(sentiment!.predict.example);
    // Warm up (first calls may create lasting kernel state), then count.
    await Promise.all(TEXTS.map((text) => call(base, 'POST', '/v1/sentiment/predict', { text })));
    const before = tf.memory().numTensors;
    for (let round = 0; round < 5; round++) {
      await Promise.all(TEXTS.map((text, i) => call(base, 'POST', '/v1/sentiment/predict', i % 5 === 0 ? { text: 3 } : { text })));
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
