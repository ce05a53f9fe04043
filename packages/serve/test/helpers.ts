import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandContext, initBackend, runTraining, type AppDefinition, type CommonTrainingConfig } from '@rnnkit/core';
import { findApp, type AnyApp } from '../src/apps.js';

if (!process.env.RNNKIT_DATA_DIR) throw new Error('RNNKIT_DATA_DIR is not set: the serve tests train tiny models on the real datasets');

export const ROOT = new URL('../../..', import.meta.url).pathname;

export function tempDir(prefix = 'rnnkit-serve-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Per app: the config values of a tiny training run (a few seconds on the 2-core machine). */
export const TINY: Record<string, Record<string, unknown>> = {
  textgen: { units: [16], embedDim: 4, seqLen: 16, batchSize: 8, sampleLength: 0 },
  chatbot: { units: [8], embedDim: 8, maxContextLen: 12, maxResponseLen: 8, batchSize: 8, attention: 'general', dropout: 0 },
  'mnist-rows': { units: [8], cell: 'gru', maxTrain: 256, batchSize: 32 },
  summarize: { units: [8], embedDim: 8, maxVocab: 500, batchSize: 8, maxValBatches: 1 },
  sentiment: { cell: 'gru', units: [8], embedDim: 8, attentionUnits: 4, maxTrain: 500, batchSize: 16, baselines: false },
  stocks: { tickers: ['AAPL'], folds: 1, epochs: 1, fineTuneEpochs: 1, units: [8], lookback: 10, batchSize: 16 },
};

/** The app definition named `name`, when its package exports one (apps are being converted one by one). */
export async function appOrUndefined(name: string): Promise<AnyApp | undefined> {
  const dir = join(ROOT, 'apps', name, 'src', 'app.ts');
  if (!existsSync(dir)) return undefined;
  return findApp(name);
}

/** Trains a tiny model of `app` through core's runTraining (the CLI's path) and returns its run directory. */
export async function trainTiny(app: AnyApp, root: string, extra: Record<string, unknown> = {}): Promise<string> {
  await initBackend({ quiet: true });
  const out = join(root, app.name);
  const config = app.configSchema.parse({ ...TINY[app.name], epochs: 1, maxStepsPerEpoch: 2, seed: 1, ...extra, out }) as CommonTrainingConfig;
  await runTraining(app as AppDefinition<CommonTrainingConfig>, config, false, commandContext({ quiet: true, out: () => {} }));
  return out;
}

export interface Response {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A request to the server; the body is JSON unless a string (sent as is) or `raw` options are given. */
export async function call(
  base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {},
): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export interface SseEvent {
  event: string;
  data: any;
  /** ms since the request was sent, as seen by the client. */
  at: number;
}

/**
 * A streaming request made from another process, so that arrival times are the client's (the server's decoding
 * holds this process's event loop). `abortAfter`: close the connection after that many events.
 */
export function sseFromChild(url: string, body: unknown, opts: { abortAfter?: number; headers?: Record<string, string> } = {}): Promise<{ status: number; events: SseEvent[] }> {
  const script = `
    const [url, body, abortAfter, headers] = [process.argv[1], process.argv[2], Number(process.argv[3]), JSON.parse(process.argv[4])];
    const t0 = performance.now();
    const ctrl = new AbortController();
    const events = [];
    let status = 0;
    (async () => {
      try {
        const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: ctrl.signal });
        status = res.status;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\\n\\n')) >= 0) {
            const block = buf.slice(0, i); buf = buf.slice(i + 2);
            const lines = block.split('\\n');
            const event = (lines.find((l) => l.startsWith('event: ')) || 'event: message').slice(7);
            const data = JSON.parse(lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n'));
            events.push({ event, data, at: performance.now() - t0 });
            if (abortAfter > 0 && events.length >= abortAfter) { ctrl.abort(); throw new Error('aborted'); }
          }
        }
      } catch (err) { if (!String(err).includes('abort')) { process.stderr.write(String(err.stack || err)); } }
      process.stdout.write(JSON.stringify({ status, events }));
    })();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, url, JSON.stringify(body), String(opts.abortAfter ?? 0), JSON.stringify(opts.headers ?? {})], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as { status: number; events: SseEvent[] });
      } catch {
        reject(new Error(`SSE client failed: ${err || out}`));
      }
    });
  });
}

/** The value of a metric sample in Prometheus text (the sum over samples matching `labels`). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseRawResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const status = Number(head[0].split(' ')[1]);
  const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  let body = text.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    for (;;) {
      const nl = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, nl), 16);
      if (!size) break;
      out += body.slice(nl + 2, nl + 2 + size);
      body = body.slice(nl + 2 + size + 2);
    }
    body = out;
  }
  return { status, headers, body };
}

/** An HTTP/1.1 request text (Connection: close) with a JSON body. */
export function rawRequest(path: string, body?: unknown, headers: Record<string, string> = {}): string {
  if (body === undefined) return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const lines = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

/**
 * Opens one connection per request (Connection: close); `send(i)` writes request i at once (synchronously, into the
 * kernel), so a test controls which turn of the server's event loop reads it. `responses` resolves with all.
 */
export async function rawConnections(port: number, requests: string[]): Promise<{ send(i: number): void; responses: Promise<RawResponse[]> }> {
  const net = await import('node:net');
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.on('error', reject);
        }),
    ),
  );
  const responses = Promise.all(
    sockets.map(
      (s) =>
        new Promise<RawResponse>((resolve) => {
          let data = '';
          s.on('data', (d: Buffer) => (data += d.toString('utf8')));
          s.on('close', () => resolve(parseRawResponse(data)));
        }),
    ),
  );
  // Let the server accept them all before anything is sent.
  await new Promise((r) => setTimeout(r, 50));
  return { send: (i) => sockets[i].write(requests[i]), responses };
}
