import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { REQUIRED_FUNCTIONS } from '../src/addon.js';
import { expectAddonLoaded, optedOut } from './helpers.js';

// The loader treats an addon that lacks one of REQUIRED_FUNCTIONS as stale (compiled from older
// sources) and falls back to plain tfjs. The list must therefore name exactly what the compiled
// addon exports: a new entry point left out of it would escape the stale check.
describe.skipIf(optedOut)('addon entry points', () => {
  it('the stale-addon check names every function the compiled addon exports, and only those', () => {
    expectAddonLoaded();
    const raw = createRequire(import.meta.url)('../build/Release/rnnkit_native.node') as Record<string, unknown>;
    const exported = Object.keys(raw).filter((name) => typeof raw[name] === 'function').sort();
    expect([...REQUIRED_FUNCTIONS].sort()).toEqual(exported);
  });
});

// The pool sizes itself from the cores the process may run on: pinned to one core (taskset, a container's cpuset), a
// second worker could only take turns with the first on it.
const tasksetWorks = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
describe.skipIf(optedOut || !tasksetWorks)('thread pool size', () => {
  const threadsUnder = (cpus: string, env: Record<string, string> = {}): number => {
    const { RNNKIT_NATIVE_THREADS: _, ...rest } = process.env;
    const run = spawnSync('taskset', ['-c', cpus, process.execPath, '--input-type=module', '-e',
      `import { nativeDetails } from '@rnnkit/native'; console.log(nativeDetails().threads);`], {
      encoding: 'utf8', env: { ...rest, ...env }, cwd: new URL('..', import.meta.url).pathname,
    });
    expect(run.status, run.stderr).toBe(0);
    return Number(run.stdout.trim());
  };

  it('counts only the cores the CPU affinity allows, and RNNKIT_NATIVE_THREADS still overrides it', () => {
    expectAddonLoaded();
    expect(threadsUnder('0')).toBe(1);
    expect(threadsUnder('0', { RNNKIT_NATIVE_THREADS: '3' })).toBe(3);
    if (cpus().length >= 2) expect(threadsUnder('0,1')).toBe(2);
  });
});
