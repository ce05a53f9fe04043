import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { initBackend, loadModelDir, readTensorFiles, TRAIN_STATE_JSON } from '@rnnkit/core';
import { discoverApps, type DiscoveredApp } from './apps.js';
import { TINY } from './cli.js';

/**
 * The crash suite: every app that trains is SIGKILLed twice in one run, then resumed to the end, and must finish with
 * the very weights (same sha256) of an uninterrupted run with the same seed.
 *
 * - Kill 1 lands inside a checkpoint's directory swap, at its most fragile point: the old `last/` moved aside, the
 *   new one not yet in place (core's test hook RNNKIT_TEST_SWAP_PAUSE_MS holds the swap there and says so on stderr).
 * - Kill 2 lands shortly after a later checkpoint, while the resumed run trains on.
 * Checkpoints are taken every step (RNNKIT_CHECKPOINT_EVERY_STEPS=1), so both kills interrupt an epoch in its middle
 * and the resumes continue mid-epoch. After every kill, every checkpoint of the run must load (weights hash verified,
 * optimizer slots and training state readable). The uninterrupted reference runs without either variable, so the
 * comparison also shows that taking checkpoints does not change what is trained.
 */

if (!process.env.RNNKIT_DATA_DIR) throw new Error('RNNKIT_DATA_DIR is not set: the crash suite trains on the real datasets');

const apps = await discoverApps();
const root = mkdtempSync(join(tmpdir(), 'rnnkit-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => initBackend({ quiet: true }));

/** Two short epochs with the same seed for every run of an app (the stocks walk-forward adds one fine-tuning epoch). */
const BUDGET = ['--epochs', '2', '--max-steps-per-epoch', '4', '--seed', '11', '--quiet'];

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** "swap pause" notices seen before the run ended. */
  pauses: number;
}

/**
 * Runs the app's CLI; when `killAt` is given, SIGKILLs it `delayMs` after its `killAt`-th swap-pause notice. A run
 * that ends by itself first is reported as such (the test then fails: the kill was meant to land mid-run).
 */
function run(app: DiscoveredApp, args: string[], env: Record<string, string>, killAt?: { pause: number; delayMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [app.cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let pauses = 0;
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderr += text;
      pauses += text.split('\n').filter((l) => l.startsWith('rnnkit-test: swap pause ')).length;
      if (killAt && pauses >= killAt.pause) {
        const target = killAt;
        killAt = undefined;
        setTimeout(() => child.kill('SIGKILL'), target.delayMs);
      }
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(guard);
      resolve({ status, signal, stderr, pauses });
    });
  });
}

/** Every checkpoint directory of a run (`last`, `best`, per phase for stocks), or its swap backup `.last.old`. */
function checkpointDirs(runDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const full = join(dir, entry.name);
      if (/^(last|best)$/.test(entry.name)) found.push(full);
      else if (/^\.(last|best)\.old$/.test(entry.name)) {
        const live = join(dir, entry.name.slice(1, -4));
        if (!existsSync(live)) found.push(live); // the swap was killed between its renames: the backup is the checkpoint
      } else if (!entry.name.startsWith('.')) walk(full);
    }
  };
  walk(join(runDir, 'checkpoints'));
  return found;
}

/** Loads one checkpoint the way --resume does: model (hash-checked), optimizer slots and the training state. */
async function checkCheckpoint(dir: string): Promise<number> {
  const loaded = await loadModelDir(dir);
  loaded.model.dispose();
  tf.dispose((await readTensorFiles(loaded.dir, 'optimizer')).map((s) => s.tensor));
  const state = JSON.parse(readFileSync(join(loaded.dir, TRAIN_STATE_JSON), 'utf8')) as { globalStep: number };
  expect(state.globalStep).toBeGreaterThanOrEqual(0);
  return state.globalStep;
}

async function checkAllCheckpoints(runDir: string): Promise<number> {
  const dirs = checkpointDirs(runDir);
  expect(dirs.length).toBeGreaterThan(0);
  for (const dir of dirs) await checkCheckpoint(dir);
  return dirs.length;
}

function weightsSha(runDir: string): string {
  const meta = JSON.parse(readFileSync(join(runDir, 'model', 'rnnkit.json'), 'utf8')) as { weights: { sha256: string } };
  return meta.weights.sha256;
}

/** Per app: kills, checkpoints loaded after the kills, and whether the resumed weights matched (for the report). */
const table: Record<string, { kills: number; checkpointsLoaded: number; match: boolean }> = {};
afterAll(() => {
  if (Object.keys(table).length > 0) console.log(`crash table: ${JSON.stringify(table)}`);
});

it('covers every app that trains', () => {
  expect(apps.length).toBeGreaterThanOrEqual(6);
});

it.concurrent.each(apps.map((a) => [a.app.name, a] as const))('%s: killed in a checkpoint swap and mid-run, resumes to the uninterrupted weights', async (name, app) => {
  const tiny = [...TINY[name].train, ...BUDGET];
  const ref = join(root, `${name}-ref`);
  const crashed = join(root, `${name}-crash`);
  const entry = { kills: 0, checkpointsLoaded: 0, match: false };
  table[name] = entry;

  const reference = await run(app, ['train', '--out', ref, ...tiny], {});
  expect(reference.status, reference.stderr).toBe(0);

  const every = { RNNKIT_CHECKPOINT_EVERY_STEPS: '1' };
  // Kill 1: the second checkpoint swap is held open (the first one completes after its pause) and killed there.
  const first = await run(app, ['train', '--out', crashed, ...tiny], { ...every, RNNKIT_TEST_SWAP_PAUSE_MS: '800' }, { pause: 2, delayMs: 0 });
  expect(first.signal, first.stderr).toBe('SIGKILL');
  entry.kills += 1;
  entry.checkpointsLoaded += await checkAllCheckpoints(crashed);

  // Kill 2: the resumed run is killed shortly after its third checkpoint began, i.e. in the middle of training.
  const second = await run(app, ['train', '--resume', '--out', crashed, '--quiet'], { ...every, RNNKIT_TEST_SWAP_PAUSE_MS: '100' }, { pause: 3, delayMs: 250 });
  expect(second.signal, second.stderr).toBe('SIGKILL');
  expect(second.stderr).toMatch(/resuming from .* after step/);
  entry.kills += 1;
  entry.checkpointsLoaded += await checkAllCheckpoints(crashed);

  const last = await run(app, ['train', '--resume', '--out', crashed, '--quiet'], every);
  expect(last.status, last.stderr).toBe(0);
  expect(last.stderr).toMatch(/resuming from /);
  entry.match = weightsSha(crashed) === weightsSha(ref);
  expect(weightsSha(crashed)).toBe(weightsSha(ref));
}, 600_000);
