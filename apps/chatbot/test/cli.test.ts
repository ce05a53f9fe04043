import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runAppCli } from '@rnnkit/core';
import { chatbotApp, chatbotOutputSchema, exampleInput } from '../src/index.js';

/**
 * The CLI as users run it (core's runAppCli on the app definition, in this process, on the sources): a tiny training
 * on the real English corpus, then info, predict and evaluate with --json, deprecated spellings, and one-line errors.
 */

if (!process.env.RNNKIT_DATA_DIR) {
  throw new Error('RNNKIT_DATA_DIR is not set: point it at the shared datasets folder (the one holding dialogs/chatterbot/english)');
}

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-cli-'));
const run = join(dir, 'run');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with `args`, capturing stdout, stderr and the exit code. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await runAppCli(chatbotApp, ['node', 'rnnkit-chatbot', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = saved;
  }
}

/** The one error line of a failed command (besides the backend notice and deprecation warnings). */
function errorLine(r: { code: number; stderr: string }): string {
  expect(r.code).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('rnnkit: ') && !l.startsWith('warning: '));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

describe('rnnkit-chatbot CLI', () => {
  beforeAll(async () => {
    const r = await cli('train', '--out', run, '--epochs', '1', '--max-steps-per-epoch', '2', '--units', '8', '--embed-dim', '8', '--batch-size', '8', '--json', '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).modelDir).toBe(join(run, 'model'));
  });

  test('info --json names the app, the corpus and the config', async () => {
    const r = await cli('info', '--model', run, '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.app).toEqual({ name: 'chatbot', version: chatbotApp.version });
    expect(info.trainedOn).toBe(join(process.env.RNNKIT_DATA_DIR!, 'dialogs', 'chatterbot', 'english'));
    expect(info.config).toMatchObject({ units: [8], embedDim: 8, epochs: 1, out: run, lang: 'en' });
  });

  test('predict --json: the example input and a text conversation give outputs that validate', async () => {
    const fromJson = await cli('predict', '--model', run, '--json', '--input-json', JSON.stringify(exampleInput));
    expect(fromJson.code, fromJson.stderr).toBe(0);
    const output = chatbotOutputSchema.parse(JSON.parse(fromJson.stdout));
    expect(output.alternatives?.length).toBeGreaterThan(0);

    // One turn per line, the last is the message; greedy decoding has no alternatives.
    const fromText = await cli('predict', '--model', run, '--json', '--strategy', 'greedy', '--max-len', '4', 'hello\nhi\nwhat is zzyzx?');
    expect(fromText.code, fromText.stderr).toBe(0);
    const greedy = chatbotOutputSchema.parse(JSON.parse(fromText.stdout));
    expect(greedy.unknown).toEqual(['zzyzx']);
    expect(greedy.alternatives).toBeUndefined();
    expect(greedy.tokens.length).toBeLessThanOrEqual(4);
  });

  test('the old spellings (reply, --temp, --beam) still work, with a warning', async () => {
    const r = await cli('reply', '--model', run, '--temp', '0.9', '--beam', '3', '--seed', '5', 'hello there');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().length).toBeGreaterThan(0);
    expect(r.stderr).toContain('warning: "reply" is deprecated');
    expect(r.stderr).toContain('warning: --temp is deprecated and will be removed in the next release; use --temperature');
    expect(r.stderr).toContain('use --beam-width');
  });

  test('evaluate --json prints the report on stdout and the data summary on stderr', async () => {
    const r = await cli('evaluate', '--model', run, '--json', '--max-replies', '3');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.repliesGenerated).toBe(3);
    expect(report.perplexity.unigram).toBeGreaterThan(1);
    expect(r.stderr).toContain('data: chatterbot corpus at');
  });

  test('a bad predictor input, a bad flag value and a bad --units are one-line errors naming the field or flag', async () => {
    const badInput = errorLine(await cli('predict', '--model', run, '--input-json', JSON.stringify({ ...exampleInput, decode: { topP: 2 } })));
    expect(badInput).toMatch(/^error: input: field "decode\.topP": /);
    const unknown = errorLine(await cli('predict', '--model', run, '--input-json', JSON.stringify({ ...exampleInput, bogusField: 1 })));
    expect(unknown).toBe('error: input: unknown field "bogusField"');
    const units = errorLine(await cli('train', '--out', join(dir, 'x'), '--units', '8,8'));
    expect(units).toBe('error: --units: one value: the encoder is a single bidirectional GRU layer (got 8,8)');
    const chat = errorLine(await cli('chat', '--model', run, '--json'));
    expect(chat).toMatch(/^error: --json does not apply to chat/);
  });
});
