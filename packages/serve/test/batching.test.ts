import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type RnnkitServer } from '../src/index.js';
import { appOrUndefined, call, metricValue, tempDir, trainTiny } from './helpers.js';

/**
 * Micro-batching with a real model whose predictor has predictBatch (mnist-rows): concurrent requests run as one
 * model call, and their outputs equal those of the same requests run one by one (probabilities within 1e-5).
 */

const mnist = await appOrUndefined('mnist-rows');
const root = tempDir();
const servers: RnnkitServer[] = [];
let dir: string;

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

/** Seeded images: a few strokes on a 28×28 grid, different for each i. */
function image(i: number): number[][] {
  let s = (i + 1) * 2654435761;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => (rand() < 0.15 + 0.01 * ((r + c + i) % 10) ? Math.round(rand() * 255) : 0)));
}

describe.runIf(mnist)('micro-batching (mnist-rows)', () => {
  beforeAll(async () => {
    dir = await trainTiny(mnist!, root);
  }, 600_000);

  async function run(batching: boolean, n: number) {
    const server = await createServer({ port: 0, models: [{ name: 'mnist', dir }], batching: { enabled: batching, waitMs: 50, maxBatch: 32 } });
    servers.push(server);
    const base = server.rnnkit.url;
    const outputs = await Promise.all(Array.from({ length: n }, (_, i) => call(base, 'POST', '/v1/mnist/predict', { pixels: image(i) })));
    for (const o of outputs) expect(o.status, o.text).toBe(200);
    const metrics = (await call(base, 'GET', '/metrics')).text;
    return {
      outputs: outputs.map((o) => o.body as { label: number; probabilities: number[] }),
      calls: metricValue(metrics, 'rnnkit_batch_size_count', { model: 'mnist' }),
      inputs: metricValue(metrics, 'rnnkit_batch_size_sum', { model: 'mnist' }),
    };
  }

  it('runs concurrent requests as fewer model calls, with the outputs of unbatched requests (within 1e-5)', async () => {
    const n = 24;
    const batched = await run(true, n);
    const alone = await run(false, n);
    expect(alone.calls).toBe(n);
    expect(batched.inputs).toBe(n);
    expect(batched.calls).toBeLessThan(n / 2);
    for (let i = 0; i < n; i++) {
      expect(batched.outputs[i].label).toBe(alone.outputs[i].label);
      batched.outputs[i].probabilities.forEach((p, k) => expect(Math.abs(p - alone.outputs[i].probabilities[k])).toBeLessThan(1e-5));
    }
    // Different inputs got different answers (the batch did not mix rows up).
    expect(new Set(batched.outputs.map((o) => o.probabilities[0])).size).toBeGreaterThan(n / 2);
  });

  it('a bad input among concurrent ones gets its own 400; the others are answered', async () => {
    const server = await createServer({ port: 0, models: [{ name: 'mnist', dir }], batching: { waitMs: 50 } });
    servers.push(server);
    const base = server.rnnkit.url;
    const [good, bad, good2] = await Promise.all([
      call(base, 'POST', '/v1/mnist/predict', { pixels: image(1) }),
      call(base, 'POST', '/v1/mnist/predict', { pixels: image(2).slice(1) }),
      call(base, 'POST', '/v1/mnist/predict', { pixels: image(3) }),
    ]);
    expect([good.status, bad.status, good2.status]).toEqual([200, 400, 200]);
    expect(bad.body.error).toMatch(/^body: field "pixels"/);
  });

  it('/v1/models says which models batch', async () => {
    const server = await createServer({ port: 0, models: [{ name: 'mnist', dir }] });
    servers.push(server);
    expect((await call(server.rnnkit.url, 'GET', '/v1/models')).body.models).toEqual([{ name: 'mnist', app: 'mnist-rows', streams: false, batching: true, sessions: false }]);
  });
});
