import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binName, buildAppProgram, defaultOutDir, type AppDefinition } from '@rnnkit/core';
import { discoverApps } from './apps.js';
import { TINY, cli, oneLineError, trainTiny } from './cli.js';

/**
 * The app contract, checked the same way for every app under apps/: the built CLI trains a tiny model on the real
 * dataset, and `info`, `predict`, `evaluate` work on it with --json; another app's model and a bad predictor input
 * are refused with one line; every app has the same common flags, --version, and help defaults that are the real
 * defaults. A new app is picked up automatically and must add its tiny settings to TINY in cli.ts.
 */

const COMMON_TRAIN_FLAGS = [
  '--data', '--out', '--epochs', '--batch-size', '--lr', '--clip-norm', '--patience', '--max-steps-per-epoch', '--max-seconds',
  '--seed', '--config', '--resume', '--backend', '--json', '--quiet',
];
const COMMON_COMMANDS = ['train', 'evaluate', 'predict', 'info', 'demo', 'export'];

if (!process.env.RNNKIT_DATA_DIR) throw new Error('RNNKIT_DATA_DIR is not set: the contract test trains on the real datasets');

const apps = await discoverApps();
const root = mkdtempSync(join(tmpdir(), 'rnnkit-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function json(result: { status: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

it('finds every app under apps/, each with tiny settings here', () => {
  expect(apps.length).toBeGreaterThanOrEqual(5);
  for (const a of apps) expect(TINY[a.app.name], `add ${a.app.name} to TINY`).toBeDefined();
});

/** Trained run dirs by app name, with the app's command (for the wrong-app error). */
const modelDirs = new Map<string, { dir: string; bin: string }>();

describe.each(apps.map((a) => [a.app.name, a] as const))('%s', (name, app) => {
  const out = join(root, name);

  beforeAll(() => {
    trainTiny(app, out);
    modelDirs.set(name, { dir: out, bin: binName(app.app) });
  }, 600_000);

  it('info --json names the app, its parameters, layers and config', () => {
    const info = json(cli(app, ['info', '--model', out, '--json']));
    expect(info.app).toEqual({ name, version: app.app.version, ...(app.app.bin ? { bin: app.app.bin } : {}) });
    expect(info.parameters).toBeGreaterThan(0);
    expect((info.layers as unknown[]).length).toBeGreaterThan(1);
    expect((info.config as Record<string, unknown>).epochs).toBe(1);
    expect((info.weights as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('predict --json round-trips the example input', () => {
    const output = json(cli(app, ['predict', '--model', out, '--json', '--input-json', JSON.stringify(app.app.predict.example)]));
    expect(Object.keys(output).length).toBeGreaterThan(0);
  });

  it('evaluate --json prints one JSON report', () => {
    const report = json(cli(app, ['evaluate', '--model', out, '--json', ...TINY[name].evaluate]));
    expect(Object.keys(report).length).toBeGreaterThan(0);
  });

  it('a bad predictor input is refused naming the field', () => {
    const bad = { ...(app.app.predict.example as object), bogusField: 1 };
    const line = oneLineError(cli(app, ['predict', '--model', out, '--input-json', JSON.stringify(bad)]));
    expect(line).toContain('"bogusField"');
  });

  it('--version prints the app, core and tfjs versions', () => {
    const result = cli(app, ['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.startsWith(`${binName(app.app)} ${app.app.version} (@rnnkit/core `)).toBe(true);
  });
});

describe("another app's model", () => {
  // Each app against the next one's model (in a cycle), through every command that loads a model.
  it.each(apps.map((a, i) => [a.app.name, a, apps[(i + 1) % apps.length]] as const))(
    '%s refuses it with the shared error',
    (name, app, other) => {
      const { dir, bin } = modelDirs.get(other.app.name)!;
      for (const command of ['info', 'evaluate', 'predict']) {
        const args = command === 'predict' ? ['--input-json', JSON.stringify(app.app.predict.example)] : [];
        const line = oneLineError(cli(app, [command, '--model', dir, ...args]));
        expect(line).toBe(`error: ${dir}/model: holds a ${other.app.name} model (use ${bin}), not a ${name} model`);
      }
    },
  );
});

describe('every app has the same shape', () => {
  const programs = apps.map((a) => [a.app.name, buildAppProgram(a.app), a.app] as const);

  it.each(programs)('%s has the common commands and the common train flags', (_name, program) => {
    const commands = program.commands.map((c) => c.name());
    for (const c of COMMON_COMMANDS) expect(commands).toContain(c);
    const train = program.commands.find((c) => c.name() === 'train')!;
    const flags = train.options.map((o) => o.long);
    for (const f of COMMON_TRAIN_FLAGS) expect(flags).toContain(f);
    for (const c of program.commands) {
      if (c.name() === 'train' || c.name() === 'demo' || c.name() === 'evaluate' || c.name() === 'info' || c.name() === 'predict') {
        expect(c.options.map((o) => o.long)).toContain('--json');
      }
    }
  });

  it.each(programs)('%s: train and demo help show the real defaults', (_name, program, app: AppDefinition) => {
    const demoValues = { out: defaultOutDir(app.name, true), ...app.demo?.defaults };
    for (const [command, values] of [['train', {}], ['demo', demoValues]] as const) {
      const cmd = program.commands.find((c) => c.name() === command)!;
      // What the command really runs with when no flag is given.
      const real = app.configSchema.parse({ ...values }) as unknown as Record<string, unknown>;
      let checked = 0;
      for (const option of cmd.options) {
        const shown = /\(default: ([^)]*)\)$/.exec(option.description)?.[1];
        const key = option.attributeName();
        if (shown === undefined || !(key in real)) continue;
        const value = real[key];
        const expected = Array.isArray(value) ? value.join(',') : String(value);
        expect(shown, `${command} ${option.long}`).toBe(expected);
        checked++;
      }
      expect(checked).toBeGreaterThan(5);
    }
  });
});
