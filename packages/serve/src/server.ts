import { EventEmitter } from 'node:events';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import { RnnkitError, describeSchemaError, initBackend } from '@rnnkit/core';
import type { AnyApp } from './apps.js';
import { ServerMetrics } from './metrics.js';
import { loadModels, type ModelSpec, type ServedModel } from './models.js';
import { historyLimit, inputJsonSchema, openApiDocument } from './openapi.js';
import { BusyError, CancelledError, ModelRunner, TimeoutError } from './runner.js';
import { SessionStore, type Session, type SessionOptions } from './sessions.js';
import { STATIC_ROUTE, registerStatic, resolveWebRoot } from './static.js';

export interface Limits {
  /** Largest request body, in bytes (413 beyond). Default 1 MiB. */
  bodyLimit: number;
  /** Time budget of one request from admission: queued beyond it → 503, decoding beyond it → 504. Default 30 s. */
  timeoutMs: number;
  /** Requests admitted per model at once, queued or running (429 with Retry-After beyond). Default 64. */
  maxConcurrent: number;
  /** On shutdown, how long in-flight requests may take to finish before the server closes anyway. Default 30 s. */
  shutdownGraceMs: number;
}

export interface BatchingOptions {
  /** Merge concurrent predict requests of a model that has predictBatch. Default true. */
  enabled: boolean;
  /** Most inputs per model call. Default 32. */
  maxBatch: number;
  /** How long the first request of a batch waits for others, in ms. Default 0 (what queued during the previous call). */
  waitMs: number;
}

export interface ServeOptions {
  /** Model directories (`{ name, dir }`) or loaded predictors (`{ name, predictor, app? }`), each on /v1/<name>/. */
  models: readonly ModelSpec[];
  /** The apps whose models may be loaded (default: the app packages this package depends on). */
  apps?: readonly AnyApp[];
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8080; 0 picks a free port (see `server.rnnkit.url`). */
  port?: number;
  /** Listen at once (default true); false returns the app unlistened (for `inject`). */
  listen?: boolean;
  /** Require `Authorization: Bearer <token>` on every route but /healthz and /readyz. */
  token?: string;
  /** Allowed CORS origin(s); CORS is off when not given. */
  cors?: string | readonly string[];
  limits?: Partial<Limits>;
  batching?: Partial<BatchingOptions>;
  sessions?: Partial<SessionOptions>;
  /** Fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
  /**
   * A directory to serve at `/` (the web playground's build, apps/web/dist): GET and HEAD, confined to it (no `..`,
   * no symlink out of it), never shadowing the API routes, and public (no bearer token: a browser loads the page).
   */
  web?: string;
}

export const DEFAULT_LIMITS: Limits = { bodyLimit: 1024 * 1024, timeoutMs: 30_000, maxConcurrent: 64, shutdownGraceMs: 30_000 };
// No wait by default: measured, a wait only cost requests/s at every client count (scripts/load.mjs); under load the
// requests that queue while a model call runs make the batches.
export const DEFAULT_BATCHING: BatchingOptions = { enabled: true, maxBatch: 32, waitMs: 0 };
export const DEFAULT_SESSIONS: SessionOptions = { ttlMs: 30 * 60_000, maxSessions: 1000, maxTurns: 20 };

/** What the server adds to its Fastify instance. */
export interface ServerControl {
  readonly models: readonly ServedModel[];
  /** `http://host:port` once listening. */
  readonly url: string;
  /** True once shutdown began: new requests get 503, /readyz 503. */
  readonly draining: boolean;
  /** Requests on /v1 being answered (including open streams). */
  readonly active: number;
  /** The directory served at `/` (resolved), if any. */
  readonly web: string | undefined;
  /** Stops taking requests (503), lets in-flight ones finish (at most `graceMs`), then closes. Idempotent. */
  shutdown(graceMs?: number): Promise<void>;
  /** Per model: admitted requests (queued or running). */
  inFlight(model: string): number;
  /** Emits 'admitted' (model name) when a request is admitted to a model's queue. */
  readonly events: EventEmitter;
  readonly metrics: ServerMetrics;
}

export type RnnkitServer = FastifyInstance & { rnnkit: ServerControl };

