import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnnkitError } from '../src/errors.js';
import {
  addConfigFlags, configFlags, givenConfigValues, readConfigFile, RESUMABLE_FIELDS, resolveConfig, resumedConfig, trainingConfigSchema,
} from '../src/app/config.js';

const defaults = { out: 'runs/toy', epochs: 5, batchSize: 16, lr: 0.01, clipNorm: 1, patience: 2, dataHelp: 'a CSV file of rows' };
const schema = trainingConfigSchema(defaults, {
  cell: z.enum(['lstm', 'gru']).default('lstm').describe('recurrent cell'),
  units: z.array(z.number().int().min(1)).default([8]).describe('units per layer'),
  attention: z.boolean().default(true).describe('use attention'),
  bidirectional: z.boolean().default(false).describe('bidirectional encoder'),
  dropout: z.number().min(0).max(1).default(0.1).describe('dropout rate'),
  tags: z.array(z.string()).optional().describe('free-form tags'),
});
type Config = z.output<typeof schema>;
const flags = configFlags(schema);

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-config-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function thrown(fn: () => unknown): Error {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(RnnkitError);
  return err as Error;
}

function writeFile(name: string, text: string | Uint8Array): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('configFlags', () => {
  it('one flag per field, in field order, with kebab-case names, kinds, help and the schema\'s defaults', () => {
    const byKey = Object.fromEntries(flags.map((f) => [f.key, f]));
    expect(flags.map((f) => f.key)).toEqual([
      'data', 'out', 'epochs', 'batchSize', 'lr', 'clipNorm', 'patience', 'maxStepsPerEpoch', 'maxSeconds', 'seed', 'emaDecay',
      'cell', 'units', 'attention', 'bidirectional', 'dropout', 'tags',
    ]);
    expect(flags.map((f) => [f.flag, f.kind])).toEqual([
      ['--data', 'string'], ['--out', 'string'], ['--epochs', 'int'], ['--batch-size', 'int'], ['--lr', 'float'],
      ['--clip-norm', 'float'], ['--patience', 'int'], ['--max-steps-per-epoch', 'int'], ['--max-seconds', 'int'], ['--seed', 'int'],
      ['--ema-decay', 'float'], ['--cell', 'string'], ['--units', 'intList'], ['--attention', 'bool'], ['--bidirectional', 'bool'], ['--dropout', 'float'],
      ['--tags', 'stringList'],
    ]);
    expect(byKey.data).toMatchObject({ description: 'a CSV file of rows', defaultValue: undefined });
    expect(byKey.epochs.defaultValue).toBe(5);
    expect(byKey.lr.defaultValue).toBe(0.01);
    expect(byKey.seed.defaultValue).toBe(42);
    expect(byKey.units.defaultValue).toEqual([8]);
    expect(byKey.attention.defaultValue).toBe(true);
    expect(byKey.maxSeconds.defaultValue).toBeUndefined();
    expect(byKey.cell).toMatchObject({ choices: ['lstm', 'gru'], defaultValue: 'lstm', description: 'recurrent cell' });
    expect(byKey.epochs.choices).toBeUndefined();
  });

  it('overrides (demo defaults) replace the shown defaults', () => {
    const demo = configFlags(schema, { epochs: 1, out: 'runs/toy-demo' });
    expect(demo.find((f) => f.key === 'epochs')?.defaultValue).toBe(1);
    expect(demo.find((f) => f.key === 'out')?.defaultValue).toBe('runs/toy-demo');
    expect(demo.find((f) => f.key === 'lr')?.defaultValue).toBe(0.01);
  });

  it('a field without describe() throws, naming the field', () => {
    const undocumented = trainingConfigSchema(defaults, { hidden: z.number().int().default(3) });
    expect(() => configFlags(undocumented)).toThrow('config field "hidden" has no description (it is the flag\'s help)');
  });

  it('a field with no flag form throws, naming the field', () => {
    const nested = trainingConfigSchema(defaults, { model: z.object({ units: z.number() }).optional().describe('model settings') });
    expect(() => configFlags(nested)).toThrow(/config field "model": no flag form/);
  });

  it('the flags parse through commander into typed values, and only flags given on the command line count', () => {
    const parse = (args: string[]) => {
      const cmd = addConfigFlags(new Command('train').exitOverride(), flags);
      cmd.parse(args, { from: 'user' });
      return givenConfigValues(cmd, flags);
    };
    expect(parse([])).toEqual({});
    expect(parse(['--epochs', '7', '--lr', '1e-3', '--units', '4, 8', '--tags', 'a,,b', '--no-attention', '--bidirectional', '--cell', 'gru']))
      .toEqual({ epochs: 7, lr: 0.001, units: [4, 8], tags: ['a', 'b'], attention: false, bidirectional: true, cell: 'gru' });
    expect(() => parse(['--epochs', '2.5'])).toThrow('--epochs must be an integer, got "2.5"');
    expect(() => parse(['--lr', 'fast'])).toThrow('--lr must be a number, got "fast"');
    expect(() => parse(['--units', '4,x'])).toThrow('--units must be a number, got "4,x"');
  });

  it('the help shows each flag\'s default and choices', () => {
    const help = addConfigFlags(new Command('train'), configFlags(schema, { epochs: 1 })).helpInformation();
    expect(help).toMatch(/--epochs <n>\s+maximum epochs \(default: 1\)/);
    expect(help).toMatch(/--units <list>\s+units per layer \(default: 8\)/);
    expect(help).toMatch(/--cell <value>\s+recurrent cell \[lstm, gru\] \(default: lstm\)/);
    expect(help).toMatch(/--no-attention\s+use attention \(default: true\)/);
    expect(help).not.toMatch(/--attention\b/);
  });
});

