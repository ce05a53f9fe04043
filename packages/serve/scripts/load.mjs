#!/usr/bin/env node
// A bounded load, soak and fuzz run of rnnkit-serve on loopback. It starts the built server (dist/cli.js) as child
// processes (batching on: the default, no wait; on with a 5 ms wait, for mnist; off), each serving four models, and for each model
// and client count gives each server in turn at most --seconds (and --max-requests) of closed-loop clients, printing
// requests/s, p50/p99 latency, the server's CPU time per request and the rows per model call. Then a soak of
// --soak requests over the four models (tensors and RSS before and after) and --fuzz malformed requests (wrong types,
// huge strings, invalid JSON, wrong content types, unknown fields, binary bodies, unknown routes): every one must be a
// 4xx, and the server must still answer as before with as many tensors.
//
//   npm run build && node packages/serve/scripts/load.mjs [--textgen DIR] [--mnist DIR] [--chatbot DIR]
//     [--summarize DIR] [--seconds 4] [--max-requests 20000] [--clients 1,8,32,64] [--max-len 200]
//     [--only mnist,textgen,chat,headline] [--soak 10000] [--fuzz 5000] [--no-pin] [--profile DIR] [--floor-baselines]
//
// --profile DIR: the servers write V8 CPU profiles (--cpu-prof) to DIR when they stop.
// --floor-baselines (with mnist): the floor row (the mnist body answered 404, no model) is also measured on two
// reference servers, node:http alone and a bare Fastify app (scripts/floor-servers.mjs), pinned like the server: how
// much of the floor is Node's HTTP, how much Fastify, how much rnnkit-serve's own hooks, metrics and routing.
//
// Without a model directory it trains a throwaway model with the app's built CLI (two steps: the weights do not
// change the cost of a request): textgen 1x128 LSTM, mnist-rows 1x64 GRU, chatbot and summarize at their default
// sizes. The clients are keep-alive sockets writing prepared requests (cheap per request, so that the load generator
// is not what limits the server). Loopback only; stops by itself.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// A failure (a model that does not train or load, a server that does not start) ends the run with its message, not a
// stack trace; the message keeps the server's own log lines.
process.on('uncaughtException', (err) => {
  console.error(`load: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

const HERE = new URL('.', import.meta.url).pathname;
const ROOT = join(HERE, '../../..');
const CLI = join(HERE, '../dist/cli.js');

const { values: args } = parseArgs({
  options: {
    textgen: { type: 'string' },
    mnist: { type: 'string' },
    chatbot: { type: 'string' },
    summarize: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    'max-requests': { type: 'string', default: '20000' },
    clients: { type: 'string', default: '1,8,32,64' },
    'max-len': { type: 'string', default: '200' },
    only: { type: 'string', default: 'mnist,textgen,chat,headline' },
    soak: { type: 'string', default: '10000' },
    fuzz: { type: 'string', default: '5000' },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'floor-baselines': { type: 'boolean', default: false },
  },
});
const SECONDS = Math.min(Number(args.seconds), 30);
const MAX_REQUESTS = Math.min(Number(args['max-requests']), 20_000);
const MAX_LEN = Number(args['max-len']);
const SOAK = Math.min(Number(args.soak), 50_000);
const FUZZ = Math.min(Number(args.fuzz), 20_000);
const CLIENTS = args.clients.split(',').map(Number).filter((n) => n > 0 && n <= 128);
const ONLY = new Set(args.only.split(','));

if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run "npm run build" at the repo root first`);
  process.exit(1);
}

// Two cores: the server on one, this load generator on the other (other processes still share both).
const pin = !args['no-pin'] && cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
if (pin) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });

