// npm `install` script: compiles the N-API addon with node-gyp (bundled with npm). It must never
// fail `npm ci`: without a C++ toolchain the toolkit still works on plain tfjs, so any failure
// prints one warning and exits 0. RNNKIT_NATIVE=0 skips the build entirely.
//
// With --if-stale (the package's `build` script, run by turbo) it compiles only when the sources,
// the BLAS choice or the Node version differ from those of the addon on disk: the install script
// compiles once at `npm ci`, and a `git pull` that changes native/ gets a fresh addon from the next
// `npm run build` instead of a stale one that lacks new entry points.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOpenBLAS } from './find-openblas.mjs';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function nodeGypPath() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  return candidates.find((p) => p && existsSync(p));
}

function warnAndExit(reason) {
  console.warn(
    `rnnkit native: addon not built (${reason}); rnnkit will run on plain tfjs (much slower training). ` +
      'Install g++, make and python3 (and optionally libopenblas-dev), then run `npm rebuild @rnnkit/native`.',
  );
  process.exit(0);
}

if (process.env.RNNKIT_NATIVE === '0') {
  console.log('rnnkit native: RNNKIT_NATIVE=0, skipping the addon build');
  process.exit(0);
}

const addonFile = join(packageDir, 'build', 'Release', 'rnnkit_native.node');
const stampFile = join(packageDir, 'build', 'Release', 'rnnkit-build-stamp.txt');

/** Files under dir, sorted, as paths relative to the package. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

/** What the compiled addon depends on: source bytes, the BLAS found, Node's ABI. */
function buildStamp(blas) {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(packageDir, 'native')), join(packageDir, 'binding.gyp')]) {
    hash.update(relative(packageDir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(JSON.stringify({ blas, node: process.versions.modules, arch: process.arch }));
  return hash.digest('hex');
}

const blas = findOpenBLAS();
const stamp = buildStamp(blas);
if (process.argv.includes('--if-stale') && existsSync(addonFile) && existsSync(stampFile)) {
  if (readFileSync(stampFile, 'utf8').trim() === stamp) {
    console.log('rnnkit native: addon up to date with its sources');
    process.exit(0);
  }
}

const gyp = nodeGypPath();
if (!gyp) warnAndExit('node-gyp not found');

const args = [gyp, 'rebuild', '--release'];
// Outside npm, point node-gyp at the headers installed next to node so it never downloads them.
const localHeaders = join(dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (!process.env.npm_config_nodedir && existsSync(localHeaders)) {
  args.push(`--nodedir=${resolve(dirname(process.execPath), '..')}`);
}

console.log(
  blas
    ? `rnnkit native: building with OpenBLAS (headers ${blas.include}, library ${blas.lib})`
    : 'rnnkit native: OpenBLAS not found, building the portable multi-threaded GEMM',
);
const result = spawnSync(process.execPath, args, { cwd: packageDir, stdio: 'inherit' });
if (result.error) warnAndExit(result.error.message);
if (result.status !== 0) warnAndExit(`node-gyp exited with status ${result.status}`);
// Written after a successful build only, and atomically, so a killed build never looks current.
writeFileSync(`${stampFile}.tmp`, `${stamp}\n`);
renameSync(`${stampFile}.tmp`, stampFile);
console.log('rnnkit native: addon built (build/Release/rnnkit_native.node)');
