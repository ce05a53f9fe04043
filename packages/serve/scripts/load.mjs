#!/usr/bin/env node
// A small, bounded load and fuzz run of rnnkit-serve on loopback. It starts the built server (dist/cli.js) as a
// child process, once with micro-batching and once without, and for each model and client count sends requests for
// at most --seconds (and --max-requests), printing requests/s and p50/p99 latency. Then 500 malformed requests
// (wrong types, huge strings, invalid JSON, wrong content types, unknown fields, binary bodies, unknown routes):
// every one must be a 4xx, and the server must still answer correctly afterwards with as many tensors as before.
//
//   npm run build -w @rnnkit/serve && node packages/serve/scripts/load.mjs [--textgen DIR] [--mnist DIR]
//     [--seconds 6] [--max-requests 2000] [--clients 1,8] [--mnist-clients 1,8,32] [--max-len 200] [--fuzz 500]
//     [--no-pin]
//
// Without --textgen / --mnist it trains throwaway models first (textgen 1x128 LSTM, mnist-rows 1x64 GRU, two steps:
// the weights do not change the cost of a request) with the apps' built CLIs. Loopback only; stops by itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const HERE = new URL('.', import.meta.url).pathname;
const ROOT = join(HERE, '../../..');
const CLI = join(HERE, '../dist/cli.js');

const { values: args } = parseArgs({
  options: {
    textgen: { type: 'string' },
    mnist: { type: 'string' },
    seconds: { type: 'string', default: '6' },
    'max-requests': { type: 'string', default: '2000' },
    clients: { type: 'string', default: '1,8' },
    'mnist-clients': { type: 'string', default: '1,8,32' },
    'max-len': { type: 'string', default: '200' },
    fuzz: { type: 'string', default: '500' },
    'no-pin': { type: 'boolean', default: false },
    'no-mnist': { type: 'boolean', default: false },
  },
});
const SECONDS = Math.min(Number(args.seconds), 30);
const MAX_REQUESTS = Math.min(Number(args['max-requests']), 20_000);
const MAX_LEN = Number(args['max-len']);
const FUZZ = Math.min(Number(args.fuzz), 10_000);
const list = (s) => s.split(',').map(Number).filter((n) => n > 0 && n <= 64);

if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run "npm run build -w @rnnkit/serve" (and the apps' builds) first`);
  process.exit(1);
}

// Two cores: the server on one, this load generator on the other (other processes still share both).
const pin = !args['no-pin'] && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
if (pin) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

