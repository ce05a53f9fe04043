import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../src/backend.js';
import { RnnkitError } from '../src/errors.js';
import { applyDeprecations, buildAppProgram, versionString } from '../src/app/cli.js';
import { trainingConfigSchema } from '../src/app/config.js';
import type { AppDefinition, TrainContext } from '../src/app/definition.js';
import { checkModelApp, loadAppModel } from '../src/app/model.js';
import { createPredictor, decodingRequestSchema } from '../src/app/predictor.js';
import { loadModelDir, saveModelDir } from '../src/io/model-dir.js';
import { describeSchemaError, parseWithSchema } from '../src/schema.js';
import { meanSquaredError } from '../src/train/losses.js';
import { train } from '../src/train/trainer.js';
import { RNNKIT_VERSION } from '../src/version.js';
import { linearData, mlp, rowSource } from './fixtures/train-fixtures.js';

let root: string;
beforeAll(async () => {
  await initBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-contract-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const inputSchema = z.strictObject({
  text: z.string().min(1),
  decode: decodingRequestSchema.optional(),
  items: z.array(z.strictObject({ x: z.number() })).optional(),
});

function schemaMessage(value: unknown, where = 'input'): string {
  const result = inputSchema.safeParse(value);
  expect(result.success, 'expected the value to be invalid').toBe(false);
  return describeSchemaError(result.error!, where, value);
}

describe('describeSchemaError / parseWithSchema', () => {
  it('names nested fields with dots and array items with brackets, and shows the value', () => {
    expect(schemaMessage({ text: 'a', decode: { temperature: 12 } })).toBe(
      'input: field "decode.temperature": Too big: expected number to be <=10 (got 12)',
    );
    expect(schemaMessage({ text: 'a', items: [{ x: 1 }, { x: 'b' }] })).toMatch(/^input: field "items\[1\]\.x": .* \(got "b"\)$/);
    expect(schemaMessage({ text: 3 })).toMatch(/^input: field "text": .*expected string.* \(got 3\)$/);
    expect(schemaMessage({})).toMatch(/^input: field "text": .* \(got nothing\)$/);
  });

  it('names unknown keys, nested ones with their parent', () => {
    expect(schemaMessage({ text: 'a', decode: { temp: 1 } })).toBe('input: unknown field "decode.temp"');
    expect(schemaMessage({ text: 'a', foo: 1 })).toBe('input: unknown field "foo"');
    expect(schemaMessage({ text: 'a', foo: 1, bar: 2 })).toBe('input: unknown fields "foo", "bar"');
    expect(schemaMessage({ text: 'a', items: [{ x: 1, y: 2 }] })).toBe('input: unknown field "items[0].y"');
  });

  it('shortens long values and works without the root value', () => {
    expect(schemaMessage({ text: 'a', decode: { strategy: 'x'.repeat(100) } })).toMatch(/\(got "x{36}\.\.\.\)$/);
    const result = inputSchema.safeParse({ text: 7 });
    expect(describeSchemaError(result.error!, 'a.json')).toMatch(/^a\.json: field "text": [^(]*$/);
  });

  it('parseWithSchema returns the parsed value or throws an RnnkitError', () => {
    expect(parseWithSchema(inputSchema, { text: 'hi' }, 'input')).toEqual({ text: 'hi' });
    expect(() => parseWithSchema(inputSchema, { text: 'hi', decode: { beamWidth: 0 } }, 'req.json')).toThrow(RnnkitError);
    expect(() => parseWithSchema(inputSchema, { text: 'hi', decode: { beamWidth: 0 } }, 'req.json')).toThrow(/^req\.json: field "decode\.beamWidth": /);
    expect(() => parseWithSchema(inputSchema, 'hi', 'input')).toThrow(/^input: value: .*expected object/);
  });

  it('a value JSON cannot represent is still reported as a field error', () => {
    for (const bad of [() => 'hi', Symbol('hi'), 10n]) {
      expect(() => parseWithSchema(inputSchema, { text: bad }, 'input')).toThrow(/^input: field "text": /);
    }
  });
});

describe('createPredictor', () => {
  it('validates the input with the strict schema before running, naming the bad field', async () => {
    const run = vi.fn((input: z.output<typeof inputSchema>) => ({ echo: input.text, temperature: input.decode?.temperature ?? null }));
    const dispose = vi.fn();
    const predictor = createPredictor('toy', inputSchema, run, dispose);
    expect(predictor.app).toBe('toy');
    expect(predictor.inputSchema).toBe(inputSchema);
    await expect(predictor.predict({ text: 'hi', decode: { temperature: 0.5 } })).resolves.toEqual({ echo: 'hi', temperature: 0.5 });
    expect(run).toHaveBeenCalledTimes(1);

    await expect(predictor.predict({ text: 'hi', temprature: 0.5 })).rejects.toThrow(new RnnkitError('input: unknown field "temprature"'));
    await expect(predictor.predict({ text: 'hi', decode: { topP: 0 } })).rejects.toThrow(/^input: field "decode\.topP": /);
    await expect(predictor.predict({ text: '' })).rejects.toThrow(/^input: field "text": /);
    await expect(predictor.predict(null)).rejects.toBeInstanceOf(RnnkitError);
    expect(run).toHaveBeenCalledTimes(1); // never with an invalid input
    predictor.dispose();
    expect(dispose).toHaveBeenCalledTimes(1);
  });

  it('the run function gets the parsed output (defaults applied), sync or async', async () => {
    const withDefault = z.strictObject({ n: z.number().int().default(3) });
    const predictor = createPredictor('toy', withDefault, async (input) => input.n * 2, () => {});
    await expect(predictor.predict({})).resolves.toBe(6);
    const throwing = createPredictor('toy', withDefault, () => {
      throw new RnnkitError('model says no');
    }, () => {});
    await expect(throwing.predict({})).rejects.toThrow('model says no');
  });
});

describe('createPredictor with streaming', () => {
  it('stream validates like predict and hands the run function the token callback; predict passes none', async () => {
    const schema = z.strictObject({ text: z.string() });
    const predictor = createPredictor('toy', schema, (input, onToken) => {
      for (const ch of input.text) onToken?.(ch);
      return { text: input.text, streamed: onToken !== undefined };
    }, () => {}, { streams: true });
    const tokens: string[] = [];
    await expect(predictor.stream!({ text: 'abc' }, (t) => tokens.push(t))).resolves.toEqual({ text: 'abc', streamed: true });
    expect(tokens).toEqual(['a', 'b', 'c']);
    await expect(predictor.predict({ text: 'abc' })).resolves.toEqual({ text: 'abc', streamed: false });
    await expect(predictor.stream!({ text: 'abc', txt: 'abc' }, () => {})).rejects.toThrow('input: unknown field "txt"');
    expect(createPredictor('toy', schema, () => 1, () => {}).stream).toBeUndefined();
  });
});

describe('applyDeprecations', () => {
  const app = {
    name: 'toy',
    deprecatedFlags: { '--temp': '--temperature', '--n-words': '--max-len' },
    deprecatedCommands: { eval: 'evaluate' },
  } as unknown as AppDefinition;

  it('renames deprecated flags (also --flag=value) and the command, warning for each', () => {
    const warn = vi.fn();
    const argv = ['node', 'rnnkit-toy', 'eval', '--model', 'm', '--temp', '0.5', '--n-words=20', '--temperature-ok'];
    expect(applyDeprecations(app, argv, warn)).toEqual(
      ['node', 'rnnkit-toy', 'evaluate', '--model', 'm', '--temperature', '0.5', '--max-len=20', '--temperature-ok'],
    );
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      'warning: "eval" is deprecated and will be removed in the next release; use "evaluate"',
      'warning: --temp is deprecated and will be removed in the next release; use --temperature',
      'warning: --n-words is deprecated and will be removed in the next release; use --max-len',
    ]);
  });

  it('leaves current spellings, positional text and other positions alone', () => {
    const warn = vi.fn();
    const argv = ['node', 'rnnkit-toy', 'predict', 'eval', '--temperature', '1', '--model', 'eval'];
    expect(applyDeprecations(app, argv, warn)).toEqual(argv);
    expect(warn).not.toHaveBeenCalled();
    expect(applyDeprecations({ name: 'plain' } as unknown as AppDefinition, ['node', 'x', 'eval', '--temp'], warn)).toEqual(['node', 'x', 'eval', '--temp']);
    expect(warn).not.toHaveBeenCalled();
  });

  it('refuses a removed flag (also --flag=value, and per command) naming its replacement', () => {
    const removing = {
      ...app,
      removedFlags: { '--max-minutes': '--max-seconds' },
      removedCommandFlags: { evaluate: { '--baselines-only': 'the baselines command' } },
    } as unknown as AppDefinition;
    const warn = vi.fn();
    expect(() => applyDeprecations(removing, ['node', 'x', 'train', '--max-minutes', '5'], warn)).toThrow(/^--max-minutes was removed in 0\.2; use --max-seconds$/);
    expect(() => applyDeprecations(removing, ['node', 'x', 'train', '--max-minutes=5'], warn)).toThrow('--max-minutes was removed');
    // a deprecated command name resolves first, so its removed flags are found too
    expect(() => applyDeprecations(removing, ['node', 'x', 'eval', '--baselines-only'], warn)).toThrow('--baselines-only was removed in 0.2; use the baselines command');
    expect(applyDeprecations(removing, ['node', 'x', 'predict', '--baselines-only'], warn)).toEqual(['node', 'x', 'predict', '--baselines-only']);
  });

  it('refuses the 0.1 form evaluate --json FILE, saying --json prints to stdout', () => {
    const warn = vi.fn();
    expect(() => applyDeprecations(app, ['node', 'x', 'evaluate', '--model', 'm', '--json', 'report.json'], warn)).toThrow(
      'evaluate --json report.json: --json no longer takes a file (removed in 0.2); it prints the report on stdout: use --json > report.json',
    );
    for (const argv of [['node', 'x', 'evaluate', '--json', '--model', 'm'], ['node', 'x', 'evaluate', '--model', 'm', '--json'], ['node', 'x', 'predict', '--json', 'text']]) {
      expect(applyDeprecations(app, argv, warn)).toEqual(argv);
    }
  });

  it('does not treat Object.prototype names as deprecated spellings', () => {
    const warn = vi.fn();
    for (const argv of [
      ['node', 'rnnkit-toy', 'predict', 'constructor', '--model', 'm'],
      ['node', 'rnnkit-toy', 'toString'],
      ['node', 'rnnkit-toy', 'predict', '--model', 'm', 'hasOwnProperty=1'],
    ]) {
      expect(applyDeprecations(app, argv, warn)).toEqual(argv);
    }
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('the generated train command', () => {
  const schema = trainingConfigSchema(
    { out: 'runs/toy', epochs: 2, batchSize: 8, lr: 0.01, clipNorm: 0, patience: 0, dataHelp: 'rows CSV' },
    { hidden: z.number().int().min(1).default(8).describe('hidden units') },
  );
  type Config = z.output<typeof schema>;
  const extrasSchema = z.strictObject({ vocab: z.array(z.string()) });
  const seen: { config: Config; lockHeld: boolean; resume: boolean }[] = [];

  const app: AppDefinition<Config, { x: number[] }, { y: number }> = {
    name: 'toy',
    version: '9.9.9',
    description: 'a toy app',
    configSchema: schema,
    async train(config, ctx: TrainContext<Config>) {
      seen.push({ config, lockHeld: fs.existsSync(path.join(ctx.runDir, 'run.lock')), resume: ctx.resume });
      const { xs, ys } = linearData(32);
      const model = mlp(1, 3);
      const extras = { vocab: (config.data ?? 'default').split('') };
      const result = await train(model, { train: rowSource(xs, ys, config.batchSize) }, meanSquaredError, {
        ...ctx.trainSettings(extras), progress: 'none', handleSignals: false,
      });
      await saveModelDir(ctx.modelDir, model, ctx.modelRecord(extras, result));
      model.dispose();
      return { modelDir: ctx.modelDir, result };
    },
    evaluate: { description: 'score', run: async () => ({ report: {}, text: '' }) },
    loadPredictor: async (dir) => {
      const loaded = await loadAppModel(dir, 'toy', extrasSchema);
      return createPredictor('toy', z.strictObject({ x: z.array(z.number()).length(3) }), (input) => {
        const y = tf.tidy(() => (loaded.model.predict(tf.tensor2d([input.x])) as tf.Tensor).dataSync()[0]);
        return { y };
      }, () => loaded.model.dispose());
    },
    predict: {
      inputHelp: 'three numbers',
      fromText: (text) => ({ x: text.split(',').map(Number) }),
      format: (o) => `y = ${o.y}`,
      example: { x: [1, 2, 3] },
    },
  };

  let stdout: ReturnType<typeof vi.spyOn>;
  beforeAll(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => stdout.mockClear());
  afterAll(() => stdout.mockRestore());
  const printed = () => stdout.mock.calls.map((c: unknown[]) => String(c[0])).join('');
  const run = (...args: string[]) => buildAppProgram(app).parseAsync(['node', 'rnnkit-toy', ...args]);

  it('resolves the config from file and flags, writes run.json, the record and a loadable model, and releases the lock', async () => {
    const out = path.join(root, 'run');
    const cfg = path.join(root, 'toy.yaml');
    fs.writeFileSync(cfg, 'data: abc.csv\nhidden: 4\nepochs: 1\n');
    await run('train', '--config', cfg, '--epochs', '2', '--out', out, '--quiet');
    expect(seen.at(-1)).toEqual({
      config: { data: 'abc.csv', out, epochs: 2, batchSize: 8, lr: 0.01, clipNorm: 0, patience: 0, seed: 42, hidden: 4 },
      lockHeld: true,
      resume: false,
    });
    expect(fs.existsSync(path.join(out, 'run.lock'))).toBe(false);
    expect(printed()).toContain(`model saved to ${path.join(out, 'model')}`);

    const runJson = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({ app: { name: 'toy', version: '9.9.9' }, rnnkitVersion: RNNKIT_VERSION, config: seen.at(-1)!.config });
    const start = JSON.parse(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').split('\n')[0]);
    expect(start).toMatchObject({ type: 'start', resumed: false, app: { name: 'toy', version: '9.9.9' }, config: seen.at(-1)!.config });

    const loaded = await loadModelDir(await checkModelApp(out, 'toy'));
    expect(loaded.meta).toMatchObject({ app: { name: 'toy', version: '9.9.9' }, config: { data: 'abc.csv', hidden: 4 }, metrics: { epoch: 2 } });
    expect(loaded.extras).toEqual({ vocab: 'abc.csv'.split('') });
    loaded.model.dispose();
    const ckpt = await loadModelDir(path.join(out, 'checkpoints', 'last'));
    expect(ckpt.meta.app?.name).toBe('toy');
    expect(ckpt.extras).toEqual(loaded.extras);
    ckpt.model.dispose();

    const predictor = await app.loadPredictor(path.join(out, 'model'));
    const output = await predictor.predict({ x: [1, 2, 3] });
    expect(Number.isFinite(output.y)).toBe(true);
    await expect(predictor.predict({ x: [1, 2] })).rejects.toThrow(/^input: field "x": /);
    predictor.dispose();
  });

  it('--resume keeps the saved config, accepts a new budget and refuses changed data', async () => {
    const out = path.join(root, 'run');
    await expect(run('train', '--out', out, '--resume', '--data', 'xyz.csv', '--quiet')).rejects.toThrow(
      /^--data xyz\.csv differs from the run being resumed \(abc\.csv in .*run\.json\)/,
    );
    expect(fs.existsSync(path.join(out, 'run.lock'))).toBe(false);
    await run('train', '--out', out, '--resume', '--epochs', '3', '--quiet');
    expect(seen.at(-1)).toMatchObject({ resume: true, config: { data: 'abc.csv', hidden: 4, epochs: 3 } });
    const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(lines.filter((l) => l.type === 'start').map((l) => l.resumed)).toEqual([false, true]);
  });

  it('predict validates --input-json with the predictor\'s schema and prints one JSON document under --json', async () => {
    const out = path.join(root, 'run');
    await run('predict', '--model', out, '1,2,3', '--json', '--quiet');
    const doc = JSON.parse(printed());
    expect(Object.keys(doc)).toEqual(['y']);
    expect(Number.isFinite(doc.y)).toBe(true);
    stdout.mockClear();
    await run('predict', '--model', out, '--input-json', '{"x":[1,2,3]}', '--quiet');
    expect(printed()).toBe(`y = ${doc.y}\n`);
    await expect(run('predict', '--model', out, '--input-json', '{"x":[1,2,3],"z":1}', '--quiet')).rejects.toThrow('input: unknown field "z"');
    await expect(run('predict', '--model', out, '--input-json', '{"x":', '--quiet')).rejects.toThrow(/^--input-json: invalid JSON/);
  });

  it('predict - hands stdin to the app\'s fromStream with the loaded predictor; apps without it read "-" as text', async () => {
    const out = path.join(root, 'run');
    const seenStreams: unknown[] = [];
    const streaming: typeof app = {
      ...app,
      predict: {
        ...app.predict,
        fromStream: async (input, predictor, _flags, ctx) => {
          seenStreams.push(input);
          ctx.out(`streamed y = ${(await predictor.predict({ x: [1, 2, 3] })).y}`);
        },
      },
    };
    await buildAppProgram(streaming).parseAsync(['node', 'rnnkit-toy', 'predict', '-', '--model', out, '--quiet']);
    expect(seenStreams).toEqual([process.stdin]);
    expect(printed()).toMatch(/^streamed y = -?\d/);
    // Without the hook "-" is the text input itself: the toy app turns it into [NaN], which its schema refuses.
    await expect(run('predict', '-', '--model', out, '--quiet')).rejects.toThrow(/^input: field "x/);
  });

  it('refuses to train in a run directory another live process holds', async () => {
    const out = path.join(root, 'locked');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'run.lock'), `${process.ppid}\n`);
    await expect(run('train', '--out', out, '--quiet')).rejects.toThrow(`another process (pid ${process.ppid}) is training`);
    expect(fs.existsSync(path.join(out, 'run.json'))).toBe(false);
  });

  it('info refuses another app\'s model with the shared message', async () => {
    const other = path.join(root, 'other-model');
    const model = mlp(5);
    await saveModelDir(other, model, { app: { name: 'chatbot', version: '1.0.0' } });
    model.dispose();
    await expect(run('info', '--model', other, '--quiet')).rejects.toThrow(`${other}: holds a chatbot model (use rnnkit-chatbot), not a toy model`);
  });

  it('--version names the app, core and tfjs versions', () => {
    expect(versionString(app)).toBe(`rnnkit-toy 9.9.9 (@rnnkit/core ${RNNKIT_VERSION}, tfjs ${tf.version.tfjs})`);
  });
});
