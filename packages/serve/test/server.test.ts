import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '@rnnkit/core';
import { HttpError, createServer, type RnnkitServer, type ServeOptions } from '../src/index.js';
import type { AnyApp } from '../src/apps.js';
import { appOrUndefined, call, metricValue, rawConnections, rawRequest, sseFromChild, tempDir, trainTiny } from './helpers.js';

/**
 * The real server on a random loopback port, with real tiny models trained here through core's runTraining:
 * every endpoint, the 400/401/404/413/415/429/503/504 paths, streaming, sessions, metrics, OpenAPI, graceful
 * shutdown, and no tensor growth across requests.
 */

const root = tempDir();
let textgen: AnyApp;
let chatbot: AnyApp | undefined;
let summarize: AnyApp | undefined;
const dirs: Record<string, string> = {};
const servers: RnnkitServer[] = [];

beforeAll(async () => {
  textgen = (await appOrUndefined('textgen'))!;
  dirs.textgen = await trainTiny(textgen, root);
  chatbot = await appOrUndefined('chatbot');
  if (chatbot) dirs.chatbot = await trainTiny(chatbot, root);
  summarize = await appOrUndefined('summarize');
  if (summarize) dirs.summarize = await trainTiny(summarize, root);
}, 600_000);

const appOf = (name: string) => ({ textgen, chatbot, summarize })[name]!;

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

async function start(opts: Partial<ServeOptions> = {}): Promise<RnnkitServer> {
  const models = opts.models ?? Object.entries(dirs).map(([name, dir]) => ({ name, dir }));
  const server = await createServer({ port: 0, ...opts, models });
  servers.push(server);
  return server;
}

const portOf = (s: RnnkitServer) => (s.server.address() as AddressInfo).port;
const TEXT = { text: 'ROMEO:', decode: { strategy: 'sample', seed: 7, maxLen: 40 } } as const;

