import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { readTextFile, TEXT_ENCODINGS } from '../io/text.js';
import { describeSchemaError } from '../schema.js';

/** The training settings every app has; apps extend them with their own fields (`trainingConfigSchema`). */
export interface CommonTrainingConfig {
  /** Dataset file or folder; default: `$RNNKIT_DATA_DIR/<dataset>`, else the dataset's public URL. */
  data?: string;
  /** Run directory. */
  out: string;
  epochs: number;
  batchSize: number;
  lr: number;
  clipNorm: number;
  patience: number;
  maxStepsPerEpoch?: number;
  maxSeconds?: number;
  /** Decay of the moving average of the weights that validation and the saved model use (absent: no averaging). */
  emaDecay?: number;
  seed: number;
}

export type CommonDefaults = Pick<CommonTrainingConfig, 'out' | 'epochs' | 'batchSize' | 'lr' | 'clipNorm' | 'patience'> & {
  seed?: number;
  /** Help text of --data (what the file is, where it is found by default). */
  dataHelp: string;
};

/**
 * The strict schema of an app's training config: the common fields with the app's defaults, plus `fields`. Every
 * field needs a `.describe(...)`: it is the flag's help text.
 */
export function trainingConfigSchema<F extends z.ZodRawShape>(defaults: CommonDefaults, fields: F) {
  return z.strictObject({
    data: z.string().min(1).optional().describe(defaults.dataHelp),
    out: z.string().min(1).default(defaults.out).describe('run directory: model/, checkpoints/, metrics.jsonl, run.json, charts'),
    epochs: z.number().int().min(1).max(1_000_000).default(defaults.epochs).describe('maximum epochs'),
    batchSize: z.number().int().min(1).max(65_536).default(defaults.batchSize).describe('examples per batch'),
    lr: z.number().gt(0).max(10).default(defaults.lr).describe('Adam learning rate'),
    clipNorm: z.number().min(0).max(1e6).default(defaults.clipNorm).describe('clip gradients to this global norm (0 = off)'),
    patience: z.number().int().min(0).max(1_000_000).default(defaults.patience).describe('early stopping: epochs without improvement (0 = off)'),
    maxStepsPerEpoch: z.number().int().min(1).max(1e9).optional().describe('cap on optimizer steps per epoch'),
    maxSeconds: z.number().int().min(1).max(1e8).optional().describe('wall-clock budget for the run, in seconds'),
    seed: z.number().int().default(defaults.seed ?? 42).describe('random seed (same seed, same backend: same run)'),
    emaDecay: z.number().gt(0).lt(1).optional()
      .describe('validate, keep and save an exponential moving average of the weights with this decay per step (e.g. 0.999); default off'),
    ...fields,
  });
}

/**
 * Sizes of layers and embeddings in configs: bounded, so that a typo such as `--units 1e9` is a one-line error and
 * not an allocation that fails deep inside tfjs (8192 units is already 200M+ parameters for a stacked LSTM).
 */
export const layerSizeSchema = z.number().int().min(1).max(8192);
export const embeddingSizeSchema = z.number().int().min(1).max(4096);

/**
 * The `lrDecay` field (`--lr-decay`) of apps whose Adam learning rate decays exponentially by epoch: the rate of
 * epoch e is lr · lrDecay^e (core's `exponentialDecay`; `lrDecaySchedule` turns the field into the trainer option).
 */
export function lrDecaySchema(defaultRate: number) {
  return z.number().gt(0).max(1).default(defaultRate).describe('multiply the learning rate by this after every epoch (1 = constant)');
}

/**
 * The `encoding` field of apps that train on text files (`--encoding`): how the data's bytes are decoded. Optional,
 * so that runs that never set it keep UTF-8 and their saved configs stay valid; a file that is not valid in it stops
 * with one line naming the file, line and byte offset (core's readTextFile).
 */
export const textEncodingSchema = z.enum(TEXT_ENCODINGS).optional()
  .describe(`encoding of the text data: ${TEXT_ENCODINGS.join(', ')} (default utf-8)`);

// In schema.ts (the browser entry): model metadata read by a web page validates its cell with it too.
export { cellSchema } from '../schema.js';

/** Fields that may change when a run is resumed (budgets); anything else must match the run's saved config. */
export const RESUMABLE_FIELDS: readonly string[] = ['epochs', 'patience', 'maxStepsPerEpoch', 'maxSeconds'];

type FlagKind = 'int' | 'float' | 'string' | 'bool' | 'intList' | 'floatList' | 'stringList';

/** One config field as a command-line flag. */
export interface ConfigFlag {
  key: string;
  flag: string;
  kind: FlagKind;
  description: string;
  choices?: string[];
  defaultValue?: unknown;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface JsonSchemaProp {
  type?: string;
  enum?: unknown[];
  items?: JsonSchemaProp;
  default?: unknown;
  description?: string;
}

function kindOf(key: string, p: JsonSchemaProp): FlagKind {
  if (p.type === 'integer') return 'int';
  if (p.type === 'number') return 'float';
  if (p.type === 'boolean') return 'bool';
  if (p.type === 'string') return 'string';
  if (p.type === 'array' && p.items) {
    if (p.items.type === 'integer') return 'intList';
    if (p.items.type === 'number') return 'floatList';
    if (p.items.type === 'string') return 'stringList';
  }
  throw new Error(`config field "${key}": no flag form for JSON schema ${JSON.stringify(p)}`);
}

/** The flags of a config schema, in field order, with their real defaults (what the schema fills in). */
export function configFlags(schema: z.ZodType, overrides: Record<string, unknown> = {}): ConfigFlag[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchemaProp> };
  return Object.entries(json.properties ?? {}).map(([key, p]) => {
    if (!p.description) throw new Error(`config field "${key}" has no description (it is the flag's help)`);
    return {
      key,
      flag: `--${kebab(key)}`,
      kind: kindOf(key, p),
      description: p.description,
      choices: p.enum?.map(String),
      defaultValue: key in overrides ? overrides[key] : p.default,
    };
  });
}

