import type { Command } from 'commander';
import type { z } from 'zod';
import type { TrainConfig, TrainResult } from '../train/types.js';
import type { ModelRecord } from '../io/model-dir.js';
import type { CommonTrainingConfig } from './config.js';
import type { Predictor } from './predictor.js';

/**
 * The app contract: everything the generated CLI (and later the server and web playground) needs to know about an
 * app. One object per app, in its `app.ts`; its `cli.ts` is one line, `runAppCli(app)`.
 */
export interface AppDefinition<C extends CommonTrainingConfig = CommonTrainingConfig, I = unknown, O = unknown> {
  /** Short name: `textgen` → binary `rnnkit-textgen`, model dirs tagged `textgen`. */
  name: string;
  /** The app package's version (recorded in model dirs; a test keeps it equal to package.json's). */
  version: string;
  description: string;
  /** The binary name when it is not `rnnkit-<name>`. */
  bin?: string;
  /** The train command's help line (default: "train a <name> model"). */
  trainDescription?: string;
  /**
   * The training config: core's common fields plus the app's own (`trainingConfigSchema`). It generates the
   * train/demo flags and their help, validates `--config` files, and is saved with the run and the model.
   */
  configSchema: z.ZodType<C>;
  /** Trains from a resolved config; writes the run directory and the model in `ctx.modelDir`. */
  train(config: C, ctx: TrainContext<C>): Promise<TrainedRun>;
  evaluate: {
    description: string;
    /** The command's own flags (besides --model, --backend, --json, --quiet). */
    options?: (cmd: Command) => Command;
    /** Scores the model in `modelDir` (already resolved); `report` is what `--json` prints. */
    run(modelDir: string, flags: Record<string, unknown>, ctx: CommandContext): Promise<{ report: object; text: string }>;
  };
  /** Loads a model directory (already resolved, any app: use `loadAppModel`, which refuses other apps' models). */
  loadPredictor(modelDir: string): Promise<Predictor<I, O>>;
  predict: {
    /** What the positional argument / --file / stdin text is, for the help. */
    inputHelp: string;
    options?: (cmd: Command) => Command;
    /** The positional argument or --file is a path the app reads itself (an image), not text. */
    inputIsPath?: boolean;
    /** Turns the text (and the command's flags) into the predictor's input; `--input-json` skips this. */
    fromText(text: string, flags: Record<string, unknown>, ctx: CommandContext): I | Promise<I>;
    /** The human-readable rendering of an output (`--json` prints the output itself). */
    format(output: O, flags: Record<string, unknown>): string;
    /** Side outputs of a prediction that the command's own flags ask for (e.g. an attention SVG), after printing. */
    after?(output: O, flags: Record<string, unknown>, ctx: CommandContext): Promise<void> | void;
    /** A small valid input: for the help, docs, the server's OpenAPI example and the contract test. */
    example: I;
    /**
     * `predict -` reads stdin as a stream (raw audio from a microphone pipe, say) instead of one text: the app reads
     * `input` chunk by chunk, predicts with `predictor` and prints results as they come. Returns when it is done
     * reading (its own bounds: a stream that never ends must not hang the command).
     */
    fromStream?(input: AsyncIterable<Uint8Array>, predictor: Predictor<I, O>, flags: Record<string, unknown>, ctx: CommandContext): Promise<void>;
  };
  demo?: {
    description: string;
    /** Config values that differ from train's defaults (shown as the demo's defaults in its help). */
    defaults: Partial<C>;
    /** Prints the demo's visible result after training. */
    show(run: TrainedRun, config: C, ctx: CommandContext): Promise<void>;
  };
  /** The app's own commands (sample, chat, forecast, ...), built with the helpers so their flags match. */
  commands?: (helpers: CommandHelpers) => Command[];
  /** Old flag spellings still accepted for one release, with a warning: `{ '--temp': '--temperature' }`. */
  deprecatedFlags?: Record<string, string>;
  /** Old flag spellings of one command only: `{ predict: { '--attention': '--attention-svg' } }`. */
  deprecatedCommandFlags?: Record<string, Record<string, string>>;
  /** Old command names: `{ eval: 'evaluate' }`. */
  deprecatedCommands?: Record<string, string>;
  /**
   * Flags removed in an earlier release, with what replaces them: `{ '--max-minutes': '--max-seconds' }`. Given one,
   * the CLI stops with one line naming the replacement instead of commander's bare "unknown option".
   */
  removedFlags?: Record<string, string>;
  /** Removed flags of one command only: `{ evaluate: { '--baselines-only': 'the baselines command' } }`. */
  removedCommandFlags?: Record<string, Record<string, string>>;
}

/** What every command's action gets. */
export interface CommandContext {
  /** --json: stdout carries one JSON document; everything else goes to stderr. */
  json: boolean;
  /** --quiet: no progress or informational lines. */
  quiet: boolean;
  /** A result line (stdout). */
  out(line: string): void;
  /** An informational line (stdout; stderr under --json; nothing under --quiet). */
  info(line: string): void;
  /** Training progress display (default: a bar on a TTY, lines otherwise; none under --quiet). */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

export interface TrainContext<C extends CommonTrainingConfig = CommonTrainingConfig> extends CommandContext {
  /** The run directory (`config.out`): model/, checkpoints/, metrics.jsonl, run.json, charts. */
  runDir: string;
  /** Where the final model goes: `<runDir>/model`. */
  modelDir: string;
  /** --resume was given (the config is the run's saved one, with the flags that may change applied). */
  resume: boolean;
  /**
   * The TrainConfig fields the common config decides, plus the run's checkpoint dir, metrics log and its start
   * record, progress mode and checkpoint record. Spread it into core's `train()` and add the app's own fields.
   */
  trainSettings(extras: Record<string, unknown>): Pick<TrainConfig,
    'epochs' | 'batchSize' | 'learningRate' | 'clipNorm' | 'earlyStopping' | 'maxStepsPerEpoch' | 'maxSeconds' | 'resume' | 'seed' |
    'checkpointDir' | 'metricsLog' | 'startRecord' | 'progress' | 'checkpointRecord' | 'checkpointEverySteps' | 'weightAveraging'>;
  /** What the final model directory records: the app, the config, `extras`, and the last epoch's metrics. */
  modelRecord(extras: Record<string, unknown>, result?: TrainResult): ModelRecord;
  config: C;
}

export interface TrainedRun {
  modelDir: string;
  result: TrainResult;
  /** false when the run stopped before writing its final model (an interrupted multi-phase run); default true. */
  saved?: boolean;
  /** The app's own figures of the run (e.g. its evaluation), merged into `train --json`'s summary. */
  report?: object;
}

export interface CommandHelpers {
  /** A command with the shared output and backend flags: --backend, --json, --quiet. */
  command(name: string, description: string): Command;
  /** A command with the shared flags of commands that use a trained model: --model, --backend, --json, --quiet. */
  modelCommand(name: string, description: string): Command;
  /** Wraps an action: initializes the backend, builds the context, maps errors and signals to exit codes. */
  action<F extends Record<string, unknown>>(
    cmd: Command,
    fn: (flags: F, ctx: CommandContext, args: string[]) => Promise<void | number>,
  ): Command;
}
