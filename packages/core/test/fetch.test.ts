import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchCached, resolveDataPath } from '../src/data/index.js';
import { RnnkitError } from '../src/errors.js';

// A local server only: one route serves data, one never answers (the offline/hung-network case).
let server: http.Server;
let base = '';
let hits = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    if (req.url === '/data.txt') res.end('hello data');
    else if (req.url === '/missing') {
      res.statusCode = 404;
      res.end('nope');
    }
    // '/hang': never respond.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let dir = '';
const saved = { data: process.env.RNNKIT_DATA_DIR, cache: process.env.RNNKIT_CACHE_DIR };
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-fetch-'));
  process.env.RNNKIT_CACHE_DIR = path.join(dir, 'cache');
  delete process.env.RNNKIT_DATA_DIR;
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [['RNNKIT_DATA_DIR', saved.data], ['RNNKIT_CACHE_DIR', saved.cache]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('fetchCached', () => {
  it('downloads once and then serves the cache', async () => {
    const target = path.join(dir, 'sub', 'data.txt');
    const before = hits;
    expect(await fetchCached(`${base}/data.txt`, target)).toBe(target);
    expect(fs.readFileSync(target, 'utf8')).toBe('hello data');
    await fetchCached(`${base}/data.txt`, target);
    expect(hits - before).toBe(1);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['data.txt']); // no temp files left behind
  });

  it('times out on a server that never answers, with a clear error', async () => {
    const t0 = Date.now();
    const err = await fetchCached(`${base}/hang`, path.join(dir, 'h.txt'), { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(RnnkitError);
    expect(err.message).toMatch(/\/hang failed: no complete response within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(fs.existsSync(path.join(dir, 'h.txt'))).toBe(false);
  });

  it('reports HTTP errors and refused connections', async () => {
    await expect(fetchCached(`${base}/missing`, path.join(dir, 'm.txt'))).rejects.toThrow(/HTTP 404/);
    // A port that was just freed: the connection is refused immediately.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchCached(`http://127.0.0.1:${port}/x`, path.join(dir, 'x.txt'), { timeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('resolveDataPath', () => {
  it('prefers the --data flag and fails on a missing one', async () => {
    const f = path.join(dir, 'given.csv');
    fs.writeFileSync(f, 'x');
    expect(await resolveDataPath(f, 'stocks/prices.csv')).toBe(f);
    await expect(resolveDataPath(path.join(dir, 'nope.csv'), 'a.csv')).rejects.toThrow(/--data .*nope.csv: no such file/);
  });

  it('then $RNNKIT_DATA_DIR, then the cache, then the download', async () => {
    process.env.RNNKIT_DATA_DIR = path.join(dir, 'datasets');
    fs.mkdirSync(path.join(dir, 'datasets', 'a'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'datasets', 'a', 'b.txt'), 'local');
    expect(await resolveDataPath(undefined, 'a/b.txt', { url: `${base}/data.txt` })).toBe(path.join(dir, 'datasets', 'a', 'b.txt'));

    const got = await resolveDataPath(undefined, 'c.txt', { url: `${base}/data.txt`, cacheName: 'c-cache.txt' });
    expect(got).toBe(path.join(dir, 'cache', 'c-cache.txt'));
    expect(fs.readFileSync(got, 'utf8')).toBe('hello data');
    // Second time: found in the cache, no request.
    const before = hits;
    expect(await resolveDataPath(undefined, 'c.txt', { url: `${base}/hang`, cacheName: 'c-cache.txt' })).toBe(got);
    expect(hits).toBe(before);
  });

  it('lists every place it looked when all fail', async () => {
    process.env.RNNKIT_DATA_DIR = path.join(dir, 'datasets');
    const err = await resolveDataPath(undefined, 'z.txt', { url: `${base}/hang`, timeoutMs: 200 }).catch((e) => e);
    expect(err).toBeInstanceOf(RnnkitError);
    expect(err.message).toMatch(/--data flag: not given/);
    expect(err.message).toContain(path.join(dir, 'datasets', 'z.txt'));
    expect(err.message).toContain(path.join(dir, 'cache', 'z.txt'));
    expect(err.message).toMatch(/download .*\/hang: .*no complete response within 200 ms/);
  });
});
