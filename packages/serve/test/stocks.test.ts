import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Predictor } from '@rnnkit/core';
import { createServer, type RnnkitServer } from '../src/index.js';
import type { AnyApp } from '../src/apps.js';
import { appOrUndefined, call, tempDir, trainTiny } from './helpers.js';

/**
 * stocks behind the server, with a tiny model trained here on the bundled prices (its data pipeline, danfojs
 * included, runs only in training): the forecast of the app's example equals the predictor's own, bad price tables
 * get a 400 naming the field, it does not stream, and requests leave no tensors behind.
 */

const stocks = await appOrUndefined('stocks');
const root = tempDir();
let server: RnnkitServer;
let base: string;
let local: Predictor;

describe.runIf(stocks)('stocks', () => {
  beforeAll(async () => {
    const dir = await trainTiny(stocks as AnyApp, root);
    server = await createServer({ port: 0, models: [{ name: 'stocks', dir }] });
    base = server.rnnkit.url;
    local = await (stocks as AnyApp).loadPredictor(dir);
  }, 600_000);

  afterAll(async () => {
    local?.dispose();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const example = () => structuredClone(stocks!.predict.example) as Record<string, any>;

  it("answers the app's example with the forecast the predictor gives in-process, for each number of days", async () => {
    for (const days of [undefined, 1, 3]) {
      const input = days === undefined ? example() : { ...example(), days };
      const res = await call(base, 'POST', '/v1/stocks/predict', input);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual(JSON.parse(JSON.stringify(await local.predict(input))));
    }
    const full = (await call(base, 'POST', '/v1/stocks/predict', example())).body;
    expect(JSON.stringify(full)).toMatch(/\d/);
  });

  it('concurrent requests (no batching for stocks) each get their own answer', async () => {
    const inputs = [1, 2, 3, 4, 5].map((days) => ({ ...example(), days }));
    const answers = await Promise.all(inputs.map((input) => call(base, 'POST', '/v1/stocks/predict', input)));
    for (const [i, res] of answers.entries()) expect(res.body).toEqual(JSON.parse(JSON.stringify(await local.predict(inputs[i]))));
  });

  it.each([
    ['too few days for the lookback', (x: any) => ({ ...x, opens: x.opens.slice(-12), highs: x.highs.slice(-12), lows: x.lows.slice(-12), closes: x.closes.slice(-12), volumes: x.volumes.slice(-12), dates: x.dates.slice(-12) }), /field "closes"/],
    ['a ticker it was not trained on', (x: any) => ({ ...x, ticker: 'MSFT' }), /field "ticker": the model was trained on AAPL/],
    ['a low above the high', (x: any) => ({ ...x, lows: x.lows.map((v: number, i: number) => (i === 3 ? x.highs[3] + 1 : v)) }), /field "lows\[3\]": is above highs\[3\]/],
    ['rows of different lengths', (x: any) => ({ ...x, volumes: x.volumes.slice(1) }), /field "volumes"/],
    ['more days than the horizon', (x: any) => ({ ...x, days: 50 }), /field "days"/],
    ['an unknown field', (x: any) => ({ ...x, price: 1 }), /unknown field "price"/],
    ['streaming', (x: any) => ({ ...x, stream: true }), /does not stream/],
  ])('400 for %s, naming the field', async (_what, change, message) => {
    const res = await call(base, 'POST', '/v1/stocks/predict', change(example()));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
  });

  it('is listed in /v1/models and /openapi.json (with the example), and keeps tensors flat', async () => {
    expect((await call(base, 'GET', '/v1/models')).body.models).toEqual([{ name: 'stocks', app: 'stocks', streams: false, batching: false, sessions: false }]);
    const doc = (await call(base, 'GET', '/openapi.json')).body;
    expect(doc.paths['/v1/stocks/predict'].post.requestBody.content['application/json'].example).toEqual(example());
    const before = tf.memory().numTensors;
    await Promise.all(Array.from({ length: 20 }, (_, i) => call(base, 'POST', '/v1/stocks/predict', i % 4 === 0 ? { ...example(), days: 99 } : example())));
    expect(tf.memory().numTensors).toBe(before);
  });
});
