import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, posix, resolve } from 'node:path';

// What a user gets from `npm install @rnnkit/core @rnnkit/native`: both packages are packed with `npm pack`,
// installed from the tarballs into an empty project outside the repo (from npm's cache when it can: --offline,
// else --prefer-offline), and the README's typed example (test/fixtures/consumer-example.ts) is typechecked with
// the repo's tsc against the installed declaration files, compiled, and run with node.
//
// It needs packages/core/dist and packages/native/dist: turbo builds both before this test (core's turbo.json:
// test dependsOn build and ^build); run by hand, build first (`npm run build` at the root).

const coreDir = resolve(import.meta.dirname, '..');
const root = resolve(coreDir, '../..');
const nativeDir = join(root, 'packages', 'native');
const exampleSource = readFileSync(join(import.meta.dirname, 'fixtures', 'consumer-example.ts'), 'utf8');
const keep = process.env.RNNKIT_KEEP_PACK_TEST === '1';

interface PackedFile {
  path: string;
  size: number;
}

interface PackResult {
  name: string;
  version: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

/**
 * The environment of a user's shell, not of the `npm run test` / turbo / vitest that started us: their npm_*
 * settings (workspace, package, lifecycle event) and NODE_OPTIONS must not reach the consumer's npm and node.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const keepNpm = /^npm_config_(cache|userconfig|registry|nodedir)$/i.test(key);
    if (!keepNpm && /^(npm_|VITEST|NODE_OPTIONS$|NODE_ENV$|INIT_CWD$|TURBO_)/i.test(key)) continue;
    env[key] = value;
  }
  // node-gyp builds @rnnkit/native against the headers installed with this node, never downloads them.
  const prefix = dirname(dirname(process.execPath));
  if (!env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

function run(command: string, args: string[], cwd: string, timeoutMs: number, env = userEnv()): Run {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  const failure = result.error ? `\n${command} failed: ${result.error.message}` : '';
  return { status: result.status, stdout, stderr, output: `$ ${command} ${args.join(' ')}\n${stdout}\n${stderr}${failure}` };
}

/** True when `name` is an executable on PATH. */
function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}

function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Every file path an `exports` map points at, whatever the conditions. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports && typeof exports === 'object') return Object.values(exports).flatMap(exportTargets);
  return [];
}

