import * as path from 'node:path';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend.js';
import { runCli } from '../cli.js';
import { RnnkitError } from '../errors.js';
import { loadModelDir, readModelMeta } from '../io/model-dir.js';
import { decodeText, parseTextEncoding, readTextFile, refuseBinary, TEXT_ENCODINGS, type TextEncoding } from '../io/text.js';
import { RNNKIT_VERSION } from '../version.js';
import {
  addConfigFlags, configFlags, defaultOutDir, givenConfigValues, readConfigFile, resolveConfig, resumedConfig,
  type CommonTrainingConfig, type ConfigFlag,
} from './config.js';
import type { AppDefinition, CommandContext, CommandHelpers, TrainContext, TrainedRun } from './definition.js';
import { checkModelApp } from './model.js';
import { exportCommand } from './export-command.js';
import { checkFreshRunDir, lockRunDir, readRunConfig, runJson, writeRunJson } from './run-dir.js';

/**
 * The CLI every app gets from its definition: the same commands (train, evaluate, predict, info, demo, plus the
 * app's own), the same flag names, the same output rules (--json: one JSON document on stdout; --quiet: results
 * only) and the same exit codes (0 ok, 1 user error in one line, 130 after SIGINT, 143 after SIGTERM).
 */

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

type AnyApp = AppDefinition<any, any, any>;

export function binName(app: AnyApp): string {
  return app.bin ?? `rnnkit-${app.name}`;
}

export function versionString(app: AnyApp): string {
  return `${binName(app)} ${app.version} (@rnnkit/core ${RNNKIT_VERSION}, tfjs ${tf.version.tfjs})`;
}

/**
 * A command context: results to `out`, informational lines to `info` (stdout, stderr under --json, nowhere under
 * --quiet). Library users and tests pass their own sinks, e.g. `commandContext({ quiet: true })`.
 */
export function commandContext(
  opts: { json?: boolean; quiet?: boolean; out?: (line: string) => void; info?: (line: string) => void; progress?: CommandContext['progress'] } = {},
): CommandContext {
  const json = opts.json === true;
  const quiet = opts.quiet === true;
  return {
    json,
    quiet,
    progress: opts.progress,
    out: opts.out ?? ((line) => process.stdout.write(`${line}\n`)),
    info: (line) => {
      if (quiet) return;
      if (opts.info) opts.info(line);
      else (json ? process.stderr : process.stdout).write(`${line}\n`);
    },
  };
}

const context = (flags: Record<string, unknown>) => commandContext({ json: flags.json === true, quiet: flags.quiet === true });

function addOutputFlags(cmd: Command): Command {
  return cmd
    .option('--json', 'print the result as one JSON document on stdout (other output goes to stderr)')
    .option('--quiet', 'print results only: no progress or informational lines');
}

function addBackendFlag(cmd: Command): Command {
  return cmd.addOption(new Option('--backend <name>', 'tensorflow or cpu (default: the best that loads)').choices(['tensorflow', 'cpu']));
}

function helpers(): CommandHelpers {
  const action: CommandHelpers['action'] = (cmd, fn) =>
    cmd.action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const flags = command.opts();
      const ctx = context(flags);
      await initBackend({ backend: flags.backend as 'tensorflow' | 'cpu' | undefined, quiet: ctx.quiet || ctx.json });
      const code = await fn(flags as never, ctx, command.args);
      if (typeof code === 'number') process.exitCode = code;
    });
  const command = (name: string, description: string) => addOutputFlags(addBackendFlag(new Command(name).description(description)));
  const modelCommand = (name: string, description: string) =>
    command(name, description).requiredOption('--model <dir>', 'model directory, or a training run directory holding model/');
  return { action, command, modelCommand };
}

async function readStdin(encoding: TextEncoding): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new RnnkitError(`stdin: more than ${MAX_STDIN_BYTES} bytes; not a prediction input`);
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  if (encoding !== 'utf-16le') refuseBinary(bytes, 'stdin');
  return decodeText(bytes, 'stdin', encoding);
}

