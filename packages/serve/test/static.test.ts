import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPredictor } from '@rnnkit/core';
import { createServer, type RnnkitServer } from '../src/index.js';
import { call, rawConnections, rawRequest, tempDir } from './helpers.js';

/**
 * The static folder at `/` (the web playground's build): content types, index.html for directories, confinement
 * (no `..` however encoded, no hidden files, no symlink out of the folder), and the API routes untouched.
 */

const base = tempDir('rnnkit-serve-static-');
const web = join(base, 'web');
const SECRET = 'outside the web folder';
const servers: RnnkitServer[] = [];

function fakeModel() {
  const predictor = createPredictor('fake', z.strictObject({ x: z.number() }), (input) => ({ y: 2 * input.x }), () => {});
  return { name: 'fake', predictor };
}

async function start(opts: { token?: string } = {}): Promise<RnnkitServer> {
  const server = await createServer({ port: 0, models: [fakeModel()], web, ...opts });
  servers.push(server);
  return server;
}

beforeAll(() => {
  mkdirSync(join(web, 'assets'), { recursive: true });
  mkdirSync(join(web, 'sub'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>playground</title>');
  writeFileSync(join(web, 'assets', 'main-3f2a.js'), 'console.log(1);');
  writeFileSync(join(web, 'style.css'), 'body{}');
  writeFileSync(join(web, 'weights.bin'), Buffer.from([0, 1, 2, 3]));
  writeFileSync(join(web, 'icon.svg'), '<svg/>');
  writeFileSync(join(web, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(join(web, '.env'), 'TOKEN=hidden');
  writeFileSync(join(web, 'healthz'), 'a file named like a route');
  writeFileSync(join(base, 'secret.txt'), SECRET);
  symlinkSync(join(base, 'secret.txt'), join(web, 'link-out.txt'));
  symlinkSync(base, join(web, 'dir-out'));
  symlinkSync(join(web, 'style.css'), join(web, 'link-in.css'));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(base, { recursive: true, force: true });
});

describe('static files at / (--web)', () => {
  let url: string;
  let port: number;

  beforeAll(async () => {
    const server = await start();
    url = server.rnnkit.url;
    port = (server.server.address() as AddressInfo).port;
  });

  it.each([
    ['/', 'text/html; charset=utf-8', '<!doctype html><title>playground</title>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>playground</title>'],
    ['/assets/main-3f2a.js', 'text/javascript; charset=utf-8', 'console.log(1);'],
    ['/style.css', 'text/css; charset=utf-8', 'body{}'],
    ['/icon.svg', 'image/svg+xml', '<svg/>'],
    ['/sub/', 'text/html; charset=utf-8', '<p>sub</p>'],
    ['/sub', 'text/html; charset=utf-8', '<p>sub</p>'],
    ['/link-in.css', 'text/css; charset=utf-8', 'body{}'],
    ['/style.css?v=2', 'text/css; charset=utf-8', 'body{}'],
  ])('GET %s: %s', async (path, type, body) => {
    const res = await call(url, 'GET', path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.text).toBe(body);
  });

  it('binary files as they are; hashed assets cached for good, the rest revalidated; HEAD without a body', async () => {
    const bin = await fetch(`${url}/weights.bin`);
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await bin.arrayBuffer())]).toEqual([0, 1, 2, 3]);
    expect((await call(url, 'GET', '/assets/main-3f2a.js')).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await call(url, 'GET', '/')).headers.get('cache-control')).toBe('no-cache');
    const head = await call(url, 'HEAD', '/style.css');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect(head.text).toBe('');
  });

  it('refuses every way out of the folder, hidden files and unknown paths with a 404 (raw paths, not normalized by a client)', async () => {
    const paths = [
      '/../secret.txt', '/sub/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/sub/..%2f..%2fsecret.txt', '/..%5csecret.txt',
      '/%252e%252e/secret.txt', '/link-out.txt', '/dir-out/secret.txt', '/.env', '/sub/%2e%2e/.env', '/%00', '/index.html%00.css',
      '/%zz', '/missing.js', '//etc/passwd', '/./index.html/..',
    ];
    const { send, responses } = await rawConnections(port, paths.map((p) => rawRequest(p)));
    paths.forEach((_, i) => send(i));
    const answers = await responses;
    answers.forEach((res, i) => {
      expect(res.body, paths[i]).not.toContain(SECRET);
      expect(res.body, paths[i]).not.toContain('TOKEN');
      // Fastify refuses a malformed escape before routing (400); everything else reaches the folder and is not there.
      if (paths[i] === '/%zz') expect(res.status).toBe(400);
      else {
        expect(res.status, paths[i]).toBe(404);
        expect(JSON.parse(res.body).error, paths[i]).toMatch(/^no route GET /);
      }
    });
  });

  it('leaves the API alone: its routes answer as before, /v1/ paths never reach the folder, POST / is no route', async () => {
    expect((await call(url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(url, 'GET', '/readyz')).status).toBe(200);
    expect((await call(url, 'GET', '/metrics')).text).toMatch(/^# HELP /);
    expect((await call(url, 'GET', '/openapi.json')).body.openapi).toMatch(/^3\.1/);
    expect((await call(url, 'GET', '/v1/models')).body.models[0].name).toBe('fake');
    expect((await call(url, 'POST', '/v1/fake/predict', { x: 2 })).body).toEqual({ y: 4 });
    const getPredict = await call(url, 'GET', '/v1/fake/predict');
    expect(getPredict.status).toBe(404);
    expect(getPredict.body.error).toBe('no route GET /v1/fake/predict; see /openapi.json');
    expect((await call(url, 'POST', '/', { x: 1 })).status).toBe(404);
  });

  it('is public when the API has a bearer token (a browser cannot send one for a page); the API still needs it', async () => {
    const server = await start({ token: 's3cret' });
    const u = server.rnnkit.url;
    expect((await call(u, 'GET', '/')).status).toBe(200);
    expect((await call(u, 'GET', '/missing.js')).status).toBe(404);
    expect((await call(u, 'GET', '/v1/models')).status).toBe(401);
    expect((await call(u, 'GET', '/v1/models', undefined, { authorization: 'Bearer s3cret' })).status).toBe(200);
  });

  it('a --web folder that does not exist stops start-up with one line', async () => {
    await expect(createServer({ port: 0, models: [fakeModel()], web: join(base, 'nope') })).rejects.toThrow(/^--web .*nope: no such directory$/);
    await expect(createServer({ port: 0, models: [fakeModel()], web: join(web, 'style.css') })).rejects.toThrow(/not a directory$/);
  });
});
