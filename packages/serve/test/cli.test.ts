import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildServeProgram, defaultWebDir, parseModelArg, runServeCli, serve, type ServeFlags } from '../src/index.js';
import { appOrUndefined, call, tempDir, trainTiny } from './helpers.js';

const root = tempDir();
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function flagsOf(args: string[]): Promise<ServeFlags> {
  let flags: ServeFlags | undefined;
  await buildServeProgram(async (f) => void (flags = f)).exitOverride().parseAsync(['node', 'rnnkit-serve', ...args]);
  return flags!;
}

describe('rnnkit-serve command line', () => {
  it('parses --model [name=]dir', () => {
    expect(parseModelArg('textgen=runs/a/model')).toEqual({ name: 'textgen', dir: 'runs/a/model' });
    expect(parseModelArg('runs/a/model')).toEqual({ dir: 'runs/a/model' });
    expect(parseModelArg('runs/a=b/model')).toEqual({ dir: 'runs/a=b/model' });
    expect(() => parseModelArg('bot=')).toThrow('--model bot=: no model directory after "="');
  });

  it('has safe defaults: loopback, port 8080, batching on, no token, no CORS', async () => {
    const flags = await flagsOf(['--model', 'a=x', '--model', 'y']);
    expect(flags).toMatchObject({
      model: [{ name: 'a', dir: 'x' }, { dir: 'y' }], host: '127.0.0.1', port: 8080, batching: true, maxBatch: 32, batchWaitMs: 0,
      bodyLimit: 1048576, timeoutMs: 30000, maxConcurrent: 64, sessionTtlS: 1800, maxSessions: 1000, maxHistoryTurns: 20,
    });
    expect(flags.token).toBeUndefined();
    expect(flags.cors).toBeUndefined();
    expect((await flagsOf(['--model', 'x', '--no-batching', '--cors', 'https://a', '--cors', 'https://b'])).cors).toEqual(['https://a', 'https://b']);
    expect((await flagsOf(['--model', 'x', '--no-batching'])).batching).toBe(false);
  });

  it('--web DIR serves a folder at /, --no-web none; without either the playground build when there is one', async () => {
    expect((await flagsOf(['--model', 'x', '--web', 'site'])).web).toBe('site');
    expect((await flagsOf(['--model', 'x', '--no-web'])).web).toBe(false);
    expect((await flagsOf(['--model', 'x'])).web).toBeUndefined();
    const dir = defaultWebDir();
    if (dir !== undefined) expect(dir).toMatch(/runs\/web\/$/);
  });

  it('a model dir that fails to load: exit 1 and one line naming it', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      await runServeCli(['node', 'rnnkit-serve', '--model', `bot=${root}/missing`, '--port', '0', '--quiet']);
    } finally {
      spy.mockRestore();
    }
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    const text = lines.join('').split('\n').filter((l) => l !== '' && !l.startsWith('rnnkit: backend'));
    expect(text).toHaveLength(1);
    expect(text[0]).toMatch(new RegExp(`^error: --model bot=${root}/missing: `));
  });

  it('serves from flags and drains on SIGTERM', async () => {
    const textgen = (await appOrUndefined('textgen'))!;
    const dir = await trainTiny(textgen, root);
    const signals = new EventEmitter();
    const flags = await flagsOf(['--model', dir, '--port', '0', '--quiet']);
    const server = await serve(flags, signals);
    expect((await call(server.rnnkit.url, 'GET', '/readyz')).status).toBe(200);
    expect((await call(server.rnnkit.url, 'POST', '/v1/textgen/predict', { text: 'ROMEO:', decode: { maxLen: 3 } })).status).toBe(200);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(server.rnnkit.draining).toBe(true);
    await server.rnnkit.shutdown();
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    await expect(fetch(`${server.rnnkit.url}/healthz`)).rejects.toThrow();
  });
});