/** --file: a prediction input is text of at most MAX_STDIN_BYTES, read by core's one strict text reader. */
function readInputFile(file: string, encoding: TextEncoding): string {
  return readTextFile(file, { maxBytes: MAX_STDIN_BYTES, encoding });
}

/** `--encoding` of commands that read text input (predict's --file and stdin; apps add it to their own commands). */
export function encodingOption(): Option {
  return new Option('--encoding <name>', 'encoding of the text input').choices([...TEXT_ENCODINGS]).default('utf-8');
}

/**
 * The encoding an `evaluate` reads the training data in: its `--encoding` flag (an `encodingOption()` without
 * default), else the one the model was trained with (its recorded config), else UTF-8.
 */
export async function trainedEncoding(modelDir: string, flag: unknown): Promise<TextEncoding> {
  return parseTextEncoding(flag ?? (await readModelMeta(modelDir)).meta.config?.encoding);
}

/** An `evaluate --encoding` flag whose default is the encoding the model was trained with. */
export function evaluateEncodingOption(): Option {
  return encodingOption().default(undefined, 'as in train');
}

/**
 * A removed flag stops the command with what replaces it: commander would only say "unknown option" (or, for
 * `evaluate --json FILE`, "too many arguments"), leaving the user to search the changelog.
 */
function refuseRemovedFlags(argv: string[], command: string | undefined, removed: Record<string, string>): void {
  argv.forEach((arg, i) => {
    if (i < 3) return;
    const [name] = arg.split('=');
    if (Object.hasOwn(removed, name)) throw new RnnkitError(`${name} was removed in 0.2; use ${removed[name]}`);
    // Every app's evaluate took `--json FILE` in 0.1; it takes no positional argument, so a word after --json is that.
    const next = argv[i + 1];
    if (command === 'evaluate' && arg === '--json' && next !== undefined && !next.startsWith('-')) {
      throw new RnnkitError(`evaluate --json ${next}: --json no longer takes a file (removed in 0.2); it prints the report on stdout: use --json > ${next}`);
    }
  });
}

/** One JSON document on stdout; non-finite numbers become null. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
}

function trainCommand(app: AnyApp, name: 'train' | 'demo', h: CommandHelpers): Command {
  const isDemo = name === 'demo';
  // demo runs in its own directory, so that it never resumes or overwrites a real run.
  const overrides: Record<string, unknown> = isDemo ? { out: defaultOutDir(app.name, true), ...app.demo?.defaults } : {};
  const flags = configFlags(app.configSchema, overrides);
  const cmd = new Command(name).description(isDemo ? (app.demo?.description ?? '') : (app.trainDescription ?? `train a ${app.name} model`));
  addConfigFlags(cmd, flags);
  cmd
    .option('--config <file>', 'training config as JSON or YAML (.yml/.yaml); flags override it')
    .option('--resume', 'continue the run in --out from its last checkpoint, with its saved config')
    .option('--overwrite', isDemo ? 'ignored: demo always starts over in its own directory' : 'start over in an --out that already holds a run (its model, checkpoints and logs are removed)');
  addOutputFlags(addBackendFlag(cmd));
  return h.action<Record<string, unknown>>(cmd, async (opts, ctx) => {
    const config = await trainingConfig(app, cmd, flags, overrides, opts);
    const run = await runTraining(app, config, opts.resume === true, ctx, { overwrite: isDemo || opts.overwrite === true });
    const interrupted = run.result.stopReason === 'interrupted';
    if (isDemo && app.demo && !interrupted) {
      // Under --json the demo's human-readable result goes to stderr and stdout carries the run's summary.
      const showCtx = ctx.json ? { ...ctx, out: (line: string) => process.stderr.write(`${line}\n`) } : ctx;
      await app.demo.show(run, config, showCtx);
    }
    if (ctx.json) printJson(trainSummary(run));
    else if (run.saved === false || interrupted) ctx.out(`interrupted: no final model yet; continue with --resume --out ${config.out}`);
    else if (!isDemo) ctx.out(`model saved to ${run.modelDir} (best epoch ${run.result.bestEpoch}, stop: ${run.result.stopReason})`);
    return run.result.signal ? SIGNAL_EXIT[run.result.signal] : undefined;
  });
}

async function trainingConfig(
  app: AnyApp, cmd: Command, flags: ConfigFlag[], overrides: Record<string, unknown>, opts: Record<string, unknown>,
): Promise<CommonTrainingConfig> {
  const given = givenConfigValues(cmd, flags);
  const file = typeof opts.config === 'string' ? { path: opts.config, values: readConfigFile(opts.config) } : undefined;
  if (opts.resume === true) {
    const defaultOut = (app.configSchema.safeParse({}).data as CommonTrainingConfig | undefined)?.out ?? defaultOutDir(app.name, false);
    const out = String(given.out ?? file?.values.out ?? overrides.out ?? defaultOut);
    const saved = await readRunConfig(out, app.name);
    if (saved) return resumedConfig(app.configSchema, flags, saved.config, { ...file?.values, ...given }, saved.file);
  }
  return resolveConfig(app.configSchema, flags, { defaults: overrides, file, given }) as CommonTrainingConfig;
}

function trainSummary(run: TrainedRun) {
  const r = run.result;
  return {
    modelDir: run.saved === false ? null : run.modelDir, stopReason: r.stopReason, bestEpoch: r.bestEpoch, monitor: r.monitor,
    best: r.best ?? null, epochs: r.history.length, last: r.history.at(-1) ?? null, ...run.report,
  };
}

/**
 * RNNKIT_CHECKPOINT_EVERY_STEPS=N: also checkpoint `last` every N optimizer steps inside an epoch (TrainConfig's
 * checkpointEverySteps), for runs whose epochs are long enough that losing one to a crash matters.
 */
