import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RnnkitError } from '@rnnkit/core';

/** The route of the static files (the server exempts it from the bearer token). */
export const STATIC_ROUTE = '/*';

/** Content types by extension (what a Vite build and tfjs model files hold); anything else is a download. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
};

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The static root, resolved (symlinks included) once; start-up fails with one line when it is not a directory. */
export async function resolveWebRoot(dir: string): Promise<string> {
  let root: string;
  try {
    root = await realpath(dir);
  } catch {
    throw new RnnkitError(`--web ${dir}: no such directory`);
  }
  if (!(await stat(root)).isDirectory()) throw new RnnkitError(`--web ${dir}: not a directory`);
  return root;
}

/**
 * The file under `root` that a URL path names, or undefined (404). Confined to `root`: the path is decoded once,
 * and a `..` or hidden (dot) segment, a backslash or a NUL byte is refused before touching the disk; the file's real
 * path (symlinks resolved) must still lie under the real root, so a symlink cannot lead out of it. A directory
 * stands for its index.html.
 */
export async function staticFile(root: string, urlPath: string): Promise<{ file: string; size: number; mtime: Date } | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s.startsWith('.'))) return undefined;
  let candidate = join(root, ...segments);
  for (let i = 0; i < 2; i++) {
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return undefined;
    }
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    const info = await stat(real);
    if (info.isFile()) return { file: real, size: info.size, mtime: info.mtime };
    if (!info.isDirectory()) return undefined;
    candidate = join(real, 'index.html');
  }
  return undefined;
}

/**
 * Serves `root` (the web playground's build) at `/` (GET, and HEAD), below every API route: the server's own routes
 * are matched first, and a path under /v1/ never reaches the disk. `notFound` answers what is not there.
 */
export function registerStatic(app: FastifyInstance, root: string, notFound: (req: FastifyRequest, reply: FastifyReply) => void): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const found = path.startsWith('/v1/') ? undefined : await staticFile(root, path);
    if (!found) return notFound(req, reply);
    // Vite puts content-hashed names under assets/: they never change. Anything else is checked on every load.
    const immutable = path.startsWith('/assets/');
    void reply
      .type(contentTypeOf(found.file))
      .header('content-length', found.size)
      .header('last-modified', found.mtime.toUTCString())
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.send(createReadStream(found.file));
  };
  // GET only: Fastify answers HEAD from it (same headers, no body).
  app.get(STATIC_ROUTE, handler);
}