const normal = (p: string) => posix.normalize(p.replace(/^\.\//, ''));

/**
 * What is wrong with a packed package: entry points (exports, main, types, bin, the install script) that are not in
 * the tarball, relative imports of packed JS or declaration files that lead nowhere, source maps whose sources
 * were left out, and files a user never needs (tests, build output, caches).
 */
function packProblems(pack: PackResult, installedDir: string): string[] {
  const files = new Set(pack.files.map((f) => f.path));
  const pkg = readJson(join(installedDir, 'package.json'));
  const problems: string[] = [];
  const need = (path: string, why: string) => {
    if (!files.has(normal(path))) problems.push(`${pack.name}: ${why} ${normal(path)} is not in the tarball`);
  };

  need('package.json', 'the manifest');
  need('README.md', 'the readme');
  for (const target of exportTargets(pkg.exports)) need(target, 'exports target');
  if (pkg.main) need(pkg.main, '"main"');
  if (pkg.types) need(pkg.types, '"types"');
  for (const bin of exportTargets(pkg.bin)) need(bin, '"bin"');
  for (const script of ['preinstall', 'install', 'postinstall']) {
    for (const file of String(pkg.scripts?.[script] ?? '').match(/[\w./-]+\.[cm]?js\b/g) ?? []) need(file, `the ${script} script's`);
  }
  if (files.has('binding.gyp')) {
    const gyp = readFileSync(join(installedDir, 'binding.gyp'), 'utf8');
    for (const [, source] of gyp.matchAll(/"([\w./-]+\.(?:cc|cpp|c|h))"/g)) need(source, 'binding.gyp source');
    for (const [, script] of gyp.matchAll(/node ([\w./-]+\.[cm]?js)/g)) need(script, 'binding.gyp helper');
  }

  for (const file of files) {
    if (/(^|\/)(test|tests|__tests__|node_modules|build|coverage|\.turbo|\.vitest)\//.test(file) ||
      /\.(test|spec)\.[cm]?[jt]s$/.test(file) || /\.tsbuildinfo$/.test(file)) {
      problems.push(`${pack.name}: ${file} should not be published`);
    }
    const dir = posix.dirname(file);
    if (/\.(d\.ts|[cm]?js)$/.test(file)) {
      const text = readFileSync(join(installedDir, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = posix.join(dir, spec);
        // A declaration file's './x.js' is typed by './x.d.ts'.
        const wanted = file.endsWith('.d.ts') ? target.replace(/\.([cm]?)js$/, '.d.$1ts') : target;
        if (!files.has(wanted)) problems.push(`${pack.name}: ${file} imports ${spec}, but ${wanted} is not in the tarball`);
      }
    }
    if (file.endsWith('.map')) {
      const map = readJson<{ sources?: string[] }>(join(installedDir, file));
      for (const source of map.sources ?? []) {
        const target = posix.join(dir, source);
        if (!files.has(target)) problems.push(`${pack.name}: ${file} maps to ${target}, which is not in the tarball`);
      }
    }
  }
  return problems;
}

describe('the packed packages, installed outside the monorepo', () => {
  const work = mkdtempSync(join(tmpdir(), 'rnnkit-pack-'));
  const tarballs = join(work, 'tarballs');
  const project = join(work, 'consumer');
  const packs = new Map<string, PackResult>();
  let installMode = '';
  let installOutput = '';

  beforeAll(() => {
    for (const dir of [coreDir, nativeDir]) {
      const pkg = readJson(join(dir, 'package.json'));
      if (!existsSync(join(dir, pkg.main))) {
        throw new Error(`${pkg.name}: ${pkg.main} is missing; build first (\`npm run build\` at the root; turbo does it before this test)`);
      }
    }
    mkdirSync(tarballs);
    mkdirSync(join(project, 'src'), { recursive: true });

    for (const dir of [coreDir, nativeDir]) {
      const packed = run('npm', ['pack', '--json', '--pack-destination', tarballs], dir, 120_000);
      if (packed.status !== 0) throw new Error(packed.output);
      const [result] = JSON.parse(packed.stdout) as PackResult[];
      packs.set(result.name, result);
      console.log(`${result.filename}: ${(result.size / 1000).toFixed(1)} kB packed, ` +
        `${(result.unpackedSize / 1000).toFixed(1)} kB unpacked, ${result.entryCount} files`);
    }
    const tarball = (name: string) => join(tarballs, packs.get(name)!.filename);

    const corePkg = readJson(join(coreDir, 'package.json'));
    const typesNode = readJson(join(root, 'node_modules', '@types', 'node', 'package.json')).version as string;
    writeFileSync(join(project, 'package.json'), JSON.stringify({
      name: 'rnnkit-pack-consumer',
      version: '0.0.0',
      private: true,
      type: 'module',
      dependencies: {
        '@rnnkit/core': `file:${tarball('@rnnkit/core')}`,
        '@rnnkit/native': `file:${tarball('@rnnkit/native')}`,
        // The tfjs that core pins: the user's `tf` and core's must be one copy.
        '@tensorflow/tfjs': corePkg.dependencies['@tensorflow/tfjs'],
        '@types/node': typesNode,
      },
      allowScripts: { [`file:${tarball('@rnnkit/native')}`]: true, '@tensorflow/tfjs-node': true, 'core-js': false },
    }, null, 2));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        // Checks every declaration file; tfjs's own have errors under strict TS 5.9, so the test below only
        // counts errors in the example and in @rnnkit's declarations.
        skipLibCheck: false,
        types: ['node'],
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src'],
    }, null, 2));
    writeFileSync(join(project, 'src', 'example.ts'), exampleSource);

    // --offline needs npm's cache to hold the full registry metadata of every dependency; on a machine whose cache
    // only has what `npm ci` fetched (tarballs), fall back to --prefer-offline (metadata from the registry).
    // JOBS=max: node-gyp compiles the addon's sources in parallel; --foreground-scripts keeps its log for failures.
    // The bound is generous: under a full `npm test` on a busy 2-core machine the compile once took over 9 minutes.
    const install = (mode: string) => run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', mode], project, 1_200_000,
      userEnv({ JOBS: 'max' }));
    let installed = install('--offline');
    installMode = '--offline';
    if (installed.status !== 0 && /ENOTCACHED/.test(installed.output)) {
      installed = install('--prefer-offline');
      installMode = '--prefer-offline';
    }
    if (installed.status !== 0) throw new Error(installed.output);
    installOutput = installed.output;
    console.log(`installed with npm install ${installMode}`);
  }, 1_500_000);

  afterAll(() => {
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('ships every file its entry points, imports, install script and source maps need, and no tests', () => {
    expect([...packs.keys()].sort()).toEqual(['@rnnkit/core', '@rnnkit/native']);
    const problems = [...packs.values()].flatMap((pack) =>
      packProblems(pack, join(project, 'node_modules', ...pack.name.split('/'))));
    expect(problems).toEqual([]);
    for (const pack of packs.values()) {
      const pkg = readJson(join(project, 'node_modules', ...pack.name.split('/'), 'package.json'));
      expect(pkg.version).toBe(pack.version);
      for (const field of ['description', 'license', 'repository', 'engines', 'keywords', 'files']) {
        expect(pkg[field], `${pack.name} ${field}`).toBeTruthy();
      }
    }
  });

  it('typechecks the example against the installed declaration files', () => {
    const tsc = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--listFiles'],
      project, 180_000);
    const errors = tsc.stdout.split('\n').filter((line) => /^\S.*\(\d+,\d+\): error TS\d+/.test(line));
    const ours = errors.filter((line) => line.startsWith('src/') || line.startsWith('node_modules/@rnnkit/'));
    // --listFiles prints one absolute path per line; leave those out of failure messages.
    const listed = tsc.stdout.split('\n').filter((line) => isAbsolute(line)).map((line) => line.replaceAll('\\', '/'));
    const message = tsc.output.split('\n').filter((line) => !isAbsolute(line)).join('\n');
    expect(ours, message).toEqual([]);
    // tsc itself ran to the end (errors, if any, are third-party declarations) and emitted the example.
    expect(tsc.status === 0 || errors.length > 0, message).toBe(true);
    expect(existsSync(join(project, 'dist', 'example.js')), message).toBe(true);
    // Core's types came from the tarball's dist/*.d.ts, not from its TypeScript sources.
    expect(listed.some((f) => f.endsWith('/node_modules/@rnnkit/core/dist/index.d.ts')), message).toBe(true);
    expect(listed.filter((f) => f.includes('/node_modules/@rnnkit/core/src/'))).toEqual([]);
  }, 240_000);

  it('runs the example: 2 training steps, save, load, same predictions', () => {
    const example = run(process.execPath, ['dist/example.js'], project, 180_000, userEnv({ RNNKIT_BACKEND: 'cpu' }));
    expect(example.status, example.output).toBe(0);
    const lines = example.stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(result.config).toEqual({ T: 8 });
    expect(result.maxDiff).toBeLessThan(1e-6);
    expect(result.backend.name).toBe('cpu');
    // With a C++ toolchain the packed addon must build and load: a tarball without its C++ sources or build script
    // would only warn at install (the build never fails an install) and fall back to plain tfjs.
    const toolchain = onPath('make') && onPath('python3') && ['g++', 'c++', 'clang++'].some(onPath);
    if (toolchain && process.env.RNNKIT_NATIVE !== '0') {
      expect(result.backend.native, `${example.output}\n${installOutput}`).toBe(true);
      expect(existsSync(join(project, 'node_modules', '@rnnkit', 'native', 'build', 'Release', 'rnnkit_native.node'))).toBe(true);
    }
    expect(existsSync(join(project, 'tiny-lstm', 'rnnkit.json'))).toBe(true);
  }, 240_000);

  it('is the example that the README shows', () => {
    const readme = readFileSync(join(coreDir, 'README.md'), 'utf8');
    expect(readme).toContain(exampleSource.trim());
  });
});
