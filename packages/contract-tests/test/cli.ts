import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DiscoveredApp } from './apps.js';

/**
 * What the contract test and the bad-input suite share: each app's tiny training flags, and running an app's built
 * CLI (apps/<app>/dist/cli.js) with the one-line-error rule of the contract.
 */

import { TINY } from './tiny.js';

export { TINY };

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time of the process, in milliseconds. */
  ms: number;
  /** Killed by the timeout (a hang). */
  timedOut: boolean;
}

export interface CliOptions {
  /** Killed with SIGKILL after this long (SIGTERM would not end a process that ignores it). Default 300 s. */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string | undefined>;
  /** stdin (default: empty). */
  input?: string;
}

function childEnv(opts: CliOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...opts.env };
}

/** Runs the app's built CLI and waits for it (blocking). */
export function cli(app: DiscoveredApp, args: string[], opts: CliOptions = {}): CliResult {
  const timeout = opts.timeoutMs ?? 300_000;
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [app.cli, ...args], {
    encoding: 'utf8', timeout, killSignal: 'SIGKILL', input: opts.input ?? '', env: childEnv(opts), maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  const timedOut = (run.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { status: run.status, signal: run.signal, stdout: run.stdout ?? '', stderr: run.stderr ?? '', ms, timedOut };
}

/**
 * Trains a tiny model of `app` with the built CLI (TINY's settings, one epoch of two steps) into the run directory
 * `out`, and returns its model directory.
 */
export function trainTiny(app: DiscoveredApp, out: string): string {
  const tiny = TINY[app.app.name];
  if (!tiny) throw new Error(`add ${app.app.name} to TINY in test/tiny.ts`);
  const result = cli(app, ['train', '--out', out, '--epochs', '1', '--max-steps-per-epoch', '2', '--quiet', '--json', ...tiny.train]);
  expect(result.status, result.stderr).toBe(0);
  const { modelDir } = JSON.parse(result.stdout) as { modelDir: string };
  expect(modelDir).toBe(join(out, 'model'));
  return modelDir;
}

/** Like `cli`, without blocking the test process (so several rows can run side by side). */
export function cliAsync(app: DiscoveredApp, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const timeout = opts.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [app.cli, ...args], { env: childEnv(opts), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // a child that exits before reading its stdin
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status, signal, timedOut, ms: performance.now() - t0,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** stderr's lines without the backend notice and warnings (what a user error may print: exactly one line). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('rnnkit: backend=') && !l.startsWith('rnnkit: warning'));
}

/** A stack frame anywhere in the output. */
export const STACK_FRAME = /\n\s+at /;

/** A user error: exit 1 and exactly one line on stderr after the backend notice, no stack trace. */
export function oneLineError(result: { status: number | null; stderr: string }): string {
  expect(result.status).toBe(1);
  const lines = errorLines(result.stderr);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  return lines[0];
}
