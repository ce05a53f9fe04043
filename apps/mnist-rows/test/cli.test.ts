import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppProgram } from '@rnnkit/core';
import { CLASS_NAMES, MNIST_APP, exampleInput, mnistApp, mnistInputSchema, type MnistOutput } from '../src/index.js';
import { tempDir } from './fixtures.js';

/**
 * The built command line (dist/cli.js, rebuilt here from src) on the real MNIST files: a tiny training run, then
 * info, predict (a PNG and --input-json) and evaluate on it with --json, and one-line errors for bad input and a
 * --data folder that does not exist.
 */

const dataRoot = process.env.RNNKIT_DATA_DIR;
if (!dataRoot) throw new Error('cli test: set RNNKIT_DATA_DIR to the datasets folder (e.g. /work/shared/datasets)');

const appDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cliJs = path.join(appDir, 'dist', 'cli.js');
const dir = tempDir('cli');
const run = path.join(dir, 'run');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { encoding: 'utf8', timeout: 300_000, input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json<T = Record<string, unknown>>(r: { status: number | null; stdout: string; stderr: string }): T {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Exit 1 and one line on stderr (besides core's backend notice), no stack trace; returns that line. */
function oneLineError(r: { status: number | null; stderr: string }): string {
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('rnnkit: '));
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

/** A dark vertical stroke on white paper, 56×40: a "1" drawn the usual way. */
function strokePng(): string {
  const png = new PNG({ width: 56, height: 40 });
  for (let y = 0; y < 40; y++) {
    for (let x = 0; x < 56; x++) {
      const o = 4 * (y * 56 + x);
      const ink = x >= 26 && x < 30 && y >= 8 && y < 32;
      png.data[o] = png.data[o + 1] = png.data[o + 2] = ink ? 0 : 255;
      png.data[o + 3] = 255;
    }
  }
  const file = path.join(dir, 'one.png');
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

function expectValidOutput(output: MnistOutput): void {
  expect(Object.keys(output).sort()).toEqual(['className', 'label', 'probabilities']);
  expect(output.probabilities).toHaveLength(10);
  expect(output.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  expect(output.probabilities[output.label]).toBe(Math.max(...output.probabilities));
  expect(output.className).toBe(CLASS_NAMES.mnist[output.label]);
}

let trainStderr = '';

beforeAll(() => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: appDir, encoding: 'utf8' });
  expect(build.status, build.stdout + build.stderr).toBe(0);
  const trained = cli(['train', '--out', run, '--epochs', '1', '--max-steps-per-epoch', '2', '--max-train', '256', '--cell', 'gru', '--units', '8', '--json']);
  const summary = json(trained);
  expect(summary.modelDir).toBe(path.join(run, 'model'));
  expect(summary.monitor).toBe('val_acc');
  trainStderr = trained.stderr;
}, 600_000);

describe('rnnkit-mnist (built CLI, real MNIST)', () => {
  it('train --json: one JSON document on stdout; the data line and the test evaluation on stderr and in the run dir', () => {
    expect(trainStderr).toContain(`mnist: training images from ${path.join(dataRoot, 'mnist')}`);
    expect(trainStderr).toContain('Train 256, validation');
    expect(trainStderr).toMatch(/test accuracy +\d+\.\d+% \(\d+\/10000\)/);
    for (const f of ['evaluation.json', 'confusion.svg', 'loss.svg', 'metrics.jsonl', 'run.json', 'model/rnnkit.json']) {
      expect(existsSync(path.join(run, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8')).config).toMatchObject({ dataset: 'mnist', units: [8], maxTrain: 256 });
  });

  it('train --data /nonexistent (and demo) fails with one line naming the folder, not the default data', () => {
    expect(oneLineError(cli(['train', '--data', '/nonexistent', '--out', path.join(dir, 'bad')]))).toBe('error: --data /nonexistent: no such folder');
    expect(oneLineError(cli(['demo', '--data', '/nonexistent', '--out', path.join(dir, 'bad-demo')]))).toBe('error: --data /nonexistent: no such folder');
  });

  it('info --json names the app, the data it was trained on and its config', () => {
    const info = json<{ app: { name: string }; trainedOn: string; config: Record<string, unknown>; parameters: number }>(cli(['info', '--model', run, '--json']));
    expect(info.app.name).toBe(MNIST_APP);
    expect(info.trainedOn).toBe(path.join(dataRoot, 'mnist'));
    expect(info.config).toMatchObject({ cell: 'gru', units: [8], epochs: 1 });
    expect(info.parameters).toBeGreaterThan(0);
  });

  it('predict a PNG --json: a valid output; the prepared image goes to stderr', () => {
    const png = strokePng();
    const r = cli(['predict', '--model', run, png, '--json']);
    expectValidOutput(json<MnistOutput>(r));
    expect(r.stderr).toContain(`${png}: 56×40 resized to 28×28, inverted (light background)`);
    // Without --json: the ranked classes and the prediction (--no-center only pads and resizes the picture).
    const text = cli(['predict', '--model', path.join(run, 'model'), png, '--quiet', '--no-center']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(11);
    expect(text.stdout).toMatch(/\nprediction: \d\n$/);
  });

  it('predict --input-json takes the predictor input; a bad one exits 1 with one line naming the field', () => {
    expectValidOutput(json<MnistOutput>(cli(['predict', '--model', run, '--json', '--input-json', JSON.stringify(exampleInput)])));
    expect(mnistInputSchema.safeParse(exampleInput).success).toBe(true);
    const line = oneLineError(cli(['predict', '--model', run, '--input-json', JSON.stringify({ pixels: [1, 2, 3] })]));
    expect(line).toMatch(/^error: input: field "pixels": must hold 784 values/);
  });

  it('evaluate --json prints the report and writes the files where --out says', () => {
    const out = path.join(dir, 'eval');
    const report = json<{ accuracy: number; perClass: unknown[]; confusion: number[][]; files: string[]; data: string }>(
      cli(['evaluate', '--model', run, '--json', '--out', out]),
    );
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.perClass).toHaveLength(10);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(report.files).toContain(path.join(out, 'evaluation.json'));
    expect(existsSync(path.join(out, 'confusion.svg'))).toBe(true);
  });

  it('--max-minutes is gone: core\'s --max-seconds is the budget', () => {
    const train = buildAppProgram(mnistApp).commands.find((c) => c.name() === 'train')!;
    const flags = train.options.map((o) => o.long);
    expect(flags).toContain('--max-seconds');
    expect(flags).not.toContain('--max-minutes');
  });
});