const tmp = mkdtempSync(join(tmpdir(), 'rnnkit-serve-load-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function train(app, flags) {
  const out = join(tmp, app);
  const run = spawnSync(process.execPath, [join(ROOT, `apps/${app}/dist/cli.js`), 'train', '--out', out, '--epochs', '1', '--max-steps-per-epoch', '2', '--quiet', '--json', ...flags], {
    encoding: 'utf8', timeout: 600_000,
  });
  if (run.status !== 0) {
    console.error(`load: training a throwaway ${app} model failed: ${(run.stderr || String(run.error)).split('\n').filter(Boolean).at(-1)}`);
    process.exit(1);
  }
  return out;
}

// name → [route name, model dir]
const MODELS = [];
const want = (scenario, app, dir, flags) => {
  if (!ONLY.has(scenario)) return;
  MODELS.push({ scenario, name: app, dir: dir ?? train(app, flags) });
};
want('mnist', 'mnist-rows', args.mnist, ['--cell', 'gru', '--units', '64', '--max-train', '256']);
want('textgen', 'textgen', args.textgen, ['--units', '128', '--embed-dim', '32', '--seq-len', '16', '--batch-size', '8', '--sample-length', '0']);
want('chat', 'chatbot', args.chatbot, []);
want('headline', 'summarize', args.summarize, ['--max-val-batches', '1']);

/** One request through node:http (any body, any headers); resolves { status, body, ms } (status 0: connection error). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
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

/**
 * A keep-alive connection that writes prepared requests and reads responses with Content-Length (every JSON answer
 * of the server has one): far cheaper per request than node:http's client, so the server is what is measured.
 */
class Connection {
  constructor(port) {
    this.port = port;
    this.pending = undefined;
    this.data = Buffer.alloc(0);
  }

  open() {
    return new Promise((resolve, reject) => {
      this.socket = net.connect(this.port, '127.0.0.1', resolve);
      this.socket.setNoDelay(true);
      this.socket.once('error', reject);
      this.socket.on('data', (chunk) => this.onData(chunk));
      this.socket.on('close', () => this.pending?.({ status: 0, ms: 0 }));
    });
  }

  send(buffer) {
    return new Promise((resolve) => {
      const start = performance.now();
      this.pending = (r) => {
        this.pending = undefined;
        resolve({ ...r, ms: performance.now() - start });
      };
      this.socket.write(buffer);
    });
  }

  onData(chunk) {
    this.data = this.data.length === 0 ? chunk : Buffer.concat([this.data, chunk]);
    const end = this.data.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.data.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.data.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    this.data = this.data.subarray(end + 4 + length);
    this.pending?.({ status });
  }

  close() {
    this.socket.destroy();
  }
}

function prepared(path, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`), payload]);
}

async function startServer(flags, reference) {
  const server = reference ? [join(HERE, 'floor-servers.mjs'), reference] : [CLI, ...MODELS.flatMap((m) => ['--model', `${m.scenario}=${m.dir}`]), '--port', '0', '--max-concurrent', '256', ...flags];
  const cmd = [...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : []), ...server];
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
  return { child, url, port: Number(new URL(url).port), backend: backend ? backend[1] : 'backend not reported' };
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

async function metrics(base) {
  const text = (await request(base, 'GET', '/metrics')).body;
  const value = (name, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : NaN;
  };
  return { text, value };
}

/**
 * Closed-loop clients (`clients` keep-alive connections, each sending `body(i)` as soon as its previous answer
 * arrived) against each of `servers`, which take turns in `rounds` windows of `seconds / rounds` (or of the request
 * budget; every other round in reverse order) so that what else runs on the machine disturbs them alike. Only the
 * answers that arrive within a window count, over the window's length: the requests still in flight at its end are
 * then awaited, uncounted, before the next server's turn. Per server: requests/s, latency percentiles, the server's
 * CPU time per request (including the awaited ones, which the count leaves out: a slight overestimate) and the inputs
 * per model call.
 */
async function measure(servers, scenario, clients, { seconds = SECONDS, requests = MAX_REQUESTS, rounds = 1 } = {}) {
  const { path, body } = scenario;
  const expect = scenario.expect ?? 200;
  const buffers = Array.from({ length: 64 }, (_, i) => prepared(path, body(i)));
  const label = `{model="${scenario.name}"}`;
  const states = [];
  for (const server of servers) {
    for (let i = 0; i < 3; i++) await request(server.url, 'POST', path, body(i)); // warm-up
    const conns = Array.from({ length: clients }, () => new Connection(server.port));
    await Promise.all(conns.map((c) => c.open()));
    states.push({ server, conns, latencies: [], statuses: new Map(), sent: 0, late: 0, seconds: 0, cpu: 0, clientCpu: 0, calls: 0, rows: 0, perRound: [] });
  }
  for (let round = 0; round < rounds; round++) {
    for (const st of round % 2 === 0 ? states : [...states].reverse()) {
      const before = await metrics(st.server.url);
      const budget = Math.round((requests * (round + 1)) / rounds);
      const clientCpuBefore = process.cpuUsage();
      const start = performance.now();
      const deadline = start + (seconds * 1000) / rounds;
      let last = start;
      const lateBefore = st.late;
      const answeredBefore = st.latencies.length;
      await Promise.all(
        st.conns.map(async (conn) => {
          while (performance.now() < deadline && st.sent < budget && !conn.closed) {
            const i = st.sent++;
            const res = await conn.send(buffers[i % buffers.length]);
            const now = performance.now();
            if (res.status === 0) conn.closed = true;
            if (now > deadline) {
              st.late++;
              continue;
            }
            last = now;
            st.statuses.set(res.status, (st.statuses.get(res.status) ?? 0) + 1);
            if (res.status === expect) st.latencies.push(res.ms);
          }
        }),
      );
      // The window ends at the deadline, or earlier when the request budget ran out and every answer was in by then.
      const end = st.sent >= budget && st.late === lateBefore ? last : deadline;
      st.seconds += (end - start) / 1000;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      st.clientCpu += (clientCpu.user + clientCpu.system) / 1e6;
      const after = await metrics(st.server.url);
      const cpu = after.value('rnnkit_process_cpu_seconds_total') - before.value('rnnkit_process_cpu_seconds_total');
      st.cpu += cpu;
      // Each round on its own, for the spread of a ratio between servers (their rounds of one index are adjacent).
      const answered = st.latencies.length - answeredBefore;
      st.perRound.push({ rps: answered / ((end - start) / 1000), cpuMs: (1000 * cpu) / Math.max(1, answered) });
      st.calls += after.value('rnnkit_batch_size_count', label) - before.value('rnnkit_batch_size_count', label);
      st.rows += after.value('rnnkit_batch_size_sum', label) - before.value('rnnkit_batch_size_sum', label);
    }
  }
  return states.map((st) => {
    for (const c of st.conns) c.close();
    st.latencies.sort((a, b) => a - b);
    return {
      requests: st.latencies.length,
      errors: st.sent - st.late - st.latencies.length,
      rps: st.latencies.length / st.seconds,
      p50: percentile(st.latencies, 50),
      p99: percentile(st.latencies, 99),
      cpuMs: (1000 * st.cpu) / Math.max(1, st.latencies.length),
      // Each side's CPU time over the windows' wall time, in % of one core: a server short of 100% while the load
      // generator is near it was waiting for the clients, not for its own work.
      serverBusy: (100 * st.cpu) / st.seconds,
      clientBusy: (100 * st.clientCpu) / st.seconds,
      rowsPerCall: st.rows / Math.max(1, st.calls),
      statuses: st.statuses,
      perRound: st.perRound,
    };
  });
}

// Inputs: seeded, different per request.
function image(i) {
  let s = (i + 1) * 2654435761;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: 784 }, () => (rand() < 0.2 ? Math.round(rand() * 255) : 0));
}
const MESSAGES = ['Hello', 'How are you?', 'What is your name?', 'Do you like music?', 'Tell me a joke', 'What time is it?', 'I am tired today', 'Where do you live?'];
const ARTICLES = [
  'The Delhi government on Monday said it saved 290 MW of power during the Earth Hour, as lights were switched off across the city for an hour.',
  'India won the third test match against Australia by six wickets on Sunday to take the series.',
  'Heavy rain flooded several districts of the state on Tuesday and thousands of people were moved to relief camps, officials said.',
  'The company reported a rise in quarterly profit and said it would hire more engineers in the coming year.',
  'A new study says that children who sleep less than eight hours a night are more likely to be tired at school.',
];
const SCENARIOS = {
  mnist: { name: 'mnist', label: 'mnist, 1 image', path: '/v1/mnist/predict', body: (i) => ({ pixels: image(i % 64) }) },
  textgen: { name: 'textgen', label: `textgen, ${MAX_LEN} chars`, path: '/v1/textgen/predict', body: (i) => ({ text: 'ROMEO:', decode: { maxLen: MAX_LEN, seed: i } }) },
  // A throwaway model would end most replies after a token or two: 8 to 12 tokens is a reply of a trained one.
  chat: {
    name: 'chat', label: 'chat reply (greedy)', path: '/v1/chat/predict',
    body: (i) => ({ message: MESSAGES[i % MESSAGES.length], history: ['Hi', 'Hello there'], decode: { strategy: 'greedy', minLen: 8, maxLen: 12 } }),
  },
  headline: { name: 'headline', label: 'headline (greedy)', path: '/v1/headline/predict', body: (i) => ({ text: ARTICLES[i % ARTICLES.length], decode: { strategy: 'greedy' } }) },
  // What batching cannot remove: the mnist request's HTTP exchange, body read and JSON parse, answered 404 by a route
  // that runs no model. Measured on the batching-on server only (no model is involved, so the mode does not matter).
  floor: { name: 'floor', label: 'mnist body, no model', path: '/v1/none/predict', body: (i) => ({ pixels: image(i % 64) }), expect: 404, mode: 'on' },
};

function fuzzCases(n) {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const bytes = (k) => Buffer.from(Array.from({ length: k }, () => Math.floor(rand() * 256)));
  const served = new Set(MODELS.map((m) => m.scenario));
  const T = '/v1/textgen/predict';
  const M = '/v1/mnist/predict';
  const C = '/v1/chat/predict';
  const H = '/v1/headline/predict';
  const valid = JSON.stringify({ text: 'ROMEO:', decode: { maxLen: 5 } });
  const any = [...served].map((x) => `/v1/${x}/predict`);
  const templates = [
    // wrong types and values
    [T, () => [T, { text: 123 }]], [T, () => [T, { text: null }]], [T, () => [T, { text: [] }]], [T, () => [T, { text: {} }]], [T, () => [T, { text: true }]],
    [T, () => [T, { text: 'a', decode: 'x' }]], [T, () => [T, { text: 'a', decode: { maxLen: '5' } }]], [T, () => [T, { text: 'a', decode: { temperature: -1 } }]],
    [T, () => [T, { text: 'a', decode: { maxLen: 1e9 } }]], [T, () => [T, { text: 'a', decode: { strategy: 'beam' } }]], [T, () => [T, { text: 'a', decode: { seed: 1.5 } }]],
    [T, () => [T, { text: '' }]], [T, () => [T, { text: 'a', stream: 'yes' }]], [T, () => [T, '{"text": 1e400}']], [T, () => [T, { text: 'a', decode: { topP: 0 } }]],
    [M, () => [M, { pixels: image(1).slice(1) }]], [M, () => [M, { pixels: image(2).map((v, k) => (k === 7 ? 256 : v)) }]], [M, () => [M, { pixels: image(3).map((v, k) => (k === 9 ? '0' : v)) }]],
    [M, () => [M, { pixels: Array.from({ length: 28 }, () => new Array(27).fill(0)) }]], [M, () => [M, { pixels: 'x'.repeat(784) }]], [M, () => [M, { pixels: image(4), extra: 1 }]],
    [M, () => [M, { pixels: null }]], [M, () => [M, {}]], [M, () => [M, { pixels: image(5), rows: 'yes' }]],
    [C, () => [C, { message: '' }]], [C, () => [C, { message: 'hi', history: 'x' }]], [C, () => [C, { message: 'hi', history: new Array(50).fill('a') }]],
    [C, () => [C, { message: 'hi', decode: { beamWidth: 0 } }]], [C, () => [C, { message: 'x'.repeat(20_000) }]], [C, () => [C, { message: 'hi', decode: { minLen: 30, maxLen: 5 } }]],
    [H, () => [H, { text: '' }]], [H, () => [H, { text: ' \n\t ' }]], [H, () => [H, { text: 'a', decode: { strategy: 'greedy', temperature: 0.5 } }]],
    [H, () => [H, { text: 'a', attention: 'yes' }]], [H, () => [H, { article: 'a' }]],
    // huge strings: over the schema's limit (400) and over the body limit (413)
    [T, () => [T, { text: 'a'.repeat(150_000) }]], [T, () => [T, { text: 'b'.repeat(1_200_000) }]],
    // characters the model does not know (refused by the predictor)
    [T, () => [T, { text: '\u{1F600}\u0000' }]],
    // invalid JSON
    [null, () => [any[Math.floor(rand() * any.length)], valid.slice(0, Math.floor(rand() * (valid.length - 1)))]], [null, () => [any[0], '{']], [T, () => [T, '{"text": }']],
    [T, () => [T, "{'text': 'a'}"]], [T, () => [T, '{"text": "a",}']], [T, () => [T, 'nul']], [T, () => [T, '[1, 2']], [T, () => [T, '\u0000\u0001']], [T, () => [T, '']],
    [T, () => [T, '['.repeat(5000) + ']'.repeat(5000)]],
    // valid JSON that is not an input
    [null, () => [any[Math.floor(rand() * any.length)], '[]']], [T, () => [T, '"ROMEO:"']], [T, () => [T, '42']], [T, () => [T, 'null']],
    // wrong content types
    [T, () => [T, 'text=a', { 'content-type': 'text/plain' }]], [T, () => [T, '<text>a</text>', { 'content-type': 'application/xml' }]],
    [T, () => [T, 'text=a', { 'content-type': 'application/x-www-form-urlencoded' }]], [T, () => [T, valid, { 'x-no-content-type': '1' }]],
    [T, () => [T, '--x\r\n\r\na\r\n--x--', { 'content-type': 'multipart/form-data; boundary=x' }]],
    // unknown fields, prototype pollution
    [T, () => [T, { text: 'a', foo: 1 }]], [T, () => [T, { text: 'a', decode: { foo: 1 } }]], [T, () => [T, '{"text": "a", "__proto__": {"x": 1}}']],
    [T, () => [T, '{"text": "a", "constructor": {"prototype": {"x": 1}}}']], [T, () => [T, { text: 'a', history: ['x'] }]],
    // binary bodies
    [null, () => [any[Math.floor(rand() * any.length)], bytes(1 + Math.floor(rand() * 4096))]], [M, () => [M, bytes(512), { 'content-type': 'application/octet-stream' }]],
    // unknown models, routes and sessions
    [null, () => ['/v1/nope/predict', { text: 'a' }]], [T, () => ['/v1/textgen/sessions', {}]], [C, () => ['/v1/chat/sessions/x/messages', { message: 'a' }]],
    [null, () => [`/v1/${'x'.repeat(300)}/predict`, { text: 'a' }]], [null, () => ['/v2/textgen/predict', { text: 'a' }]],
  ].filter(([route]) => route === null || served.has(route.split('/')[2]));
  return Array.from({ length: n }, (_, i) => templates[i % templates.length][1]());
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log(`rnnkit-serve load run: ${SECONDS} s or ${MAX_REQUESTS} requests per row; ${pin ? 'server pinned to cpu 0, load generator to cpu 1 (taskset)' : 'no pinning'}; ${cpus().length} cores; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const m of MODELS) console.log(`  ${m.scenario}: ${m.name} model ${m.dir}`);
console.log('');
const rows = [];
let ok = true;
const MODES = [
  { label: 'on', batching: true, flags: [] },
  { label: 'on (5 ms)', batching: true, flags: ['--batch-wait-ms', '5'], only: 'mnist' },
  { label: 'off', batching: false, flags: ['--no-batching'] },
];
// Every mode's server runs at once (an idle one costs nothing) and the modes take turns row by row, so that the
// other processes on the machine disturb them alike.
const servers = [];
for (const mode of MODES) if (!(mode.only && !ONLY.has(mode.only))) servers.push({ mode, ...(await startServer(mode.flags)) });
// The reference servers answer only the floor row; batching: null keeps them out of the on / off ratios.
if (args['floor-baselines'] && ONLY.has('mnist')) {
  for (const [label, reference] of [['node:http', 'node'], ['Fastify', 'fastify']]) servers.push({ mode: { label, batching: null, reference }, ...(await startServer([], reference)) });
}
const served = servers.filter((sv) => !sv.mode.reference);
try {
  const scenarios = MODELS.map((m) => SCENARIOS[m.scenario]);
  const measured = ONLY.has('mnist') ? [...scenarios, SCENARIOS.floor] : scenarios;
  console.log(`server: ${[...new Set(served.map((sv) => sv.backend))].join('; ')}`);
  console.log('');
  console.log('model                 batching   clients  requests   req/s   p50 ms   p99 ms  server CPU ms/req  rows/call  server/client CPU %  errors');
  for (const server of served) {
    const m = await metrics(server.url);
    server.tensorsStart = m.value('rnnkit_tf_tensors');
    server.rssStart = m.value('rnnkit_process_rss_bytes');
  }
  for (const scenario of measured) {
    for (const clients of CLIENTS) {
      const taking = servers.filter((sv) => (sv.mode.reference ? scenario.name === 'floor' : (!sv.mode.only || sv.mode.only === scenario.name) && (!scenario.mode || sv.mode.label === scenario.mode)));
      // Short requests take turns in windows of about a second, decoding requests (tens of ms to seconds each) in two.
      const results = await measure(taking, scenario, clients, { rounds: ['mnist', 'floor'].includes(scenario.name) ? Math.max(1, Math.round(SECONDS)) : 2 });
      for (const [k, server] of taking.entries()) {
        const { mode } = server;
        const r = results[k];
        rows.push({ name: scenario.name, mode: mode.label, batching: mode.batching, clients, ...r });
        console.log(
          `${scenario.label.padEnd(21)} ${mode.label.padEnd(10)} ${String(clients).padStart(7)}  ${String(r.requests).padStart(8)}  ${fmt(r.rps).padStart(6)}  ${fmt(r.p50, 2).padStart(7)}  ${fmt(r.p99, 2).padStart(7)}  ${fmt(r.cpuMs, 3).padStart(17)}  ${fmt(r.rowsPerCall).padStart(9)}  ${`${fmt(r.serverBusy, 0)} / ${fmt(r.clientBusy, 0)}`.padStart(19)}  ${r.errors}`,
        );
        if (r.errors > 0) {
          ok = false;
          console.log(`  statuses: ${[...r.statuses].map(([st, n]) => `${st}: ${n}`).join(', ')}`);
        }
      }
    }
  }
  console.log('');
  for (const server of served) {
    const m = await metrics(server.url);
    const tensorsEnd = m.value('rnnkit_tf_tensors');
    console.log(`server with batching ${server.mode.label}: tensors ${server.tensorsStart} -> ${tensorsEnd}, RSS ${fmt(server.rssStart / 2 ** 20)} -> ${fmt(m.value('rnnkit_process_rss_bytes') / 2 ** 20)} MiB`);
    if (tensorsEnd !== server.tensorsStart) ok = false;
  }

  const server = servers[0];
  // Answers that must not change across the soak and the fuzz: greedy or seeded requests, one per model.
  const checks = scenarios.map((sc) => [sc.path, sc.name === 'textgen' ? { text: 'ROMEO:', decode: { maxLen: 40, seed: 5 } } : sc.body(1)]);
  const answers = async () => Promise.all(checks.map(([path, body]) => request(server.url, 'POST', path, body).then((r) => `${r.status} ${r.body}`)));
  const reference = await answers();

  if (SOAK > 0) {
    const before = await metrics(server.url);
    const started = performance.now();
    // The models share the soak; decoding requests are kept short so that the soak stays bounded in time.
    const share = { mnist: 0.4, textgen: 0.2, chat: 0.2, headline: 0.2 };
    const weights = scenarios.map((sc) => share[sc.name]);
    const total = weights.reduce((a, b) => a + b, 0);
    const results = await Promise.all(
      scenarios.map((sc, k) => {
        const soakScenario = sc.name === 'textgen' ? { ...sc, body: (i) => ({ text: 'ROMEO:', decode: { maxLen: 40, seed: i } }) } : sc;
        return measure([server], soakScenario, 8, { seconds: 600, requests: Math.round((SOAK * weights[k]) / total) }).then(([r]) => r);
      }),
    );
    const after = await metrics(server.url);
    const done = results.reduce((a, r) => a + r.requests, 0);
    const failed = results.reduce((a, r) => a + r.errors, 0);
    console.log('');
    console.log(`soak: ${done + failed} requests (${scenarios.map((sc, k) => `${sc.name} ${results[k].requests + results[k].errors}`).join(', ')}) at 8 clients per model in ${fmt((performance.now() - started) / 1000)} s; ${failed} not 200`);
    console.log(`soak: tensors ${before.value('rnnkit_tf_tensors')} -> ${after.value('rnnkit_tf_tensors')}; RSS ${fmt(before.value('rnnkit_process_rss_bytes') / 2 ** 20)} -> ${fmt(after.value('rnnkit_process_rss_bytes') / 2 ** 20)} MiB; heap used ${fmt(before.value('rnnkit_nodejs_heap_size_used_bytes') / 2 ** 20)} -> ${fmt(after.value('rnnkit_nodejs_heap_size_used_bytes') / 2 ** 20)} MiB`);
    if (failed > 0 || after.value('rnnkit_tf_tensors') !== before.value('rnnkit_tf_tensors')) ok = false;
  }

  if (FUZZ > 0) {
    const before = await metrics(server.url);
    const statuses = new Map();
    const bad = [];
    const cases = fuzzCases(FUZZ);
    const started = performance.now();
    for (let i = 0; i < cases.length; i += 8) {
      const results = await Promise.all(cases.slice(i, i + 8).map(([path, body, headers]) => request(server.url, 'POST', path, body, headers)));
      results.forEach((r, k) => {
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status < 400 || r.status > 499) bad.push({ case: i + k, status: r.status, body: r.body.slice(0, 200) });
      });
    }
    const after = await metrics(server.url);
    const health = await request(server.url, 'GET', '/healthz');
    const same = (await answers()).every((a, k) => a === reference[k] && a.startsWith('200 '));
    console.log('');
    console.log(`fuzz: ${cases.length} malformed requests in ${fmt((performance.now() - started) / 1000)} s; statuses ${[...statuses].sort((a, b) => a[0] - b[0]).map(([st, n]) => `${st}: ${n}`).join(', ')}`);
    console.log(`fuzz: ${bad.length === 0 ? 'every one a 4xx, zero 5xx, zero connection errors' : `${bad.length} NOT 4xx: ${JSON.stringify(bad.slice(0, 5))}`}`);
    console.log(`after soak and fuzz: /healthz ${health.status}; one greedy or seeded request per model ${same ? 'answered as before' : 'answered DIFFERENTLY'}; tensors ${before.value('rnnkit_tf_tensors')} -> ${after.value('rnnkit_tf_tensors')}; RSS ${fmt(before.value('rnnkit_process_rss_bytes') / 2 ** 20)} -> ${fmt(after.value('rnnkit_process_rss_bytes') / 2 ** 20)} MiB`);
    if (!(bad.length === 0 && same && health.status === 200 && after.value('rnnkit_tf_tensors') === before.value('rnnkit_tf_tensors'))) ok = false;
  }
} finally {
  await Promise.all(servers.map(stopServer));
}
console.log('');
for (const name of new Set(rows.map((r) => r.name))) {
  for (const clients of new Set(rows.filter((r) => r.name === name).map((r) => r.clients))) {
    const off = rows.find((r) => r.name === name && r.clients === clients && r.batching === false);
    for (const on of rows.filter((r) => r.name === name && r.clients === clients && r.batching === true)) {
      if (!off) continue;
      // The same ratio round by round (the two servers' windows of one round are adjacent in time): its spread says
      // how much the machine's other load moved it during the run.
      const ratios = on.perRound.map((r, k) => r.rps / off.perRound[k].rps).sort((a, b) => a - b);
      const spread = ratios.length > 1 ? ` (per round: median ${fmt((ratios[Math.floor((ratios.length - 1) / 2)] + ratios[Math.floor(ratios.length / 2)]) / 2, 2)}x, ${fmt(ratios[0], 2)}-${fmt(ratios[ratios.length - 1], 2)}x over ${ratios.length} rounds)` : '';
      console.log(`${name} at ${clients} client(s): batching ${on.mode} / off = ${fmt(on.rps / off.rps, 2)}x requests/s${spread}, ${fmt(off.cpuMs / on.cpuMs, 2)}x less server CPU per request`);
    }
  }
}
// How far batching could go: a batched request costs at least the floor (HTTP, body, JSON; no model), so batching
// on / off can at most reach off / floor in server CPU per request.
for (const clients of CLIENTS) {
  const floor = rows.find((r) => r.name === 'floor' && r.clients === clients && r.mode === 'on');
  const on = rows.find((r) => r.name === 'mnist' && r.clients === clients && r.mode === 'on');
  const off = rows.find((r) => r.name === 'mnist' && r.clients === clients && r.mode === 'off');
  if (floor && on && off) {
    console.log(`mnist at ${clients} client(s): server CPU per request ${fmt(on.cpuMs, 3)} ms batched = ${fmt(floor.cpuMs, 3)} ms without any model (the same body answered 404) + ${fmt(on.cpuMs - floor.cpuMs, 3)} ms model and batching; ${fmt(off.cpuMs, 3)} ms unbatched; off / floor = ${fmt(off.cpuMs / floor.cpuMs, 2)}x, the most batching could give`);
  }
}
for (const clients of CLIENTS) {
  const floor = (mode) => rows.find((r) => r.name === 'floor' && r.clients === clients && r.mode === mode);
  const [own, bare, fastify] = [floor('on'), floor('node:http'), floor('Fastify')];
  if (own && bare && fastify) {
    console.log(`floor at ${clients} client(s), server CPU per request: node:http alone ${fmt(bare.cpuMs, 3)} ms, Fastify alone ${fmt(fastify.cpuMs, 3)} ms, rnnkit-serve ${fmt(own.cpuMs, 3)} ms (its hooks, metrics, routing and error answer: ${fmt(own.cpuMs - fastify.cpuMs, 3)} ms)`);
  }
}
for (const mode of ['on', 'off']) {
  const alone = rows.find((r) => r.name === 'chat' && r.clients === 1 && r.mode === mode);
  const eight = rows.find((r) => r.name === 'chat' && r.clients === 8 && r.mode === mode);
  if (alone && eight) {
    console.log(`chat reply, batching ${mode}: p99 at 8 clients ${fmt(eight.p99, 1)} ms = ${fmt(eight.p99 / alone.p99, 2)}x the p99 alone (${fmt(alone.p99, 1)} ms), ${fmt(eight.p99 / alone.p50, 2)}x the p50 alone (${fmt(alone.p50, 1)} ms)`);
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
agent.destroy();
process.exitCode = ok ? 0 : 1;