describe('resolveConfig', () => {
  it('defaults < demo defaults < file < flags, everything else from the schema', () => {
    const plain = resolveConfig(schema, flags, { given: {} });
    expect(plain).toEqual({
      out: 'runs/toy', epochs: 5, batchSize: 16, lr: 0.01, clipNorm: 1, patience: 2, seed: 42,
      cell: 'lstm', units: [8], attention: true, bidirectional: false, dropout: 0.1,
    });
    const config: Config = resolveConfig(schema, flags, {
      defaults: { epochs: 1, batchSize: 4, lr: 0.5 },
      file: { path: 'cfg.yaml', values: { epochs: 9, batchSize: 8, cell: 'gru' } },
      given: { epochs: 3 },
    });
    expect(config).toMatchObject({ epochs: 3, batchSize: 8, lr: 0.5, cell: 'gru', clipNorm: 1, seed: 42 });
  });

  it('a bad value from the command line names the flag', () => {
    expect(thrown(() => resolveConfig(schema, flags, { given: { epochs: 0 } })).message).toMatch(/^--epochs: .*>=1.* \(got 0\)$/);
    expect(thrown(() => resolveConfig(schema, flags, { given: { dropout: 2 } })).message).toMatch(/^--dropout: .*<=1.* \(got 2\)$/);
    expect(thrown(() => resolveConfig(schema, flags, { given: { cell: 'rnn' } })).message).toMatch(/^--cell: .*"lstm".*"gru".* \(got rnn\)$/);
    expect(thrown(() => resolveConfig(schema, flags, { given: { units: [8, 0] } })).message).toMatch(/^--units: .*>=1.* \(got 8,0\)$/);
    // the flag wins over a good value in the file
    const file = { path: 'cfg.json', values: { epochs: 4 } };
    expect(thrown(() => resolveConfig(schema, flags, { file, given: { epochs: -1 } })).message).toMatch(/^--epochs: /);
  });

  it('a bad value from the config file names the file and the field', () => {
    const file = { path: '/tmp/cfg.yaml', values: { epochs: 0 } };
    expect(thrown(() => resolveConfig(schema, flags, { file, given: {} })).message).toMatch(/^\/tmp\/cfg\.yaml: field "epochs": .*>=1.* \(got 0\)$/);
    const list = { path: 'cfg.json', values: { units: [8, 'wide'] } };
    expect(thrown(() => resolveConfig(schema, flags, { file: list, given: {} })).message).toMatch(/^cfg\.json: field "units\[1\]": .*expected number.* \(got "wide"\)$/);
    const typed = { path: 'cfg.json', values: { lr: '0.1' } };
    expect(thrown(() => resolveConfig(schema, flags, { file: typed, given: {} })).message).toMatch(/^cfg\.json: field "lr": .*expected number/);
  });

  it('an unknown field in a config file is an error naming the file and the field', () => {
    const file = { path: 'cfg.yaml', values: { epochs: 3, epoch: 4, learningRate: 0.1 } };
    expect(thrown(() => resolveConfig(schema, flags, { file, given: {} })).message).toBe('cfg.yaml: unknown fields "epoch", "learningRate"');
  });

  it('a bad default (not from flag or file) is reported against "config"', () => {
    expect(thrown(() => resolveConfig(schema, flags, { defaults: { batchSize: 0 }, given: {} })).message).toMatch(/^config: field "batchSize": /);
    const required = trainingConfigSchema(defaults, { task: z.string().describe('task name') });
    expect(thrown(() => resolveConfig(required, configFlags(required), { given: {} })).message).toMatch(/^config: field "task": /);
  });
});

