import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import {
  addTrainingOptions, choiceOption, floatOption, intListOption, intOption, RnnkitError, runCli, trainConfigFromFlags,
  type TrainingFlags,
} from '../src/index.js';

const defaults = { epochs: 5, batchSize: 32, lr: 1e-3, clipNorm: 5, patience: 2 };

function parse(args: string[]): TrainingFlags {
  const cmd = addTrainingOptions(new Command('t').exitOverride(), defaults);
  cmd.parse(args, { from: 'user' });
  return cmd.opts<TrainingFlags>();
}

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

  it('training flags take the app defaults and map onto the training config', () => {
    const flags = parse([]);
    expect(flags).toMatchObject({ epochs: 5, batchSize: 32, lr: 1e-3, clipNorm: 5, patience: 2, seed: 42 });
    expect(trainConfigFromFlags(flags)).toEqual({
      epochs: 5, batchSize: 32, learningRate: 1e-3, clipNorm: 5, earlyStopping: { patience: 2 },
      maxStepsPerEpoch: undefined, maxSeconds: undefined, resume: false, seed: 42,
    });
    const custom = trainConfigFromFlags(parse(['--epochs', '9', '--clip-norm', '0', '--patience', '0', '--resume', '--seed', '7', '--max-seconds', '60']));
    expect(custom).toMatchObject({ epochs: 9, clipNorm: undefined, earlyStopping: undefined, resume: true, seed: 7, maxSeconds: 60 });
    expect(() => parse(['--backend', 'wasm'])).toThrow(/--backend must be one of tensorflow, cpu/);
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
