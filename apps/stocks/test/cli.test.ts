/**
 * The built CLI (dist/cli.js) end to end on real data, with a tiny run: train --json, info --json, predict from
 * JSON and from a ticker, forecast, evaluate, a bad input, and that the commands that read no price file never
 * import danfojs-node (test/no-danfo.mjs makes that import fail).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_VERSION, exampleInput, formatForecast, stocksOutputSchema } from '../src/index.js';
import { tempDir } from './fixtures.js';

const dataDir = process.env.RNNKIT_DATA_DIR;
if (!dataDir) throw new Error('the CLI test needs RNNKIT_DATA_DIR (e.g. export RNNKIT_DATA_DIR=/work/shared/datasets)');

const appDir = new URL('..', import.meta.url).pathname;
const cliJs = join(appDir, 'dist', 'cli.js');
const noDanfo = join(appDir, 'test', 'no-danfo.mjs');
const out = tempDir();
afterAll(() => rmSync(out, { recursive: true, force: true }));

function cli(args: string[], opts: { noDanfo?: boolean } = {}) {
  const node = opts.noDanfo ? ['--import', noDanfo, cliJs] : [cliJs];
  const run = spawnSync(process.execPath, [...node, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function json(result: ReturnType<typeof cli>): Record<string, unknown> {
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Exit 1 with one `error:` line on stderr (besides the backend notices), no stack trace. */
function oneLineError(result: ReturnType<typeof cli>): string {
  expect(result.status, result.stderr).toBe(1);
  const lines = result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('rnnkit: '));
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

/** The test runs the built CLI: refuse a dist/ older than the sources instead of testing stale code. */
function checkBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  let built = 0;
  try {
    built = statSync(cliJs).mtimeMs;
  } catch {
    // not built
  }
  if (built < newest(join(appDir, 'src'))) throw new Error(`${cliJs} is missing or older than src/: run npx tsc -p tsconfig.build.json in apps/stocks`);
}

const AAPL = { ...exampleInput };

describe('rnnkit-stocks CLI (dist/cli.js)', () => {
  beforeAll(() => {
    checkBuilt();
    const trained = json(cli([
      'train', '--out', out, '--tickers', 'AAPL,MSFT', '--epochs', '1', '--max-steps-per-epoch', '2', '--units', '4', '--folds', '2',
      '--fine-tune-epochs', '1', '--quiet', '--json',
    ]));
    expect(trained.modelDir).toBe(join(out, 'model'));
  });

  it('info --json describes the model, without importing danfojs-node', () => {
    const info = json(cli(['info', '--model', out, '--json'], { noDanfo: true }));
    expect(info.app).toEqual({ name: 'stocks', version: APP_VERSION });
    expect(info.parameters).toBeGreaterThan(0);
    expect((info.config as Record<string, unknown>).tickers).toEqual(['AAPL', 'MSFT']);
    expect(info.trainedOn).toBe(join(dataDir, 'stocks', 'sp500-5yr'));
  });

  it('predict --input-json gives a valid forecast without importing danfojs-node; a ticker argument reads the same prices', () => {
    const fromJson = json(cli(['predict', '--model', out, '--json', '--input-json', JSON.stringify(AAPL)], { noDanfo: true }));
    const output = stocksOutputSchema.parse(fromJson);
    expect(output.ticker).toBe('AAPL');
    expect(output.lastDate).toBe('2018-02-07');
    expect(output.days).toHaveLength(5); // the default horizon
    for (const d of output.days) expect(d.low).toBeLessThan(d.high);
    // exampleInput is AAPL's last 50 rows; the forecast only depends on the last lookback + 20 of them.
    expect(json(cli(['predict', '--model', out, '--json', 'aapl']))).toEqual(fromJson);
    const text = cli(['forecast', '--model', out, '--ticker', 'AAPL', '--days', '2', '--quiet']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toBe(`${formatForecast({ ...output, days: output.days.slice(0, 2) })}\n`);
    expect(text.stdout).toMatch(/^AAPL: last close 159\.54 on 2018-02-07\n/);
  });

  it('a bad predictor input exits 1 with one line naming the field', () => {
    const line = oneLineError(cli(['predict', '--model', out, '--input-json', JSON.stringify({ ...AAPL, days: 9 })], { noDanfo: true }));
    expect(line).toBe('error: input: field "days": this model forecasts at most 5 days (retrain with --horizon 9) (got 9)');
    expect(oneLineError(cli(['forecast', '--model', out, '--ticker', 'IBM']))).toBe('error: --ticker IBM: the model was trained on AAPL, MSFT');
  });

  it('evaluate --json prints the report of the saved backtest', () => {
    const report = json(cli(['evaluate', '--model', out, '--json', '--step', '2']));
    expect(report.step).toBe(2);
    expect((report.perTicker as { ticker: string }[]).map((t) => t.ticker)).toEqual(['AAPL', 'MSFT']);
    const overall = report.overall as Record<string, { mase: number; rmse: number | null }>;
    expect(overall.naive.mase).toBe(1);
    expect(overall.model.rmse).toBeNull(); // price units differ between tickers
  });

  it('--help and demo --help load no danfojs-node; demo shows the --out it really uses', () => {
    expect(cli(['--help'], { noDanfo: true }).status).toBe(0);
    // ...while a command that reads a price file does import it (so the hook above can fail).
    expect(cli(['predict', '--model', out, 'AAPL'], { noDanfo: true }).stderr).toContain('no-danfo.mjs: danfojs-node was imported');
    const demo = cli(['demo', '--help'], { noDanfo: true });
    expect(demo.status).toBe(0);
    expect(demo.stdout.replace(/\s+/g, ' ')).toContain('(default: runs/stocks-demo)');
    expect(oneLineError(cli(['train', '--max-seconds', '5', '--out', join(out, 'never')]))).toBe(
      'error: --max-seconds: not supported by stocks; cap the run with --max-steps-per-epoch (got 5)',
    );
  });
});
