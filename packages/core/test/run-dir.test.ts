import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import { lockRunDir, readRunConfig, RUN_LOCK, runJson, writeRunJson } from '../src/app/run-dir.js';
import { RNNKIT_VERSION } from '../src/version.js';

let root: string;
let child: ChildProcess | undefined;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-rundir-'));
});
afterEach(() => {
  if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A pid that cannot be running: above the largest pid Linux hands out (2^22). */
const DEAD_PID = 2 ** 22 + 4321;

const lockFile = (dir: string) => path.join(dir, RUN_LOCK);
const exitListeners = () => process.listenerCount('exit');

describe('lockRunDir', () => {
  it('creates the run directory and run.lock with our pid; the returned function releases it', () => {
    const dir = path.join(root, 'fresh', 'nested');
    const listeners = exitListeners();
    const release = lockRunDir(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8').trim()).toBe(String(process.pid));
    expect(exitListeners()).toBe(listeners + 1); // released at exit too
    release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    expect(exitListeners()).toBe(listeners);
    release(); // twice is harmless
    // and the directory can be locked again
    lockRunDir(dir)();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  });

  it('refuses while a live process holds the lock, naming its pid; the lock is left alone', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'live-'));
    child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      child!.once('spawn', () => resolve());
      child!.once('error', reject);
    });
    const pid = child.pid!;
    fs.writeFileSync(lockFile(dir), `${pid}\n`);
    let err: unknown;
    try {
      lockRunDir(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RnnkitError);
    expect((err as Error).message).toBe(`${dir}: another process (pid ${pid}) is training in this run directory; use another --out`);
    expect(fs.readFileSync(lockFile(dir), 'utf8').trim()).toBe(String(pid));

    // once that process is gone, its lock is stale and is taken over
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    const release = lockRunDir(dir);
    expect(fs.readFileSync(lockFile(dir), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
  });

  it('takes over a stale lock (a pid that does not exist) or an unreadable one', () => {
    for (const content of [`${DEAD_PID}\n`, '', 'garbage']) {
      const dir = fs.mkdtempSync(path.join(root, 'stale-'));
      fs.writeFileSync(lockFile(dir), content);
      const release = lockRunDir(dir);
      expect(fs.readFileSync(lockFile(dir), 'utf8').trim()).toBe(String(process.pid));
      release();
      expect(fs.existsSync(lockFile(dir))).toBe(false);
    }
  });

  it('release does not remove a lock that another process has taken since', () => {
    const dir = fs.mkdtempSync(path.join(root, 'taken-'));
    const release = lockRunDir(dir);
    fs.writeFileSync(lockFile(dir), `${DEAD_PID}\n`); // e.g. our lock was judged stale and taken over
    release();
    expect(fs.readFileSync(lockFile(dir), 'utf8').trim()).toBe(String(DEAD_PID));
  });
});

describe('run.json', () => {
  it('records app, versions and config, and is read back for --resume by the same app only', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'runjson-'));
    expect(await readRunConfig(dir, 'toy')).toBeUndefined();
    const config = { data: 'a.csv', epochs: 3 };
    const record = runJson({ name: 'toy', version: '1.0.0' }, config);
    expect(record).toMatchObject({ app: { name: 'toy', version: '1.0.0' }, rnnkitVersion: RNNKIT_VERSION, tfjsVersion: tf.version.tfjs, node: process.version, config });
    writeRunJson(dir, record);
    const file = path.join(dir, 'run.json');
    expect(await readRunConfig(dir, 'toy')).toEqual({ file, config });
    await expect(readRunConfig(dir, 'chatbot')).rejects.toThrow(`${file}: this run belongs to toy, not chatbot; use another --out`);
    fs.writeFileSync(file, JSON.stringify({ app: { name: 'toy' } }));
    await expect(readRunConfig(dir, 'toy')).rejects.toThrow(`${file}: field "config" is missing`);
  });
});