/** An HTTP error whose message is sent as `{ error }`. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly headers: Record<string, string>;

  constructor(statusCode: number, message: string, headers: Record<string, string> = {}) {
    // No stack: the client gets the message, and the message names the cause (a log line of a 5xx shows it too);
    // capturing a stack was the largest single cost of a 404 in a server profile, and bad requests should be cheap.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message); // Error(string) cannot throw, so the limit is always restored
    Error.stackTraceLimit = limit;
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

interface ModelEntry {
  model: ServedModel;
  runner: ModelRunner;
  streams: boolean;
  /** Chat models (input with `history`): the most history turns the input takes. */
  maxHistory?: number;
}

const OPEN_PATHS = new Set(['/healthz', '/readyz']);
/** A refused body up to this size is read and dropped so that the client sees the 413 (see the onSend hook). */
const MAX_DRAINED_BODY = 64 * 1024 * 1024;
const ALWAYS_ANSWERED = new Set(['/healthz', '/readyz', '/metrics']);

function oneLine(text: string, max = 500): string {
  const line = text.split('\n')[0];
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function positive(name: string, value: number, min = 1): number {
  if (!Number.isFinite(value) || value < min) throw new RnnkitError(`${name} must be a number >= ${min}, got ${value}`);
  return value;
}

/** Splits the `stream` flag off a request body (the predictor's strict schema does not know it). */
function splitStream(body: unknown): { input: unknown; stream: boolean } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, 'stream')) return { input: body, stream: false };
  const { stream, ...input } = body as Record<string, unknown>;
  if (typeof stream !== 'boolean') throw new HttpError(400, 'body: field "stream" must be true or false');
  return { input, stream };
}

/** Maps any error to a status and a one-line message; bugs become 500 "internal error" (never a stack). */
function describeError(err: unknown): { status: number; message: string; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.statusCode, message: oneLine(err.message), headers: err.headers };
  if (err instanceof BusyError) return { status: 429, message: err.message, headers: { 'retry-after': '1' } };
  if (err instanceof TimeoutError) return err.phase === 'queued' ? { status: 503, message: err.message, headers: { 'retry-after': '1' } } : { status: 504, message: err.message, headers: {} };
  if (err instanceof CancelledError) return { status: 499, message: err.message, headers: {} };
  // The predictor's own refusals (an unknown character, input too long for the model) are the client's input.
  if (err instanceof RnnkitError) return { status: 400, message: oneLine(err.message), headers: {} };
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: oneLine((err as Error).message), headers: {} };
  }
  return { status: 500, message: 'internal error', headers: {} };
}

/**
 * Builds the server: loads every model (all or none: a model that fails stops start-up with one line), then
 * routes, limits, metrics, sessions and micro-batching, and listens (unless `listen: false`). The Fastify instance
 * it returns has `rnnkit` (url, shutdown, in-flight counts). Close it with `server.rnnkit.shutdown()` (graceful) or
 * `server.close()`; either disposes the models.
 */
export async function createServer(opts: ServeOptions): Promise<RnnkitServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const batching: BatchingOptions = { ...DEFAULT_BATCHING, ...opts.batching };
  const sessionOpts: SessionOptions = { ...DEFAULT_SESSIONS, ...opts.sessions };
  positive('the body limit', limits.bodyLimit);
  positive('the timeout', limits.timeoutMs);
  positive('the max concurrent requests', limits.maxConcurrent);
  positive('the max batch size', batching.maxBatch);
  positive('the batch wait', batching.waitMs, 0);
  positive('the session TTL', sessionOpts.ttlMs);
  positive('the max sessions', sessionOpts.maxSessions);
  positive('the max history turns', sessionOpts.maxTurns, 2);
  if (opts.token !== undefined && opts.token.length === 0) throw new RnnkitError('the token must not be empty');

  const webRoot = opts.web === undefined ? undefined : await resolveWebRoot(opts.web);
  await initBackend({ quiet: true }); // a no-op when the caller chose one (the CLI's --backend)
  const models = await loadModels(opts.models, opts.apps);
  try {
    return await build(opts, models, limits, batching, sessionOpts, webRoot);
  } catch (err) {
    for (const m of models) m.predictor.dispose();
    throw err;
  }
}

