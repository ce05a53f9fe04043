// Locates OpenBLAS (cblas.h + libopenblas) for binding.gyp and build-addon.mjs.
// CLI: `node scripts/find-openblas.mjs include|lib` prints the directory or an empty string
// (gyp's <!() expands it; empty means "build the portable GEMM").
// Overrides: RNNKIT_OPENBLAS=0 disables OpenBLAS; RNNKIT_OPENBLAS_DIR=<prefix> (with include/
// and lib/) points at a custom install. Otherwise pkg-config, then the usual Debian/Ubuntu,
// Fedora and Homebrew locations are tried.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const multiarch = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';
const LIB_NAMES = ['libopenblas.so', 'libopenblas.dylib'];

function hasHeader(dir) {
  return existsSync(join(dir, 'cblas.h'));
}

function hasLibrary(dir) {
  return LIB_NAMES.some((name) => existsSync(join(dir, name)));
}

function fromPkgConfig() {
  try {
    const flags = execFileSync('pkg-config', ['--cflags-only-I', '--libs-only-L', 'openblas'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split(/\s+/);
    const includes = flags.filter((f) => f.startsWith('-I')).map((f) => f.slice(2));
    const libs = flags.filter((f) => f.startsWith('-L')).map((f) => f.slice(2));
    return { includes, libs };
  } catch {
    return { includes: [], libs: [] };
  }
}

/** @returns {{ include: string, lib: string } | null} */
export function findOpenBLAS(env = process.env) {
  if (env.RNNKIT_OPENBLAS === '0') return null;
  const prefixes = [env.RNNKIT_OPENBLAS_DIR].filter(Boolean);
  const pc = fromPkgConfig();
  const includeDirs = [
    ...prefixes.map((p) => join(p, 'include')),
    ...pc.includes,
    `/usr/include/${multiarch}/openblas-pthread`,
    '/usr/include/openblas',
    `/usr/include/${multiarch}`,
    '/usr/include',
    '/usr/local/include',
    '/opt/homebrew/opt/openblas/include',
    '/usr/local/opt/openblas/include',
  ];
  const libDirs = [
    ...prefixes.map((p) => join(p, 'lib')),
    ...pc.libs,
    `/usr/lib/${multiarch}/openblas-pthread`,
    `/usr/lib/${multiarch}`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/opt/homebrew/opt/openblas/lib',
    '/usr/local/opt/openblas/lib',
  ];
  const include = includeDirs.find((d) => d && hasHeader(d));
  const lib = libDirs.find((d) => d && hasLibrary(d));
  return include && lib ? { include, lib } : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = findOpenBLAS();
  const what = process.argv[2];
  process.stdout.write(found ? (what === 'lib' ? found.lib : found.include) : '');
}
