import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppProgram } from '@rnnkit/core';
import { exampleInput, summarizeApp } from '../src/index.js';

/**
 * The built CLI (node dist/cli.js) on the real Inshorts data with a tiny model: train, info, predict, evaluate,
 * baselines, the deprecated spellings, user errors (exit 1, one line) and Ctrl-C during training (exit 130).
 * Build first: `npx turbo run build --filter=@rnnkit/core`, then `npx tsc -p tsconfig.build.json` here.
 */

if (!process.env.RNNKIT_DATA_DIR) throw new Error('set RNNKIT_DATA_DIR to the datasets folder (e.g. /work/shared/datasets) to run the CLI test');
const CLI = path.join(import.meta.dirname, '..', 'dist', 'cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the app first (npx tsc -p tsconfig.build.json)`);

const TINY = ['--units', '8', '--embed-dim', '8', '--max-vocab', '500', '--batch-size', '8', '--max-val-batches', '1'];
const root = mkdtempSync(path.join(tmpdir(), 'rnnkit-summarize-cli-'));
const run = path.join(root, 'run');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: ReturnType<typeof cli>): Record<string, unknown> {
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** stderr without the backend notice and warnings. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('rnnkit: backend=') && !l.startsWith('rnnkit: warning'));

beforeAll(() => {
  const trained = json(cli(['train', '--out', run, '--epochs', '1', '--max-steps-per-epoch', '2', '--quiet', '--json', ...TINY]));
  expect(trained.modelDir).toBe(path.join(run, 'model'));
  expect(trained.stopReason).toBe('completed');
}, 600_000);

describe('rnnkit-summarize CLI', () => {
  it('info --json names the app and the training settings', () => {
    const info = json(cli(['info', '--model', run, '--json']));
    expect(info.app).toEqual({ name: 'summarize', version: summarizeApp.version });
    expect((info.config as Record<string, unknown>).units).toEqual([8]);
    expect(info.trainedOn).toBe(path.join(process.env.RNNKIT_DATA_DIR!, 'summarization/news_summary.csv.gz'));
  });

  it('predict --json prints an output the predictor schema describes, from text or from --input-json', () => {
    const fromJson = json(cli(['predict', '--model', run, '--json', '--input-json', JSON.stringify(exampleInput)]));
    expect(Object.keys(fromJson).sort()).toEqual(['score', 'summary', 'tokens']);
    expect((fromJson.tokens as string[]).length).toBeLessThanOrEqual(12);
    const svg = path.join(root, 'attention.svg');
    const fromText = json(cli(['predict', '--model', run, '--json', '--strategy', 'greedy', '--max-len', '5', '--min-len', '2', '--attention-svg', svg,
      'The Delhi government said it saved 290 MW of power during Earth Hour.']));
    expect((fromText.tokens as string[]).length).toBeLessThanOrEqual(5);
    expect((fromText.attention as number[][]).length).toBe((fromText.tokens as string[]).length);
    expect(fromText.sourceTokens).toContain('delhi');
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
  });

  it('the old command and flag names still work, with a warning', () => {
    const r = cli(['summarize', '--model', run, '--beam', '2', '--quiet', 'Sonam Kapoor will auction her designer outfits for charity.']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).not.toBe('');
    expect(r.stderr).toContain('warning: "summarize" is deprecated and will be removed in the next release; use "predict"');
    expect(r.stderr).toContain('warning: --beam is deprecated and will be removed in the next release; use --beam-width');
  });

  // More bad inputs and flags: predictor.test.ts (the same code, without a process per case).
  it('a bad predictor input or decoding flag is one line naming the field or flag, exit 1', () => {
    for (const [args, message] of [
      [['--input-json', JSON.stringify({ ...exampleInput, decode: { beamWidth: 0 } })], 'error: input: field "decode.beamWidth": Too small: expected number to be >=1 (got 0)'],
      [['--max-len', '2', 'some text'], 'error: --min-len 3 is larger than --max-len 2'],
    ] as const) {
      const r = cli(['predict', '--model', run, ...args]);
      expect(r.status, r.stderr).toBe(1);
      expect(errorLines(r.stderr)).toEqual([message]);
    }
  });

  it('evaluate --json scores the model and the baselines; baselines --json needs no model', () => {
    type Systems = { name: string; repeatedContentWord: number }[];
    // No trigram blocking, so that only word blocking stands between the tiny model and its repeats.
    const report = json(cli(['evaluate', '--model', run, '--json', '--limit', '20', '--strategy', 'greedy', '--ngram-block', '0', '--min-len', '10', '--max-len', '10']));
    expect(report.rows).toBe(20);
    const systems = report.systems as Systems;
    expect(systems.map((s) => s.name)).toEqual(['model (greedy)', 'lead-9', 'tf-idf sentence']);
    // Word blocking is on by default; off, the tiny model repeats its favourite words (mostly stop words and
    // punctuation, which do not count; "power power power ..." does).
    expect(systems[0].repeatedContentWord).toBe(0);
    const free = json(cli(['evaluate', '--model', run, '--json', '--limit', '20', '--strategy', 'greedy', '--ngram-block', '0', '--min-len', '10', '--max-len', '10', '--word-block', 'off'])).systems as Systems;
    expect(free[0].repeatedContentWord).toBeGreaterThan(0);
    expect(free.slice(1)).toEqual(systems.slice(1));
    const bad = cli(['evaluate', '--model', run, '--word-block', 'maybe']);
    expect(bad.status).toBe(1);
    expect(errorLines(bad.stderr)).toEqual([expect.stringContaining("'--word-block <on|off>' argument 'maybe' is invalid")]);
    const baselines = json(cli(['baselines', '--json', '--limit', '20']));
    expect((baselines.systems as { name: string }[]).map((s) => s.name)).toEqual([expect.stringMatching(/^lead-\d+$/), 'tf-idf sentence']);
  });

  it('exits 130 after Ctrl-C during training, with the last checkpoint saved', async () => {
    const out = path.join(root, 'interrupted');
    const child = spawn(process.execPath, [CLI, 'train', '--out', out, '--epochs', '3', '--quiet', ...TINY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Training has started (and its signal handler is installed) once the metrics log exists.
    const started = Date.now();
    while (!existsSync(path.join(out, 'metrics.jsonl')) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(existsSync(path.join(out, 'checkpoints', 'last'))).toBe(true);
  });

  it('help shows one default per flag, the real one (--max-src-len: by task in train, the demo\'s 40 in demo)', () => {
    const program = buildAppProgram(summarizeApp);
    const option = (command: string, flag: string) => program.commands.find((c) => c.name() === command)!.options.find((o) => o.long === flag)!;
    expect(option('train', '--max-src-len').description).toBe('source tokens kept (if not given: 64 for the headline task, 400 for summary)');
    const demo = option('demo', '--max-src-len').description;
    expect(demo.match(/default/g)).toHaveLength(1);
    expect(demo).toMatch(/\(default: 40\)$/);
    expect(option('train', '--units').description).toMatch(/\(default: 128\)$/);
    expect(option('train', '--attention').description).toMatch(/^attention kind \[bahdanau, dot, general\]/);
    expect(option('predict', '--attention-svg')).toBeDefined();
    // Shown, not set: a given --beam-width or --temperature implies the strategy.
    expect(option('predict', '--beam-width').description).toMatch(/\(default: 4\)$/);
    expect(option('predict', '--beam-width').defaultValue).toBeUndefined();
  });
});