export function checkpointEveryStepsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.RNNKIT_CHECKPOINT_EVERY_STEPS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new RnnkitError(`RNNKIT_CHECKPOINT_EVERY_STEPS: expected a whole number of steps >= 1, got "${raw}"`);
  }
  return n;
}

/**
 * Runs `app.train` in a locked run directory, with run.json and the start record written first. A run directory
 * that already holds a run is refused unless `resume` or `overwrite` (the CLI's --resume / --overwrite; library
 * callers overwrite by default).
 */
export async function runTraining<C extends CommonTrainingConfig>(
  app: AppDefinition<C>, config: C, resume: boolean, ctx: CommandContext, opts: { overwrite?: boolean } = {},
): Promise<TrainedRun> {
  const runDir = config.out;
  const checkpointEverySteps = checkpointEveryStepsFromEnv();
  const release = lockRunDir(runDir);
  try {
    if (!resume) checkFreshRunDir(runDir, opts.overwrite ?? true);
    const record = runJson(app, config as unknown as Record<string, unknown>);
    writeRunJson(runDir, record);
    const identity = { name: app.name, version: app.version, ...(app.bin ? { bin: app.bin } : {}) };
    const configRecord = config as unknown as Record<string, unknown>;
    const tctx: TrainContext<C> = {
      ...ctx,
      runDir,
      modelDir: path.join(runDir, 'model'),
      resume,
      config,
      trainSettings: (extras) => ({
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.lr,
        clipNorm: config.clipNorm > 0 ? config.clipNorm : undefined,
        earlyStopping: config.patience > 0 ? { patience: config.patience } : undefined,
        maxStepsPerEpoch: config.maxStepsPerEpoch,
        maxSeconds: config.maxSeconds,
        ...(config.emaDecay !== undefined ? { weightAveraging: { decay: config.emaDecay } } : {}),
        resume,
        seed: config.seed,
        checkpointDir: path.join(runDir, 'checkpoints'),
        metricsLog: path.join(runDir, 'metrics.jsonl'),
        startRecord: { app: identity, rnnkitVersion: record.rnnkitVersion, tfjsVersion: record.tfjsVersion, config: configRecord },
        progress: ctx.quiet ? 'none' : (ctx.progress ?? 'auto'),
        checkpointRecord: { app: identity, config: configRecord, extras },
        ...(checkpointEverySteps !== undefined ? { checkpointEverySteps } : {}),
      }),
      modelRecord: (extras, result) => ({
        app: identity,
        config: configRecord,
        extras,
        ...(result?.history.length ? { metrics: { ...result.history.at(-1) } } : {}),
      }),
    };
    return await app.train(config, tctx);
  } finally {
    release();
  }
}

