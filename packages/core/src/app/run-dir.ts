import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';
import { ensureDir, processAlive, writeFileAtomicSync } from '../io/atomic.js';
import { readJsonFile } from '../io/model-dir.js';
import { RNNKIT_VERSION } from '../version.js';

/**
 * A run directory has one writer at a time: `run.lock` holds the writer's pid. A lock whose process is gone (the
 * run was killed with -9) is taken over; a live one is an error naming the pid.
 */
export const RUN_LOCK = 'run.lock';
/** The run's resolved config and versions, written when training starts (and read back by --resume). */
export const RUN_JSON = 'run.json';

/** Takes the run directory's lock; returns the function that releases it (also released at process exit). */
export function lockRunDir(runDir: string): () => void {
  ensureDir(runDir);
  const file = path.join(runDir, RUN_LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      const release = () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return () => {
        process.off('exit', release);
        release();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new RnnkitError(`${file}: cannot create the run lock (${(err as Error).message})`);
      }
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      // Our own pid means another run in this process holds it (a lock left by a dead process never has our pid
      // unless the pid was recycled, which the next attempt after its removal would show).
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new RnnkitError(`${runDir}: another process (pid ${pid}) is training in this run directory; use another --out`);
      }
      fs.rmSync(file, { force: true }); // stale: its writer died
    }
  }
  throw new RnnkitError(`${file}: cannot take the run lock`);
}

export interface RunJson {
  app: { name: string; version: string };
  rnnkitVersion: string;
  tfjsVersion: string;
  node: string;
  startedAt: string;
  config: Record<string, unknown>;
}

export function runJson(app: { name: string; version: string }, config: Record<string, unknown>): RunJson {
  return {
    app: { name: app.name, version: app.version },
    rnnkitVersion: RNNKIT_VERSION,
    tfjsVersion: tf.version.tfjs,
    node: process.version,
    startedAt: new Date().toISOString(),
    config,
  };
}

export function writeRunJson(runDir: string, record: RunJson): void {
  writeFileAtomicSync(path.join(runDir, RUN_JSON), JSON.stringify(record, null, 2) + '\n');
}

/** The saved config of the run in `runDir` (for --resume), checked to belong to `app`. */
export async function readRunConfig(runDir: string, app: string): Promise<{ file: string; config: Record<string, unknown> } | undefined> {
  const file = path.join(runDir, RUN_JSON);
  if (!fs.existsSync(file)) return undefined;
  const json = (await readJsonFile(file, 'run config')) as Partial<RunJson> | null;
  if (typeof json !== 'object' || json === null || typeof json.config !== 'object' || json.config === null) {
    throw new RnnkitError(`${file}: field "config" is missing`);
  }
  if (json.app?.name !== app) throw new RnnkitError(`${file}: this run belongs to ${json.app?.name ?? 'no app'}, not ${app}; use another --out`);
  return { file, config: json.config };
}

/** What marks a directory as holding a run. */
const RUN_ENTRIES = [RUN_JSON, 'model', 'checkpoints', 'metrics.jsonl'];

/** The run entries present in `runDir` (none for a new or unrelated directory). */
export function existingRunEntries(runDir: string): string[] {
  return RUN_ENTRIES.filter((e) => fs.existsSync(path.join(runDir, e)));
}

/**
 * A fresh training run must not silently replace another run's model and checkpoints: reusing a run directory
 * takes --resume (continue it) or --overwrite (start over; its model, checkpoints and logs are removed first).
 */
export function checkFreshRunDir(runDir: string, overwrite: boolean): void {
  const found = existingRunEntries(runDir);
  if (found.length === 0) return;
  if (!overwrite) {
    throw new RnnkitError(
      `${runDir}: already holds a run (${found.join(', ')}); pass --resume to continue it, --overwrite to start over, or choose another --out`,
    );
  }
  for (const entry of found) fs.rmSync(path.join(runDir, entry), { recursive: true, force: true });
}