describe('one server with every model', () => {
  let server: RnnkitServer;
  let base: string;

  beforeAll(async () => {
    server = await start();
    base = server.rnnkit.url;
  });

  it('listens on loopback and answers /healthz, /readyz and /v1/models', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(base, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await call(base, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.models).toEqual(Object.keys(dirs));
    const models = (await call(base, 'GET', '/v1/models')).body.models;
    expect(models[0]).toEqual({ name: 'textgen', app: 'textgen', streams: true, batching: true, sessions: false });
  });

  it("POST /v1/<name>/predict answers each app's example with its output; seeded sampling repeats", async () => {
    for (const name of Object.keys(dirs)) {
      const app = appOf(name);
      const res = await call(base, 'POST', `/v1/${name}/predict`, app.predict.example);
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(res.body).length).toBeGreaterThan(0);
    }
    const a = await call(base, 'POST', '/v1/textgen/predict', TEXT);
    const b = await call(base, 'POST', '/v1/textgen/predict', TEXT);
    expect(a.body.text).toHaveLength(40);
    expect(b.body).toEqual(a.body);
  });

  it.each([
    ['an unknown field', { ...TEXT, bogus: 1 }, /^body: unknown field "bogus"$/],
    ['a wrong type', { text: 5 }, /^body: field "text": .*\(got 5\)$/],
    ['a nested wrong value', { text: 'a', decode: { temperature: 99 } }, /^body: field "decode.temperature"/],
    ['a missing field', {}, /^body: field "text"/],
    ['not an object', [1, 2], /^body: value: /],
    ['"stream" not a boolean', { ...TEXT, stream: 'yes' }, /^body: field "stream" must be true or false$/],
    ['a character the model does not know', { text: 'ROMEO: \u{1F600}' }, /text/],
  ])('400 for %s, one line naming the field, never a stack', async (_what, body, message) => {
    const res = await call(base, 'POST', '/v1/textgen/predict', body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatch(message);
    expect(res.body.error).not.toMatch(/\n|\s+at /);
  });

  it('400 for invalid JSON and an empty JSON body; 415 for another content type', async () => {
    const invalid = await call(base, 'POST', '/v1/textgen/predict', '{"text": "a",');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/not valid JSON/);
    const empty = await call(base, 'POST', '/v1/textgen/predict', '');
    expect(empty.status).toBe(400);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const res = await call(base, 'POST', '/v1/textgen/predict', 'text=a', { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect(res.body.error).toMatch(/Unsupported Media Type/i);
    }
  });

  it('400 for a "__proto__" or "constructor" key, escaped or not; such words inside a value are text like any other', async () => {
    for (const body of [
      '{"text": "a", "__proto__": {"x": 1}}',
      '{"text": "a", "\\u005f_proto__": {"x": 1}}',
      '{"text": "a", "constructor": {"prototype": {"x": 1}}}',
      '{"text": "a", "\\u0063onstructor": {"prototype": {"x": 1}}}',
    ]) {
      const res = await call(base, 'POST', '/v1/textgen/predict', body);
      expect(res.status, body).toBe(400);
      // Refused by the JSON parser itself, before the predictor's schema could see (and refuse) an unknown field.
      expect(res.body.error, body).toMatch(/not valid JSON/);
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    for (const text of ['the constructor', 'ROMEO\\u003a']) {
      const res = await call(base, 'POST', '/v1/textgen/predict', `{"text": "${text}", "decode": {"strategy": "greedy", "maxLen": 3}}`);
      expect(res.status, text).toBe(200);
      expect(typeof res.body.text, text).toBe('string');
    }
  });

  it('404 for an unknown model or route, naming the served models', async () => {
    const res = await call(base, 'POST', '/v1/nope/predict', TEXT);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe(`no model named "nope" (served: ${Object.keys(dirs).join(', ')})`);
    const route = await call(base, 'GET', '/v2/whatever');
    expect(route.status).toBe(404);
    expect(route.body.error).toMatch(/^no route GET \/v2\/whatever/);
    // The refusal skips the stack capture, and the process's stack depth is back afterwards.
    const limit = Error.stackTraceLimit;
    const err = new HttpError(404, 'gone', { 'retry-after': '1' });
    expect([err.statusCode, err.message, err.headers, err.stack]).toEqual([404, 'gone', { 'retry-after': '1' }, 'HttpError: gone']);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });

  it('streams server-sent events, one per token, arriving before the end; their text is the final text', async () => {
    const body = { text: 'ROMEO:', stream: true, decode: { strategy: 'sample', seed: 11, maxLen: 1000 } };
    const { status, events } = await sseFromChild(`${base}/v1/textgen/predict`, body);
    expect(status).toBe(200);
    const tokens = events.filter((e) => e.event === 'token');
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(tokens).toHaveLength(1000);
    expect(tokens.map((e) => e.data.text).join('')).toBe(done.data.text);
    // Streamed, not buffered until the end: the first token reached the client long before the last event, and
    // the events arrived over many reads, not one.
    expect(tokens[0].at).toBeLessThan(done.at * 0.6);
    expect(done.at - tokens[0].at).toBeGreaterThan(10);
    expect(new Set(tokens.map((e) => Math.round(e.at))).size).toBeGreaterThan(5);
    // The same seeded request without streaming gives the same text.
    const { stream: _s, ...plain } = body;
    expect((await call(base, 'POST', '/v1/textgen/predict', plain)).body.text).toBe(done.data.text);
  });

  it.each([
    ['chatbot', { message: 'How are you?', history: ['Hello', 'Hi'] }, 'reply'],
    ['summarize', { text: 'The Delhi government on Monday said it saved 290 MW of power during the Earth Hour.' }, 'summary'],
  ] as const)('%s streams greedy and sampled decoding piece by piece; beam search arrives whole, with its n-best list', async (name, input, field) => {
    if (!dirs[name]) return;
    const url = `${base}/v1/${name}/predict`;
    for (const decode of [{ strategy: 'greedy', maxLen: 8 }, { strategy: 'sample', seed: 4, maxLen: 8 }]) {
      const { events } = await sseFromChild(url, { ...input, decode, stream: true });
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      const pieces = events.filter((e) => e.event === 'token').map((e) => e.data.text);
      expect(pieces.length).toBeGreaterThan(0);
      expect(pieces.join('')).toBe(done.data[field]);
      expect((await call(base, 'POST', `/v1/${name}/predict`, { ...input, decode })).body).toEqual(done.data);
    }
    const beam = await sseFromChild(url, { ...input, decode: { strategy: 'beam', beamWidth: 3, maxLen: 8 }, stream: true });
    const done = beam.events.at(-1)!;
    expect(done.event).toBe('done');
    expect(beam.events.filter((e) => e.event === 'token').map((e) => e.data.text).join('')).toBe(name === 'summarize' ? done.data.summary : '');
    if (name === 'chatbot') expect(done.data.alternatives.length).toBeGreaterThan(0);
  });

  it('a streamed request reports errors before the first token as JSON, with the status', async () => {
    const res = await call(base, 'POST', '/v1/textgen/predict', { text: 'a\u{1F600}', stream: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/text/);
  });

  it('stops decoding when the streaming client disconnects', async () => {
    const metricsBefore = (await call(base, 'GET', '/metrics')).text;
    const cancelledBefore = metricValue(metricsBefore, 'rnnkit_rejected_total', { model: 'textgen', reason: 'cancelled' });
    const started = Date.now();
    // 10,000 characters would take tens of seconds; the client leaves after 3 events.
    const { events } = await sseFromChild(`${base}/v1/textgen/predict`, { text: 'ROMEO:', stream: true, decode: { maxLen: 10_000 } }, { abortAfter: 3 });
    expect(events).toHaveLength(3);
    const res = await call(base, 'POST', '/v1/textgen/predict', { text: 'a', decode: { maxLen: 2 } });
    expect(res.status).toBe(200);
    const metrics = (await call(base, 'GET', '/metrics')).text;
    expect(metricValue(metrics, 'rnnkit_rejected_total', { model: 'textgen', reason: 'cancelled' })).toBe(cancelledBefore + 1);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('GET /metrics is Prometheus text with requests by route and status, latency, batch sizes, in-flight, tensors, RSS', async () => {
    const res = await call(base, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // The text format's sample lines (Prometheus parses NaN and Inf in any case; prom-client writes "Nan").
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|\+?Inf)$/i;
    for (const line of res.text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      expect(line).toMatch(sample);
    }
    const t = res.text;
    expect(metricValue(t, 'rnnkit_http_requests_total', { route: '/v1/:name/predict', model: 'textgen', status: '200' })).toBeGreaterThan(2);
    expect(metricValue(t, 'rnnkit_http_requests_total', { route: '/v1/:name/predict', status: '400' })).toBeGreaterThan(2);
    expect(metricValue(t, 'rnnkit_http_request_duration_seconds_count', { route: '/v1/:name/predict', model: 'textgen' })).toBeGreaterThan(2);
    expect(metricValue(t, 'rnnkit_batch_size_count', { model: 'textgen' })).toBeGreaterThan(2);
    expect(t).toMatch(/^rnnkit_inflight_requests\{model="textgen"\} 0$/m);
    expect(metricValue(t, 'rnnkit_tf_tensors')).toBe(tf.memory().numTensors);
    expect(metricValue(t, 'rnnkit_process_rss_bytes')).toBeGreaterThan(10e6);
  });

  it('GET /openapi.json has a predict path per model, with the schema and the example of its app', async () => {
    const doc = (await call(base, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const name of Object.keys(dirs)) {
      const op = doc.paths[`/v1/${name}/predict`].post;
      const content = op.requestBody.content['application/json'];
      expect(content.example).toEqual(appOf(name).predict.example);
      expect(content.schema.type).toBe('object');
      expect(content.schema.additionalProperties).toBe(false);
      expect(content.schema.properties.stream).toEqual(expect.objectContaining({ type: 'boolean' }));
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '429', '503']));
    }
    expect(doc.paths['/v1/textgen/predict'].post.requestBody.content['application/json'].schema.properties.text.type).toBe('string');
    expect(doc.paths['/v1/textgen/sessions']).toBeUndefined();
    if (chatbot) expect(doc.paths['/v1/chatbot/sessions/{id}/messages'].post.requestBody.content['application/json'].schema.properties.history).toBeUndefined();
  });

  it('keeps tf.memory().numTensors flat across 200 requests (valid, invalid, streamed, cancelled)', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      const kind = i % 10;
      if (kind === 0) await call(base, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', bogus: i });
      else if (kind === 1) await call(base, 'POST', '/v1/textgen/predict', { text: 'x\u{1F600}' });
      else if (kind === 2) await call(base, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', stream: true, decode: { maxLen: 8, seed: i } });
      else if (kind === 3 && chatbot) await call(base, 'POST', '/v1/chatbot/predict', { message: 'Hello there', decode: { strategy: i % 20 === 3 ? 'beam' : 'sample', seed: i, maxLen: 6 } });
      else await call(base, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 8, seed: i } });
    }
    await sseFromChild(`${base}/v1/textgen/predict`, { text: 'ROMEO:', stream: true, decode: { maxLen: 10_000 } }, { abortAfter: 2 });
    await call(base, 'GET', '/healthz');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe.runIf(await appOrUndefined('chatbot'))('chat sessions (chatbot)', () => {
  let base: string;

  beforeAll(async () => {
    const server = await start({ sessions: { ttlMs: 60_000, maxSessions: 3, maxTurns: 4 } });
    base = server.rnnkit.url;
  });

  it('keeps the history server-side, at most maxTurns turns, and forgets a deleted session', async () => {
    const created = await call(base, 'POST', '/v1/chatbot/sessions');
    expect(created.status).toBe(201);
    const { id } = created.body;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const replies: string[] = [];
    for (const message of ['Hello', 'How are you?', 'What is your name?']) {
      const res = await call(base, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message, decode: { strategy: 'greedy', maxLen: 6 } });
      expect(res.status, res.text).toBe(200);
      replies.push(res.body.reply);
    }
    const session = (await call(base, 'GET', `/v1/chatbot/sessions/${id}`)).body;
    expect(session.history).toEqual(['How are you?', replies[1], 'What is your name?', replies[2]]);
    // The session's reply is the predictor's reply to the same conversation.
    const direct = await call(base, 'POST', '/v1/chatbot/predict', { message: 'Bye', history: session.history, decode: { strategy: 'greedy', maxLen: 6 } });
    const viaSession = await call(base, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message: 'Bye', decode: { strategy: 'greedy', maxLen: 6 } });
    expect(viaSession.body).toEqual(direct.body);
    expect((await call(base, 'DELETE', `/v1/chatbot/sessions/${id}`)).status).toBe(204);
    expect((await call(base, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message: 'Hi' })).status).toBe(404);
  });

  it('streams a session reply, and refuses history, unknown fields and unknown sessions', async () => {
    const { id } = (await call(base, 'POST', '/v1/chatbot/sessions')).body;
    const { events } = await sseFromChild(`${base}/v1/chatbot/sessions/${id}/messages`, { message: 'Hello', stream: true, decode: { strategy: 'sample', seed: 3, maxLen: 6 } });
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect((await call(base, 'GET', `/v1/chatbot/sessions/${id}`)).body.history).toEqual(['Hello', done.data.reply]);
    const history = await call(base, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message: 'Hi', history: [] });
    expect(history.status).toBe(400);
    expect(history.body.error).toMatch(/"history" is kept by the session/);
    expect((await call(base, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message: 'Hi', mood: 1 })).body.error).toBe('body: unknown field "mood"');
    expect((await call(base, 'POST', '/v1/chatbot/sessions/nope/messages', { message: 'Hi' })).status).toBe(404);
    expect((await call(base, 'POST', '/v1/textgen/sessions')).status).toBe(404);
  });

  it('keeps at most maxSessions (the least recently used goes first)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await call(base, 'POST', '/v1/chatbot/sessions')).body.id);
    expect((await call(base, 'GET', `/v1/chatbot/sessions/${ids[0]}`)).status).toBe(404);
    expect((await call(base, 'GET', `/v1/chatbot/sessions/${ids[3]}`)).status).toBe(200);
  });

  it('forgets a session after its TTL', async () => {
    const server = await start({ sessions: { ttlMs: 50 } });
    const { id } = (await call(server.rnnkit.url, 'POST', '/v1/chatbot/sessions')).body;
    await new Promise((r) => setTimeout(r, 120));
    const res = await call(server.rnnkit.url, 'POST', `/v1/chatbot/sessions/${id}/messages`, { message: 'Hi' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/unknown or expired/);
  });
});

