import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

// `npm run new-app -- NAME` must give an app that typechecks and whose own test trains a tiny model.
// The app is scaffolded into a dot-folder under apps/ (outside the workspace globs, so npm and turbo ignore it)
// so that its relative tsconfig/vitest paths and node_modules resolution are those of a real app.
const root = resolve(import.meta.dirname, '../../..');
const target = join(root, 'apps', `.new-app-check-${process.pid}`);

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('new-app scaffold', () => {
  afterAll(() => rmSync(target, { recursive: true, force: true }));

  it('creates an app that typechecks and passes its own learning test', () => {
    const scaffold = run(process.execPath, ['scripts/new-app.mjs', 'toy-check', '--dest', target, '--no-install'], root);
    expect(scaffold.status, scaffold.output).toBe(0);
    const pkg = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('@rnnkit/toy-check');
    expect(pkg.bin).toEqual({ 'rnnkit-toy-check': './bin/cli.js' });
    expect(readFileSync(join(target, 'src', 'cli.ts'), 'utf8')).not.toContain('__NAME__');

    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    const typecheck = run(tsc, ['-p', 'tsconfig.json', '--noEmit'], target);
    expect(typecheck.status, typecheck.output).toBe(0);

    const vitest = join(root, 'node_modules', '.bin', 'vitest');
    const tests = run(vitest, ['run'], target);
    expect(tests.status, tests.output).toBe(0);
    expect(tests.output).toMatch(/1 passed/);
    expect(existsSync(join(target, '.vitest', 'results.json'))).toBe(true);
  });

  it('refuses a name that is not a valid package name', () => {
    const bad = run(process.execPath, ['scripts/new-app.mjs', 'Bad Name', '--no-install', '--dest', target], root);
    expect(bad.status).toBe(2);
    expect(bad.output).toMatch(/usage: npm run new-app/);
  });
});
