import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RnnkitError } from '../errors.js';
import { ensureDir, writeFileAtomic } from '../io/atomic.js';

export interface FetchCachedOptions {
  /** Give up after this long (connect + download); default 60 s. Offline runs fail fast instead of hanging. */
  timeoutMs?: number;
}

/**
 * Downloads `url` into `cachePath` unless a non-empty file is already there; returns `cachePath`.
 * The file is written atomically, so an interrupted download never leaves a truncated cache entry behind.
 */
export async function fetchCached(url: string, cachePath: string, opts: FetchCachedOptions = {}): Promise<string> {
  if (isNonEmptyFile(cachePath)) return cachePath;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let body: Uint8Array;
  try {
    const res = await fetch(url, { signal: controller.signal });
    if (!res.ok) throw new RnnkitError(`download of ${url} failed: HTTP ${res.status} ${res.statusText}`);
    body = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    const reason = controller.signal.aborted
      ? `no complete response within ${timeoutMs} ms`
      : describeNetworkError(err);
    throw new RnnkitError(`download of ${url} failed: ${reason} (are you offline? pass --data with a local copy)`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
  if (body.length === 0) throw new RnnkitError(`download of ${url} failed: the server sent an empty body`);
  ensureDir(path.dirname(cachePath));
  await writeFileAtomic(cachePath, body);
  return cachePath;
}

/** Node's fetch wraps the useful part (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const detail = e.cause?.code ?? e.cause?.message;
  return detail ? `${e.message ?? 'error'} (${detail})` : String(e.message ?? err);
}

function isNonEmptyFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st.size > 0 : st.isDirectory();
  } catch {
    return false;
  }
}

/** $RNNKIT_CACHE_DIR, else ~/.cache/rnnkit. */
export function cacheDir(): string {
  return process.env.RNNKIT_CACHE_DIR || path.join(os.homedir(), '.cache', 'rnnkit');
}

export interface ResolveDataOptions {
  /** Public download URL of the file, used when it is found nowhere locally. */
  url?: string;
  /** File name inside the cache directory; default: `relativePath`. */
  cacheName?: string;
  /**
   * For datasets that are not one file at one URL (a folder of files): fills `cachePath` itself, replacing the
   * single-URL download. Its error message is listed like a failed download.
   */
  download?: (cachePath: string) => Promise<void>;
  timeoutMs?: number;
}

/**
 * Finds a dataset file: the --data flag if given (and then only there), else $RNNKIT_DATA_DIR/relativePath,
 * else the cache directory, else downloads `url` into the cache. The error lists every place it looked.
 */
export async function resolveDataPath(
  flag: string | undefined,
  relativePath: string,
  opts: ResolveDataOptions = {},
): Promise<string> {
  if (flag !== undefined && flag !== '') {
    if (fs.existsSync(flag)) return path.resolve(flag);
    throw new RnnkitError(`--data ${flag}: no such file or directory`);
  }
  const tried: string[] = [];
  const dataDir = process.env.RNNKIT_DATA_DIR;
  if (dataDir) {
    const p = path.resolve(dataDir, relativePath);
    if (fs.existsSync(p)) return p;
    tried.push(`$RNNKIT_DATA_DIR/${relativePath} (${p}): not found`);
  } else {
    tried.push('$RNNKIT_DATA_DIR: not set');
  }
  const cached = path.join(cacheDir(), opts.cacheName ?? relativePath);
  if (isNonEmptyFile(cached)) return cached;
  tried.push(`cache ${cached}: not found`);
  if (opts.download) {
    try {
      await opts.download(cached);
      return cached;
    } catch (err) {
      tried.push(`download: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else if (opts.url) {
    try {
      return await fetchCached(opts.url, cached, { timeoutMs: opts.timeoutMs });
    } catch (err) {
      tried.push(`download ${opts.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    tried.push('download: no URL known for this file');
  }
  throw new RnnkitError(
    `could not find data file ${relativePath}. Looked in:\n  - --data flag: not given\n` +
      tried.map((t) => `  - ${t}`).join('\n') +
      '\nPass --data PATH or set RNNKIT_DATA_DIR.',
  );
}