async function build(
  opts: ServeOptions, models: ServedModel[], limits: Limits, batching: BatchingOptions, sessionOpts: SessionOptions, webRoot: string | undefined,
): Promise<RnnkitServer> {
  const metrics = new ServerMetrics(models.map((m) => m.name));
  const events = new EventEmitter();
  const entries = new Map<string, ModelEntry>();
  for (const model of models) {
    const runner = new ModelRunner(model.name, model.predictor, {
      maxConcurrent: limits.maxConcurrent,
      batching: batching.enabled,
      maxBatch: batching.maxBatch,
      batchWaitMs: batching.waitMs,
      timeoutMs: limits.timeoutMs,
      onBatch: (size) => metrics.batchSize.observe({ model: model.name }, size),
      onInFlight: (n) => metrics.inFlight.set({ model: model.name }, n),
    });
    const limit = historyLimit(inputJsonSchema(model));
    entries.set(model.name, { model, runner, streams: typeof model.predictor.stream === 'function', maxHistory: limit });
  }
  const sessions = new SessionStore(sessionOpts, (n) => metrics.sessions.set(n));
  const token = opts.token === undefined ? undefined : digest(opts.token);
  const openApi = openApiDocument(models, { token: token !== undefined });

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.timeoutMs + 5_000,
    // Requests that arrive while closing go through the draining hook (503 with Retry-After, one JSON line).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });
  app.removeContentTypeParser('text/plain');
  // Fastify's JSON parser runs two regular expressions over every body, looking for a "__proto__" or "constructor"
  // key (each character possibly \u-escaped), before JSON.parse: on an mnist body that scan cost a third of the
  // parse. A body without either word and without any \u escape cannot hold such a key, so it goes to JSON.parse
  // alone; every other body, and any body JSON.parse refuses, takes Fastify's parser (the same refusals and messages).
  const fastifyJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.length > 0 && !text.includes('\\u') && !text.includes('__proto__') && !text.includes('constructor')) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        fastifyJson(req, text, done);
        return;
      }
      done(null, value);
      return;
    }
    fastifyJson(req, text, done);
  });

  let draining = false;
  let active = 0;
  let closing: Promise<void> | undefined;
  let url = '';
  const activeWaiters: (() => void)[] = [];

  // The hooks below take Fastify's callback form: an async hook costs a promise and a microtask turn on every request,
  // a measurable share of a batched mnist request (scripts/load.mjs).
  // One metrics record per response, when its connection is done with it (also for streams and aborted requests).
  app.addHook('onRequest', (req, reply, done) => {
    const start = process.hrtime.bigint();
    const path = pathOf(req.url);
    const counted = path.startsWith('/v1/');
    if (counted) active++;
    reply.raw.once('close', () => {
      const route = req.routeOptions.url ?? 'unmatched';
      const name = (req.params as { name?: string } | undefined)?.name;
      const model = name !== undefined && entries.has(name) ? name : '';
      const status = reply.raw.writableFinished ? String(reply.raw.statusCode) : '499';
      metrics.requests.inc({ method: req.method, route, model, status });
      metrics.latency.observe({ method: req.method, route, model }, Number(process.hrtime.bigint() - start) / 1e9);
      if (counted && --active === 0) for (const w of activeWaiters.splice(0)) w();
    });
    done();
  });

  if (opts.cors !== undefined) {
    const origins = [opts.cors].flat();
    await app.register(cors, {
      origin: origins.length === 1 ? origins[0] : origins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization'],
      exposedHeaders: ['retry-after'],
      maxAge: 600,
    });
  }

  // Answering from a callback hook: send, and do not call done.
  app.addHook('onRequest', (req, reply, done) => {
    const path = pathOf(req.url);
    if (draining && !ALWAYS_ANSWERED.has(path)) {
      reply.code(503).header('connection', 'close').header('retry-after', '5');
      void reply.send({ error: 'the server is shutting down; retry on another replica' });
      return;
    }
    // The playground's static files are public: a browser cannot send a bearer token when it loads a page.
    if (token && !OPEN_PATHS.has(path) && req.method !== 'OPTIONS' && req.routeOptions.url !== STATIC_ROUTE) {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(.+)$/i.exec(header);
      if (!match || !timingSafeEqual(digest(match[1].trim()), token)) {
        reply.code(401).header('www-authenticate', 'Bearer');
        void reply.send({ error: header === '' ? 'missing bearer token (Authorization: Bearer <token>)' : 'wrong bearer token' });
        return;
      }
    }
    done();
  });

  // A body refused by its Content-Length (413) is not read. Fastify then closes the connection, and the kernel resets
  // it while the client is still sending, so the client may never see the 413 (curl: "Broken pipe"). Keep the
  // connection instead: Node reads and drops the rest of the body (bounded by the request timeout), then the client
  // reads its 413. Absurd lengths are still closed at once.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode === 413 && !draining && reply.getHeader('connection') === 'close') {
      const length = Number(req.headers['content-length']);
      if (Number.isFinite(length) && length <= MAX_DRAINED_BODY) reply.removeHeader('connection');
    }
    done(null, payload);
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, message, headers } = describeError(err);
    if (status >= 500 && status !== 503 && status !== 504) req.log.error({ err }, 'request failed');
    if (err instanceof BusyError) metrics.rejected.inc({ model: err.model, reason: 'busy' });
    if (err instanceof TimeoutError) metrics.rejected.inc({ model: (req.params as { name?: string }).name ?? '', reason: `timeout_${err.phase}` });
    if (err instanceof CancelledError) metrics.rejected.inc({ model: (req.params as { name?: string }).name ?? '', reason: 'cancelled' });
    void reply.code(status).headers(headers).send({ error: message });
  });
  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${oneLine(pathOf(req.url), 100)}; see /openapi.json` });
  };
  app.setNotFoundHandler(notFound);
  if (webRoot !== undefined) registerStatic(app, webRoot, notFound);

  const entryOf = (name: string): ModelEntry => {
    const entry = entries.get(name);
    if (!entry) throw new HttpError(404, `no model named "${oneLine(name, 80)}" (served: ${[...entries.keys()].join(', ')})`);
    return entry;
  };
  /**
   * The input as the predictor parses it (its schema, or a fast path for large inputs): validated once, here, so
   * that a refused input never waits in the queue; the runner then calls the predictor's `run`.
   */
  const validate = (entry: ModelEntry, input: unknown): unknown => {
    const { predictor } = entry.model;
    if (predictor.parse) {
      try {
        return predictor.parse(input, 'body');
      } catch (err) {
        throw err instanceof RnnkitError ? new HttpError(400, err.message) : err;
      }
    }
    const result = predictor.inputSchema.safeParse(input);
    if (!result.success) throw new HttpError(400, describeSchemaError(result.error, 'body', input));
    return result.data;
  };
  // A write to a client that went away fails at once (EPIPE), but the socket learns it is destroyed only on a
  // later tick: decoding holds the event loop, so look at `errored` too.
  const clientGone = (req: FastifyRequest) => {
    const socket = req.raw.socket;
    return !socket || socket.destroyed || socket.errored != null;
  };

  /** Runs one request, as JSON or as server-sent events; `done` sees the output before it is sent. */
  const answer = async (
    req: FastifyRequest, reply: FastifyReply, entry: ModelEntry, input: unknown, stream: boolean, done?: (output: unknown) => void,
  ): Promise<unknown> => {
    if (stream && !entry.streams) throw new HttpError(400, `body: field "stream": the ${entry.model.app} model "${entry.model.name}" does not stream`);
    const raw = reply.raw;
    let open = false;
    const send = (event: string, data: unknown) => {
      if (raw.destroyed || raw.writableEnded) return;
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      // http corks the socket until the next tick; decoding holds the event loop, so flush each event now.
      if (raw.socket && raw.socket.writableCorked > 0) raw.socket.uncork();
    };
    const openStream = () => {
      if (open) return;
      open = true;
      reply.hijack();
      const headers = { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
      raw.writeHead(200, headers);
      raw.flushHeaders();
    };
    const promise = entry.runner.submit(input, {
      isCancelled: () => clientGone(req) || raw.destroyed,
      ...(stream ? { onToken: (text: string) => (openStream(), send('token', { text })) } : {}),
    });
    events.emit('admitted', entry.model.name);
    let output: unknown;
    try {
      output = await promise;
      done?.(output);
    } catch (err) {
      if (!open) throw err;
      const { status, message } = describeError(err);
      if (err instanceof CancelledError) {
        metrics.rejected.inc({ model: entry.model.name, reason: 'cancelled' });
        raw.destroy();
      } else {
        send('error', { status, error: message });
        raw.end();
      }
      return undefined;
    }
    if (!stream) return output;
    openStream();
    send('done', output);
    raw.end();
    return undefined;
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (draining) return reply.code(503).send({ status: 'shutting down' });
    return { status: 'ready', models: models.map((m) => m.name) };
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  app.get('/openapi.json', async () => openApi);
  app.get('/v1/models', async () => ({
    models: [...entries.values()].map((e) => ({
      name: e.model.name,
      app: e.model.app,
      streams: e.streams,
      batching: e.runner.batches,
      sessions: e.maxHistory !== undefined,
    })),
  }));

  app.post<{ Params: { name: string } }>('/v1/:name/predict', async (req, reply) => {
    const entry = entryOf(req.params.name);
    const { input, stream } = splitStream(req.body);
    return answer(req, reply, entry, validate(entry, input), stream);
  });

  const chatEntry = (name: string): ModelEntry & { maxHistory: number } => {
    const entry = entryOf(name);
    if (entry.maxHistory === undefined) throw new HttpError(404, `model "${name}" (${entry.model.app}) has no chat sessions: its input has no "history"`);
    return entry as ModelEntry & { maxHistory: number };
  };
  const sessionOf = (entry: ModelEntry, id: string): Session => {
    const session = sessions.get(entry.model.name, id);
    if (!session) throw new HttpError(404, `no session "${oneLine(id, 80)}" for model "${entry.model.name}" (unknown or expired after ${Math.round(sessionOpts.ttlMs / 1000)} s unused)`);
    return session;
  };
  const sessionJson = (s: Session) => ({ id: s.id, model: s.model, history: s.history, expiresAt: sessions.expiresAt(s) });

  app.post<{ Params: { name: string } }>('/v1/:name/sessions', async (req, reply) => {
    const entry = chatEntry(req.params.name);
    if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Object.keys(req.body).length > 0)) {
      throw new HttpError(400, 'body: a new session takes no fields (send nothing or {})');
    }
    const session = sessions.create(entry.model.name);
    if (!session) throw new HttpError(429, `${sessionOpts.maxSessions} sessions are answering messages; retry later`, { 'retry-after': '1' });
    return reply.code(201).send(sessionJson(session));
  });
  app.get<{ Params: { name: string; id: string } }>('/v1/:name/sessions/:id', async (req) => sessionJson(sessionOf(chatEntry(req.params.name), req.params.id)));
  app.delete<{ Params: { name: string; id: string } }>('/v1/:name/sessions/:id', async (req, reply) => {
    const entry = chatEntry(req.params.name);
    const session = sessionOf(entry, req.params.id);
    if (session.busy) throw new HttpError(409, 'a message of this session is being answered; delete it afterwards');
    sessions.delete(session.id);
    return reply.code(204).send();
  });
  app.post<{ Params: { name: string; id: string } }>('/v1/:name/sessions/:id/messages', async (req, reply) => {
    const entry = chatEntry(req.params.name);
    const session = sessionOf(entry, req.params.id);
    const { input, stream } = splitStream(req.body);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new HttpError(400, 'body: expected an object such as {"message": "Hello"}');
    if (Object.hasOwn(input, 'history')) throw new HttpError(400, 'body: field "history" is kept by the session; send only the new message');
    // Whole user/bot pairs, at most what the session keeps and what the model's input takes.
    const turns = 2 * Math.floor(Math.min(sessionOpts.maxTurns, entry.maxHistory) / 2);
    const full = { ...(input as Record<string, unknown>), history: turns > 0 ? session.history.slice(-turns) : [] };
    const parsed = validate(entry, full);
    if (session.busy) throw new HttpError(409, 'another message of this session is being answered; wait for its reply');
    session.busy = true;
    try {
      return await answer(req, reply, entry, parsed, stream, (output) => {
        const reply = replyText(output);
        if (reply === undefined) throw new HttpError(500, 'the model returned no reply text');
        sessions.append(session, (input as { message: string }).message, reply);
      });
    } finally {
      session.busy = false;
    }
  });

  app.addHook('onClose', async () => {
    sessions.close();
    for (const { runner } of entries.values()) runner.clear(new HttpError(503, 'the server closed'));
    for (const m of models) m.predictor.dispose();
  });

  const control: ServerControl = {
    models,
    get url() {
      return url;
    },
    get draining() {
      return draining;
    },
    get active() {
      return active;
    },
    web: webRoot,
    events,
    metrics,
    inFlight: (name) => entries.get(name)?.runner.inFlight ?? 0,
    shutdown(graceMs = limits.shutdownGraceMs) {
      if (closing) return closing;
      draining = true;
      closing = (async () => {
        const drained = active === 0 ? Promise.resolve() : new Promise<void>((resolve) => activeWaiters.push(resolve));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
        await app.close();
      })();
      return closing;
    },
  };
  app.decorate('rnnkit', control);

  if (opts.listen !== false) {
    await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    url = `http://${host}:${address.port}`;
  }
  return app as unknown as RnnkitServer;
}

/** The reply text of a chat model's output (`reply`, else `text`). */
function replyText(output: unknown): string | undefined {
  const o = output as { reply?: unknown; text?: unknown } | null;
  if (typeof o?.reply === 'string') return o.reply;
  if (typeof o?.text === 'string') return o.text;
  return undefined;
}