describe('readConfigFile', () => {
  it('reads YAML (.yml/.yaml) and JSON, to the same config', () => {
    const yaml = writeFile('cfg.yaml', '# a comment\nepochs: 3\nunits: [4, 8]\ncell: gru\nattention: false\n');
    const yml = writeFile('cfg.yml', 'epochs: 3\nunits:\n  - 4\n  - 8\ncell: gru\nattention: false\n');
    const json = writeFile('cfg.json', JSON.stringify({ epochs: 3, units: [4, 8], cell: 'gru', attention: false }));
    const expected = { epochs: 3, units: [4, 8], cell: 'gru', attention: false };
    for (const file of [yaml, yml, json]) {
      expect(readConfigFile(file)).toEqual(expected);
      const config = resolveConfig(schema, flags, { file: { path: file, values: readConfigFile(file) }, given: { epochs: 6 } });
      expect(config).toMatchObject({ ...expected, epochs: 6, lr: 0.01 });
    }
  });

  it('bad files name the file and what is wrong', () => {
    expect(thrown(() => readConfigFile(writeFile('bad.yaml', 'epochs: [3\n'))).message).toMatch(/bad\.yaml: invalid YAML/);
    expect(thrown(() => readConfigFile(writeFile('bad.json', '{"epochs": 3,}'))).message).toMatch(/bad\.json: invalid JSON/);
    expect(thrown(() => readConfigFile(writeFile('list.yaml', '- 1\n- 2\n'))).message).toMatch(/list\.yaml: a config file must hold an object/);
    expect(thrown(() => readConfigFile(writeFile('null.json', 'null'))).message).toMatch(/null\.json: a config file must hold an object/);
    expect(thrown(() => readConfigFile(path.join(root, 'missing.yaml'))).message).toMatch(/missing\.yaml: no such file/);
    expect(thrown(() => readConfigFile(root)).message).toMatch(/: is a directory/);
    // Strictly UTF-8: a Latin-1 value would otherwise become U+FFFD in the config.
    expect(thrown(() => readConfigFile(writeFile('latin1.yaml', Buffer.from('data: caf\xe9.txt\n', 'latin1')))).message)
      .toMatch(/latin1\.yaml: is not valid UTF-8 text at line 1, column 10 \(byte 0xE9\)/);
  });
});

describe('resumedConfig', () => {
  const saved = resolveConfig(schema, flags, { given: { data: 'train.csv', epochs: 2 } }) as unknown as Record<string, unknown>;
  const runFile = 'runs/toy/run.json';

  it('keeps the saved config and applies the budget fields given now', () => {
    expect(RESUMABLE_FIELDS).toEqual(['epochs', 'patience', 'maxStepsPerEpoch', 'maxSeconds']);
    const config = resumedConfig(schema, flags, saved, { epochs: 10, maxSeconds: 60, patience: 0 }, runFile);
    expect(config).toEqual({ ...saved, epochs: 10, maxSeconds: 60, patience: 0 });
    // a non-budget field given with the saved value is fine
    expect(resumedConfig(schema, flags, saved, { data: 'train.csv', units: [8] }, runFile)).toEqual(saved);
  });

  it('refuses a changed non-budget field, naming the flag, both values and run.json', () => {
    expect(thrown(() => resumedConfig(schema, flags, saved, { data: 'other.csv' }, runFile)).message).toBe(
      '--data other.csv differs from the run being resumed (train.csv in runs/toy/run.json); ' +
        'only --epochs, --patience, --max-steps-per-epoch, --max-seconds may change on --resume',
    );
    expect(thrown(() => resumedConfig(schema, flags, saved, { units: [8, 8] }, runFile)).message).toMatch(/^--units 8,8 differs .*\(8 in /);
    expect(thrown(() => resumedConfig(schema, flags, saved, { tags: ['x'] }, runFile)).message).toMatch(/^--tags x differs .*\(unset in /);
    expect(thrown(() => resumedConfig(schema, flags, saved, { batchSize: 32, epochs: 10 }, runFile)).message).toMatch(/^--batch-size 32 differs/);
  });

  it('a bad budget value is still validated, naming the flag', () => {
    expect(thrown(() => resumedConfig(schema, flags, saved, { epochs: 0 }, runFile)).message).toMatch(/^--epochs: /);
  });
});
