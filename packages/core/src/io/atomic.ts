import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { RnnkitError } from '../errors.js';

/**
 * Atomic file and directory writes: readers (and a run killed mid-write) only ever see the old complete content or
 * the new complete content, never a half-written file.
 */

/**
 * Creates `dir` and its missing parents, one level at a time. Not `mkdir -p` through Node's `recursive: true`,
 * which loops forever where a parent refuses creation with ENOENT (e.g. anywhere under /proc). Every failure is one
 * line naming the directory: a parent that is a file, no permission, a read-only or virtual filesystem.
 */
export function ensureDir(dir: string): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let p = target;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new RnnkitError(`${dir}: cannot create the directory (${code} on ${p})`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw new RnnkitError(`${dir}: cannot create the directory: ${p} is a file, not a directory`);
      break;
    }
    missing.push(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(m).isDirectory()) continue; // created meanwhile by another process
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only filesystem' : code;
      throw new RnnkitError(`${dir}: cannot create the directory (${why} on ${m})`);
    }
  }
}

/** A name next to `target` that is unique per process and call, so concurrent writers never share a temp file. */
function tempSibling(target: string, tag: string): string {
  const dir = path.dirname(target);
  return path.join(dir, `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so that a rename inside it survives a power loss (not supported on every platform). */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // See fsyncDir.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A failed write as one line naming the file (a directory in the way, no permission, a full disk). */
function writeError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return err;
  const why = code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'no space left on the device' : code;
  return new RnnkitError(`${file}: cannot write (${why})`, { cause: err });
}

/** Write `data` to `file` via a temp file in the same directory, fsync, then rename over the target. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(file, 'tmp');
  ensureDir(path.dirname(file));
  try {
    const handle = await fsp.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw writeError(file, err);
  }
  await fsyncDir(path.dirname(file));
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const tmp = tempSibling(file, 'tmp');
  ensureDir(path.dirname(file));
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, err);
  }
  fsyncDirSync(path.dirname(file));
}

/** The backup name a directory replacement uses while swapping; `resolveDirWithBackup` knows it too. */
export function backupDirName(dir: string): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.old`);
}

/**
 * Test hook (RNNKIT_TEST_SWAP_PAUSE_MS=ms): waits inside a directory swap at its most fragile point, the old
 * directory moved aside and the new one not yet renamed into place, after announcing it on stderr. The crash suite
 * SIGKILLs a run there to prove that no kill leaves a checkpoint missing or half written.
 */
async function testSwapPause(dir: string): Promise<void> {
  const ms = Number(process.env.RNNKIT_TEST_SWAP_PAUSE_MS);
  if (!(ms > 0)) return;
  process.stderr.write(`rnnkit-test: swap pause ${dir}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 60_000)));
}

/**
 * Replace directory `dir` with one whose files are written by `fill(tmpDir)`. The new content is built and fsynced
 * in a temp sibling; only then is the old directory moved aside (to `backupDirName(dir)`), the new one renamed into
 * place, and the old one deleted. A kill at any point leaves either `dir` or its backup complete.
 */
export async function replaceDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  ensureDir(parent);
  await removeStaleTempDirs(path.resolve(dir));
  const tmp = tempSibling(path.resolve(dir), 'tmp');
  const backup = backupDirName(path.resolve(dir));
  await fsp.mkdir(tmp);
  try {
    await fill(tmp);
    for (const name of await fsp.readdir(tmp)) {
      const handle = await fsp.open(path.join(tmp, name), 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await fsyncDir(tmp);
    // A backup left by an earlier killed swap is stale once `dir` exists again; if `dir` is missing, the backup is
    // the only complete copy until our rename below lands, so it is removed only afterwards.
    const hadDir = fs.existsSync(dir);
    if (hadDir) {
      await fsp.rm(backup, { recursive: true, force: true });
      await fsp.rename(dir, backup);
    }
    await testSwapPause(dir);
    await fsp.rename(tmp, dir);
    await fsyncDir(parent);
    await fsp.rm(backup, { recursive: true, force: true });
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temp directories left by saves that were killed (each can be a whole model), so that repeated Ctrl-C during
 * checkpointing does not pile them up. Directories of live processes are left alone: they may be mid-save.
 */
async function removeStaleTempDirs(dir: string): Promise<void> {
  const prefix = `.${path.basename(dir)}.tmp-`;
  for (const name of await fsp.readdir(path.dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      await fsp.rm(path.join(path.dirname(dir), name), { recursive: true, force: true });
    }
  }
}

/**
 * `dir` itself when it exists; otherwise its swap backup when a replacement was killed between its two renames;
 * otherwise `dir` (so the caller reports it as missing).
 */
export function resolveDirWithBackup(dir: string): string {
  if (fs.existsSync(dir)) return dir;
  const backup = backupDirName(path.resolve(dir));
  return fs.existsSync(backup) ? backup : dir;
}