export function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function parseFlagValue(f: ConfigFlag, raw: string): unknown {
  const num = (s: string) => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new RnnkitError(`${f.flag} must be a number, got "${raw}"`);
    if (f.kind.startsWith('int') && !Number.isInteger(n)) throw new RnnkitError(`${f.flag} must be an integer, got "${raw}"`);
    return n;
  };
  switch (f.kind) {
    case 'int':
    case 'float':
      return num(raw);
    case 'intList':
    case 'floatList':
      return raw.split(',').map((s) => num(s.trim()));
    case 'stringList':
      return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return raw;
  }
}

/** Adds one flag per config field to `cmd`; help shows each field's real default (`overrides` for demo). */
export function addConfigFlags(cmd: Command, flags: ConfigFlag[]): Command {
  for (const f of flags) {
    const shown = f.defaultValue === undefined ? '' : ` (default: ${formatDefault(f.defaultValue)})`;
    const choices = f.choices ? ` [${f.choices.join(', ')}]` : '';
    if (f.kind === 'bool') {
      // A boolean that defaults to true is turned off with --no-<flag>.
      const flag = f.defaultValue === true ? `--no-${f.flag.slice(2)}` : f.flag;
      cmd.addOption(new Option(flag, `${f.description}${shown}`));
      continue;
    }
    const arg = f.kind.endsWith('List') ? '<list>' : f.kind === 'string' ? '<value>' : '<n>';
    cmd.addOption(new Option(`${f.flag} ${arg}`, `${f.description}${choices}${shown}`).argParser((raw: string) => parseFlagValue(f, raw)));
  }
  return cmd;
}

/** The config values given on the command line (commander leaves the others undefined). */
export function givenConfigValues(cmd: Command, flags: ConfigFlag[]): Record<string, unknown> {
  const opts = cmd.opts();
  const given: Record<string, unknown> = {};
  for (const f of flags) {
    if (opts[f.key] !== undefined && cmd.getOptionValueSource(f.key) === 'cli') given[f.key] = opts[f.key];
  }
  return given;
}

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a JSON or YAML config file (by extension; .yml/.yaml are YAML, anything else JSON), strictly UTF-8 through
 * core's text reader: a Latin-1 string value would otherwise reach the config as U+FFFD.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  const text = readTextFile(file, { maxBytes: MAX_CONFIG_BYTES });
  let value: unknown;
  try {
    value = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new RnnkitError(`${file}: invalid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'} (${(err as Error).message.split('\n')[0]})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RnnkitError(`${file}: a config file must hold an object of settings`);
  return value as Record<string, unknown>;
}

/**
 * Resolves a training config: defaults (the app's, or the demo's) < the config file < command-line flags, validated
 * by the app's strict schema. An error names the flag when the bad value came from the command line, else the file
 * and field.
 */
export function resolveConfig<C>(
  schema: z.ZodType<C>,
  flags: ConfigFlag[],
  parts: { defaults?: Record<string, unknown>; file?: { path: string; values: Record<string, unknown> }; given: Record<string, unknown> },
): C {
  if (parts.file) {
    // Unknown or mistyped fields in the file are reported against the file before merging.
    const partial = (schema as unknown as z.ZodObject).partial();
    const checked = partial.safeParse(parts.file.values);
    if (!checked.success) throw new RnnkitError(describeSchemaError(checked.error, parts.file.path, parts.file.values));
  }
  const merged = { ...parts.defaults, ...parts.file?.values, ...parts.given };
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = String(issue?.path[0] ?? '');
  const flag = flags.find((f) => f.key === key);
  if (flag && key in parts.given) {
    throw new RnnkitError(`${flag.flag}: ${issue.message} (got ${formatDefault(parts.given[key])})`);
  }
  if (parts.file && key in parts.file.values) throw new RnnkitError(describeSchemaError(result.error, parts.file.path, merged));
  throw new RnnkitError(describeSchemaError(result.error, 'config', merged));
}

/**
 * The config of a resumed run: the run's saved config, with the budget fields given now applied. Any other field
 * given with a different value is refused, because the checkpoint's weights belong to the saved settings.
 */
export function resumedConfig<C>(schema: z.ZodType<C>, flags: ConfigFlag[], saved: Record<string, unknown>, given: Record<string, unknown>, runFile: string): C {
  for (const [key, value] of Object.entries(given)) {
    if (RESUMABLE_FIELDS.includes(key) || key === 'out') continue;
    if (JSON.stringify(value) !== JSON.stringify(saved[key])) {
      const flag = flags.find((f) => f.key === key)?.flag ?? key;
      throw new RnnkitError(
        `${flag} ${formatDefault(value)} differs from the run being resumed (${saved[key] === undefined ? 'unset' : formatDefault(saved[key])} in ${runFile}); ` +
          `only ${RESUMABLE_FIELDS.map((k) => `--${kebab(k)}`).join(', ')} may change on --resume`,
      );
    }
  }
  return resolveConfig(schema, flags, { defaults: saved, given });
}

export function defaultOutDir(app: string, demo: boolean): string {
  return path.join('runs', demo ? `${app}-demo` : app);
}