describe('limits', () => {
  it('413 for a body over the limit, which the client gets to read even for a body of megabytes', async () => {
    const server = await start({ limits: { bodyLimit: 1024 } });
    const res = await call(server.rnnkit.url, 'POST', '/v1/textgen/predict', { text: 'a'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/too large/);
    // Refused by its Content-Length before it is read: the server must not reset the connection under the client.
    for (let i = 0; i < 3; i++) expect((await call(server.rnnkit.url, 'POST', '/v1/textgen/predict', { text: 'a'.repeat(3_000_000) })).status).toBe(413);
    expect((await call(server.rnnkit.url, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 3 } })).status).toBe(200);
  });

  it('429 with Retry-After beyond the concurrent requests a model admits', async () => {
    const server = await start({ limits: { maxConcurrent: 1 } });
    const body = { text: 'ROMEO:', decode: { maxLen: 200 } };
    const conns = await rawConnections(portOf(server), [rawRequest('/v1/textgen/predict', body), rawRequest('/v1/textgen/predict', body)]);
    // The second request arrives while the first is admitted (queued or decoding).
    server.rnnkit.events.once('admitted', () => conns.send(1));
    conns.send(0);
    const [first, busy] = await conns.responses;
    expect(first.status).toBe(200);
    expect(busy.status).toBe(429);
    expect(busy.headers['retry-after']).toBe('1');
    expect(JSON.parse(busy.body).error).toMatch(/^model "textgen" is busy \(1 requests in flight\)/);
  });

  it('504 when decoding runs past the timeout (the decoding stops at the next token)', async () => {
    const server = await start({ limits: { timeoutMs: 50 } });
    const started = Date.now();
    const res = await call(server.rnnkit.url, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 10_000 } });
    expect(res.status).toBe(504);
    expect(res.body.error).toMatch(/timed out after 50 ms while decoding/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('401 without the bearer token on every route but /healthz and /readyz', async () => {
    const server = await start({ token: 's3cret' });
    const base = server.rnnkit.url;
    const none = await call(base, 'POST', '/v1/textgen/predict', TEXT);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await call(base, 'POST', '/v1/textgen/predict', TEXT, { authorization: 'Bearer nope' })).status).toBe(401);
    for (const path of ['/metrics', '/openapi.json', '/v1/models']) expect((await call(base, 'GET', path)).status).toBe(401);
    expect((await call(base, 'POST', '/v1/textgen/predict', TEXT, { authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await call(base, 'GET', '/healthz')).status).toBe(200);
    expect((await call(base, 'GET', '/readyz')).status).toBe(200);
    const doc = (await call(base, 'GET', '/openapi.json', undefined, { authorization: 'Bearer s3cret' })).body;
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('CORS is off unless an origin is given, then only that origin is allowed', async () => {
    const plain = await start();
    const off = await fetch(`${plain.rnnkit.url}/healthz`, { headers: { origin: 'https://app.example' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
    const server = await start({ cors: 'https://app.example' });
    const on = await fetch(`${server.rnnkit.url}/v1/textgen/predict`, {
      method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/json' }, body: JSON.stringify(TEXT),
    });
    expect(on.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const preflight = await fetch(`${server.rnnkit.url}/v1/textgen/predict`, {
      method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  it('graceful shutdown: the in-flight request completes while a new one gets 503, then the server closes', async () => {
    const server = await start();
    const port = portOf(server);
    const conns = await rawConnections(port, [
      rawRequest('/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 150, seed: 1 } }),
      rawRequest('/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 5 } }),
    ]);
    let closed: Promise<void> | undefined;
    server.rnnkit.events.once('admitted', () => {
      // The first request is queued, not finished: shut down now, then send the second.
      closed = server.rnnkit.shutdown();
      conns.send(1);
    });
    conns.send(0);
    const [first, second] = await conns.responses;
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body).text).toHaveLength(150);
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBeDefined();
    expect(JSON.parse(second.body).error).toMatch(/shutting down/);
    await closed;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('/readyz answers 503 while draining', async () => {
    const server = await start();
    const conns = await rawConnections(portOf(server), [rawRequest('/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 100 } }), rawRequest('/readyz')]);
    server.rnnkit.events.once('admitted', () => {
      void server.rnnkit.shutdown();
      conns.send(1);
    });
    conns.send(0);
    const [predicted, ready] = await conns.responses;
    expect(predicted.status).toBe(200);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: 'shutting down' });
  });
});

describe('start-up', () => {
  it('a model dir that fails to load stops start-up with one line naming it, and nothing listens', async () => {
    const missing = `${root}/nope`;
    const err = await createServer({ port: 0, models: [{ name: 'textgen', dir: dirs.textgen }, { name: 'x', dir: missing }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RnnkitError);
    expect((err as Error).message).toMatch(new RegExp(`^--model x=${missing}: `));
    expect((err as Error).message).not.toContain('\n');
  });

  it('refuses a model of an app the server does not know', async () => {
    if (!dirs.chatbot) return;
    const err = await createServer({ port: 0, apps: [textgen], models: [{ name: 'bot', dir: dirs.chatbot }] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`--model bot=${dirs.chatbot}: ${dirs.chatbot}/model: holds a chatbot model, and no app named chatbot is installed (known: textgen)`);
  });

  it('refuses two models with the same route name', async () => {
    const err = await createServer({ port: 0, models: [{ dir: dirs.textgen }, { dir: dirs.textgen }] }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('two models are named "textgen": give each --model its own NAME= prefix');
  });
});
