import { afterEach, describe, expect, it, vi } from 'vitest';
import { choiceOption, floatOption, intListOption, intOption, RnnkitError, runCli } from '../src/index.js';

// The training flags themselves come from each app's config schema (test/app-config.test.ts).

describe('cli helpers', () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  it('option parsers accept valid values and name the flag in errors', () => {
    expect(intOption('--n', { min: 1 })('3')).toBe(3);
    expect(() => intOption('--n', { min: 1 })('0')).toThrow(/--n must be an integer >= 1, got "0"/);
    expect(() => intOption('--n')('2.5')).toThrow(RnnkitError);
    expect(floatOption('--p', { min: 0, max: 1 })('0.25')).toBe(0.25);
    expect(() => floatOption('--p', { min: 0, max: 1 })('1.5')).toThrow(/--p must be a number in \[0, 1\]/);
    expect(() => floatOption('--p')('')).toThrow(/--p/);
    expect(intListOption('--units')('256, 128')).toEqual([256, 128]);
    expect(() => intListOption('--units')('256,x')).toThrow(/--units/);
    expect(choiceOption('--cell', ['lstm', 'gru'] as const)('gru')).toBe('gru');
    expect(() => choiceOption('--cell', ['lstm', 'gru'] as const)('rnn')).toThrow(/--cell must be one of lstm, gru, got "rnn"/);
  });

  it('runCli prints user errors as one line, bugs with their stack, and passes an exit code through', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await runCli(async () => { throw new RnnkitError('data.csv:3: bad date'); });
    expect(stderr).toHaveBeenLastCalledWith('error: data.csv:3: bad date\n');
    expect(process.exitCode).toBe(1);
    await runCli(async () => { throw new TypeError('boom'); });
    expect(String(stderr.mock.lastCall?.[0])).toMatch(/TypeError: boom\n\s+at /);
    process.exitCode = undefined;
    await runCli(async () => 130);
    expect(process.exitCode).toBe(130);
  });
});