function evaluateCommand(app: AnyApp, h: CommandHelpers): Command {
  let cmd = h.modelCommand('evaluate', app.evaluate.description);
  if (app.evaluate.options) cmd = app.evaluate.options(cmd);
  return h.action<Record<string, unknown> & { model: string }>(cmd, async (flags, ctx) => {
    const dir = await checkModelApp(flags.model, app.name);
    const { report, text } = await app.evaluate.run(dir, flags, ctx);
    if (ctx.json) printJson(report);
    else ctx.out(text);
  });
}

function predictCommand(app: AnyApp, h: CommandHelpers): Command {
  let cmd = h.modelCommand('predict', `predict from one input: ${app.predict.inputHelp}`)
    .argument('[input]', app.predict.inputHelp)
    .option('--file <path>', 'read the input from this file instead of the argument')
    .option('--input-json', "the input is the predictor's JSON input object (as the server takes it), not text")
    .addOption(encodingOption());
  if (app.predict.options) cmd = app.predict.options(cmd);
  return h.action<Record<string, unknown> & { model: string; file?: string; inputJson?: boolean; encoding: TextEncoding }>(cmd, async (flags, ctx, args) => {
    const [arg] = args;
    if (arg !== undefined && flags.file !== undefined) throw new RnnkitError('give the input as an argument or with --file, not both');
    if (arg === '-' && app.predict.fromStream && !flags.inputJson) {
      const dir = await checkModelApp(flags.model, app.name);
      const predictor = await app.loadPredictor(dir);
      try {
        await app.predict.fromStream(process.stdin, predictor, flags, ctx);
      } finally {
        predictor.dispose();
        // The stream may still be open (a pipe that never ends): stop reading so the process can exit.
        process.stdin.destroy();
      }
      return;
    }
    const fromPath = app.predict.inputIsPath === true && !flags.inputJson;
    let text: string;
    if (arg !== undefined) text = arg;
    else if (flags.file !== undefined) text = fromPath ? flags.file : readInputFile(flags.file, flags.encoding);
    else if (!process.stdin.isTTY) text = await readStdin(flags.encoding);
    else throw new RnnkitError(`no input: give ${app.predict.inputHelp} as an argument, with --file, or on stdin`);
    let input: unknown;
    if (flags.inputJson) {
      try {
        input = JSON.parse(text);
      } catch (err) {
        throw new RnnkitError(`--input-json: invalid JSON (${(err as Error).message})`);
      }
    } else {
      input = await app.predict.fromText(text, flags, ctx);
    }
    const dir = await checkModelApp(flags.model, app.name);
    const predictor = await app.loadPredictor(dir);
    try {
      const output = await predictor.predict(input);
      if (ctx.json) printJson(output);
      else ctx.out(app.predict.format(output, flags));
      await app.predict.after?.(output, flags, ctx);
    } finally {
      predictor.dispose();
    }
  });
}

/** What `info` reports about a model directory. */
export async function modelInfo(dir: string) {
  const loaded = await loadModelDir(dir);
  try {
    const layers = loaded.model.layers.map((l) => ({
      name: l.name,
      class: l.getClassName(),
      outputShape: l.outputShape,
      params: l.countParams(),
    }));
    const m = loaded.meta;
    return {
      dir: loaded.dir,
      app: m.app,
      rnnkitVersion: m.rnnkitVersion,
      tfjsVersion: m.tfjsVersion,
      createdAt: m.createdAt,
      weights: m.weights,
      parameters: loaded.model.countParams(),
      layers,
      config: m.config,
      trainedOn: (m.extras.data as string | undefined) ?? (m.config?.data as string | undefined) ?? null,
      metrics: m.metrics,
    };
  } finally {
    loaded.model.dispose();
  }
}