const tmp = mkdtempSync(join(tmpdir(), 'rnnkit-serve-load-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function train(app, cli, flags) {
  const out = join(tmp, app);
  const run = spawnSync(process.execPath, [join(ROOT, cli), 'train', '--out', out, '--epochs', '1', '--max-steps-per-epoch', '2', '--quiet', '--json', ...flags], {
    encoding: 'utf8', timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`training a throwaway ${app} model failed: ${run.stderr.split('\n').filter(Boolean).at(-1)}`);
  return out;
}

const textgenDir = args.textgen ?? train('textgen', 'apps/textgen/dist/cli.js', ['--units', '128', '--embed-dim', '32', '--seq-len', '16', '--batch-size', '8', '--sample-length', '0']);
let mnistDir = args.mnist;
if (!mnistDir && !args['no-mnist']) {
  try {
    mnistDir = train('mnist-rows', 'apps/mnist-rows/dist/cli.js', ['--cell', 'gru', '--units', '64', '--max-train', '256']);
  } catch (err) {
    console.log(`(no mnist figures: ${err.message})`);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

/** One request; resolves { status, body, ms } (status 0 on a connection error). */
function request(base, method, path, body, headers = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h = { ...headers };
    if (payload !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type') && !h['x-no-content-type']) h['content-type'] = 'application/json';
    delete h['x-no-content-type'];
    if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
    let status = 0;
    const chunks = [];
    const req = http.request(`${base}${path}`, { method, agent, headers: h }, (res) => {
      status = res.statusCode;
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
      res.on('error', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }));
    });
    // A server may answer (413) before the whole body is sent and close: the answer counts, not the failed write.
    req.on('error', (err) => setTimeout(() => resolve({ status, body: status ? Buffer.concat(chunks).toString('utf8') : String(err), ms: performance.now() - start }), 20));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function startServer(flags) {
  const cmd = [CLI, '--model', `textgen=${textgenDir}`, ...(mnistDir ? ['--model', `mnist=${mnistDir}`] : []), '--port', '0', '--max-concurrent', '256', ...flags];
  const child = pin ? spawn('taskset', ['-c', '0', process.execPath, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 120_000);
    const onData = (d) => {
      log += d;
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const backend = /rnnkit: (backend=\S+ native=\S+[^\n]*|warning: @rnnkit\/native unavailable)/.exec(log);
  return { child, url, backend: backend ? backend[1] : 'backend not reported' };
}

async function stopServer(server) {
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `clients` loops sending `body()` to `path` until the time or request budget is spent. */
async function measure(base, path, body, clients) {
  for (let i = 0; i < 3; i++) await request(base, 'POST', path, body(i)); // warm-up
  const latencies = [];
  let errors = 0;
  let sent = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline && sent < MAX_REQUESTS) {
        const i = sent++;
        const res = await request(base, 'POST', path, body(i));
        if (res.status === 200) latencies.push(res.ms);
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function metric(base, name) {
  const text = (await request(base, 'GET', '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

function image(i) {
  let s = (i + 1) * 2654435761;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: 784 }, () => (rand() < 0.2 ? Math.round(rand() * 255) : 0));
}

function fuzzCases(n) {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bytes = (k) => Buffer.from(Array.from({ length: k }, () => Math.floor(rand() * 256)));
  const P = '/v1/textgen/predict';
  const valid = JSON.stringify({ text: 'ROMEO:', decode: { maxLen: 5 } });
  const templates = [
    // wrong types and values
    () => [P, { text: 123 }], () => [P, { text: null }], () => [P, { text: [] }], () => [P, { text: {} }], () => [P, { text: true }],
    () => [P, { text: 'a', decode: 'x' }], () => [P, { text: 'a', decode: { maxLen: '5' } }], () => [P, { text: 'a', decode: { temperature: -1 } }],
    () => [P, { text: 'a', decode: { maxLen: 1e9 } }], () => [P, { text: 'a', decode: { strategy: 'beam' } }], () => [P, { text: 'a', decode: { seed: 1.5 } }],
    () => [P, { text: '' }], () => [P, { text: 'a', stream: 'yes' }], () => [P, '{"text": 1e400}'], () => [P, { text: 'a', decode: { topP: 0 } }],
    // huge strings: over the schema's limit (400) and over the body limit (413)
    () => [P, { text: 'a'.repeat(150_000) }], () => [P, { text: 'b'.repeat(1_200_000) }],
    // characters the model does not know (refused by the predictor)
    () => [P, { text: '\u{1F600}\u0000' }],
    // invalid JSON
    () => [P, valid.slice(0, Math.floor(rand() * (valid.length - 1)))], () => [P, '{'], () => [P, '{"text": }'], () => [P, "{'text': 'a'}"],
    () => [P, '{"text": "a",}'], () => [P, 'nul'], () => [P, '[1, 2'], () => [P, '\u0000\u0001'], () => [P, ''],
    () => [P, '['.repeat(5000) + ']'.repeat(5000)],
    // valid JSON that is not an input
    () => [P, '[]'], () => [P, '"ROMEO:"'], () => [P, '42'], () => [P, 'null'],
    // wrong content types
    () => [P, 'text=a', { 'content-type': 'text/plain' }], () => [P, '<text>a</text>', { 'content-type': 'application/xml' }],
    () => [P, 'text=a', { 'content-type': 'application/x-www-form-urlencoded' }], () => [P, valid, { 'x-no-content-type': '1' }],
    () => [P, '--x\r\n\r\na\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }],
    // unknown fields, prototype pollution
    () => [P, { text: 'a', foo: 1 }], () => [P, { text: 'a', decode: { foo: 1 } }], () => [P, '{"text": "a", "__proto__": {"x": 1}}'],
    () => [P, '{"text": "a", "constructor": {"prototype": {"x": 1}}}'], () => [P, { text: 'a', history: ['x'] }],
    // binary bodies
    () => [P, bytes(1 + Math.floor(rand() * 4096))], () => [P, bytes(512), { 'content-type': 'application/octet-stream' }],
    // unknown models and routes
    () => ['/v1/nope/predict', { text: 'a' }], () => ['/v1/textgen/sessions', {}], () => ['/v1/textgen/sessions/x/messages', { message: 'a' }],
    () => [`/v1/${'x'.repeat(300)}/predict`, { text: 'a' }], () => ['/v2/textgen/predict', { text: 'a' }],
  ];
  return Array.from({ length: n }, (_, i) => templates[i % templates.length]());
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log(`rnnkit-serve load run: ${SECONDS} s or ${MAX_REQUESTS} requests per row; ${pin ? 'server pinned to cpu 0, load generator to cpu 1' : 'no pinning'}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`textgen: ${MAX_LEN} characters per request (sampled, seeded), model ${textgenDir}${mnistDir ? `; mnist: one 28x28 image per request, model ${mnistDir}` : ''}`);
console.log('');
const rows = [];
let fuzzOk = true;
// textgen's predictor has no predictBatch: its "on" and "off" rows run the same code (they show the noise).
const MODES = [
  { label: 'on (5 ms)', batching: true, flags: [] },
  { label: 'on (0 ms)', batching: true, flags: ['--batch-wait-ms', '0'], only: 'mnist' },
  { label: 'off', batching: false, flags: ['--no-batching'] },
];
// Every mode's server runs at once (an idle one costs nothing) and the modes take turns row by row, so that the
// other processes on the machine disturb them alike.
const servers = [];
for (const mode of MODES) if (!(mode.only === 'mnist' && !mnistDir)) servers.push({ mode, ...(await startServer(mode.flags)) });
try {
  const scenarios = [['textgen', '/v1/textgen/predict', (i) => ({ text: 'ROMEO:', decode: { maxLen: MAX_LEN, seed: i } }), list(args.clients)]];
  if (mnistDir) scenarios.push(['mnist', '/v1/mnist/predict', (i) => ({ pixels: image(i % 64) }), list(args['mnist-clients'])]);
  console.log(`server: ${[...new Set(servers.map((sv) => sv.backend))].join('; ')}`);
  console.log('');
  console.log('model    batching     clients  requests  req/s   p50 ms   p99 ms  errors');
  for (const server of servers) {
    for (const [, path, body] of scenarios) for (let i = 0; i < 3; i++) await request(server.url, 'POST', path, body(i));
    server.tensorsStart = await metric(server.url, 'rnnkit_tf_tensors');
    server.rssStart = await metric(server.url, 'rnnkit_process_rss_bytes');
    server.total = 0;
  }
  for (const [name, path, body, clientCounts] of scenarios) {
    for (const clients of clientCounts) {
      for (const server of servers) {
        const { mode } = server;
        if (mode.only && mode.only !== name) continue;
        const r = await measure(server.url, path, body, clients);
        server.total += r.requests + r.errors + 3;
        rows.push({ name, mode: mode.label, batching: mode.batching, clients, ...r });
        console.log(`${name.padEnd(8)} ${mode.label.padEnd(12)} ${String(clients).padStart(7)}  ${String(r.requests).padStart(8)}  ${fmt(r.rps).padStart(6)}  ${fmt(r.p50).padStart(7)}  ${fmt(r.p99).padStart(7)}  ${r.errors}`);
      }
    }
  }
  console.log('');
  for (const server of servers) {
    const tensorsEnd = await metric(server.url, 'rnnkit_tf_tensors');
    const rssEnd = await metric(server.url, 'rnnkit_process_rss_bytes');
    console.log(`server with batching ${server.mode.label}: ${server.total} requests, tensors ${server.tensorsStart} -> ${tensorsEnd}, RSS ${fmt(server.rssStart / 2 ** 20)} -> ${fmt(rssEnd / 2 ** 20)} MiB`);
    if (tensorsEnd !== server.tensorsStart) fuzzOk = false;
  }
  if (FUZZ > 0) {
    const server = servers[0];
    const check = { text: 'ROMEO:', decode: { maxLen: 20, seed: 5 } };
    const before = await request(server.url, 'POST', '/v1/textgen/predict', check);
    const tensorsBefore = await metric(server.url, 'rnnkit_tf_tensors');
    const rssBefore = await metric(server.url, 'rnnkit_process_rss_bytes');
    const statuses = new Map();
    const bad = [];
    const cases = fuzzCases(FUZZ);
    const started = performance.now();
    for (let i = 0; i < cases.length; i += 4) {
      const results = await Promise.all(cases.slice(i, i + 4).map(([path, body, headers]) => request(server.url, 'POST', path, body, headers)));
      results.forEach((r, k) => {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status < 400 || r.status > 499) bad.push({ case: i + k, status: r.status, body: r.body.slice(0, 200) });
      });
    }
    const after = await request(server.url, 'POST', '/v1/textgen/predict', check);
    const health = await request(server.url, 'GET', '/healthz');
    const tensorsAfter = await metric(server.url, 'rnnkit_tf_tensors');
    const rssAfter = await metric(server.url, 'rnnkit_process_rss_bytes');
    const same = after.status === 200 && after.body === before.body;
    console.log('');
    console.log(`fuzz: ${cases.length} malformed requests in ${fmt((performance.now() - started) / 1000)} s; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([st, n]) => `${st}: ${n}`).join(', ')}`);
    console.log(`fuzz: ${bad.length === 0 ? 'every one a 4xx, zero 5xx, zero connection errors' : `${bad.length} NOT 4xx: ${JSON.stringify(bad.slice(0, 5))}`}`);
    console.log(`after fuzz: /healthz ${health.status}, seeded predict ${after.status} ${same ? 'identical to before' : 'DIFFERENT'}; tensors ${tensorsBefore} -> ${tensorsAfter}; RSS ${fmt(rssBefore / 2 ** 20)} -> ${fmt(rssAfter / 2 ** 20)} MiB`);
    if (!(bad.length === 0 && same && health.status === 200 && tensorsAfter === tensorsBefore)) fuzzOk = false;
  }
} finally {
  await Promise.all(servers.map(stopServer));
}
console.log('');
for (const name of new Set(rows.map((r) => r.name))) {
  for (const clients of new Set(rows.filter((r) => r.name === name).map((r) => r.clients))) {
    const off = rows.find((r) => r.name === name && r.clients === clients && !r.batching);
    for (const on of rows.filter((r) => r.name === name && r.clients === clients && r.batching)) {
      if (off) console.log(`${name} at ${clients} client(s): batching ${on.mode} / off = ${fmt(on.rps / off.rps, 2)}x requests/s`);
    }
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
agent.destroy();
process.exitCode = fuzzOk && rows.every((r) => r.errors === 0) ? 0 : 1;