function formatInfo(info: Awaited<ReturnType<typeof modelInfo>>): string {
  const lines = [
    `model: ${info.dir}`,
    `app: ${info.app ? `${info.app.name} ${info.app.version}` : 'none'} (rnnkit ${info.rnnkitVersion}, tfjs ${info.tfjsVersion}), saved ${info.createdAt}`,
    `weights: ${info.weights.bytes} bytes, sha256 ${info.weights.sha256}`,
    `parameters: ${info.parameters}`,
    'layers:',
    ...info.layers.map((l) => `  ${l.name.padEnd(24)} ${l.class.padEnd(22)} ${JSON.stringify(l.outputShape).padEnd(28)} ${l.params}`),
    `trained on: ${info.trainedOn ?? 'the default dataset'}`,
    `config: ${JSON.stringify(info.config)}`,
    `last metrics: ${info.metrics ? JSON.stringify(info.metrics) : 'none recorded'}`,
  ];
  return lines.join('\n');
}

function infoCommand(app: AnyApp, h: CommandHelpers): Command {
  const cmd = h.modelCommand('info', 'what a model directory holds: app, versions, layers, parameters, config, training data, last metrics');
  return h.action<{ model: string }>(cmd, async (flags, ctx) => {
    const info = await modelInfo(await checkModelApp(flags.model, app.name));
    if (ctx.json) printJson(info);
    else ctx.out(formatInfo(info));
  });
}

/** The commander program of an app (exported for tests: help texts and defaults). */
export function buildAppProgram(app: AnyApp): Command {
  const h = helpers();
  const program = new Command(binName(app))
    .description(app.description)
    .version(versionString(app), '--version', 'print the app, @rnnkit/core and tfjs versions')
    .showHelpAfterError();
  program.addCommand(trainCommand(app, 'train', h));
  program.addCommand(evaluateCommand(app, h));
  program.addCommand(predictCommand(app, h));
  program.addCommand(infoCommand(app, h));
  if (app.demo) program.addCommand(trainCommand(app, 'demo', h));
  program.addCommand(exportCommand(app, h));
  for (const extra of app.commands?.(h) ?? []) program.addCommand(extra);
  return program;
}

/** Renames deprecated flags and commands in `argv`, warning once for each. */
export function applyDeprecations(app: AnyApp, argv: string[], warn: (line: string) => void): string[] {
  const commands = app.deprecatedCommands ?? {};
  const command = Object.hasOwn(commands, argv[2] ?? '') ? commands[argv[2]] : argv[2];
  const ofCommand = (table: Record<string, Record<string, string>> | undefined) =>
    command !== undefined && table && Object.hasOwn(table, command) ? table[command] : {};
  const flags = { ...app.deprecatedFlags, ...ofCommand(app.deprecatedCommandFlags) };
  refuseRemovedFlags(argv, command, { ...app.removedFlags, ...ofCommand(app.removedCommandFlags) });
  return argv.map((arg, i) => {
    if (i === 2 && Object.hasOwn(commands, arg)) {
      warn(`warning: "${arg}" is deprecated and will be removed in the next release; use "${commands[arg]}"`);
      return commands[arg];
    }
    const [name, ...rest] = arg.split('=');
    if (Object.hasOwn(flags, name)) {
      warn(`warning: ${name} is deprecated and will be removed in the next release; use ${flags[name]}`);
      return [flags[name], ...rest].join('=');
    }
    return arg;
  });
}

/** The whole CLI of an app: `await runAppCli(app)` is its cli.ts. */
export async function runAppCli(app: AnyApp, argv: string[] = process.argv): Promise<void> {
  await runCli(async () => {
    const args = applyDeprecations(app, argv, (line) => process.stderr.write(`${line}\n`));
    await buildAppProgram(app).parseAsync(args);
  });
}
