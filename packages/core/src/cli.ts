import type { Command } from 'commander';
import type { BackendName } from './backend.js';
import { RnnkitError } from './errors.js';
import type { TrainConfig } from './train/types.js';

/** Helpers shared by every app CLI (commander), so flags, their parsing and error reporting match across apps. */

/** Parses an integer flag value, naming the flag in the error. Use as a commander argParser. */
export function intOption(flag: string, { min = -Infinity, max = Infinity } = {}): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new RnnkitError(`${flag} must be an integer${describeRange(min, max)}, got "${value}"`);
    }
    return n;
  };
}

/** Parses a float flag value, naming the flag in the error. */
export function floatOption(flag: string, { min = -Infinity, max = Infinity } = {}): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new RnnkitError(`${flag} must be a number${describeRange(min, max)}, got "${value}"`);
    }
    return n;
  };
}

/** Parses a comma-separated list of positive integers such as `--units 256,256`. */
export function intListOption(flag: string): (value: string) => number[] {
  const one = intOption(flag, { min: 1 });
  return (value: string) => value.split(',').map((part) => one(part.trim()));
}

/** Parses a flag restricted to a fixed set of values. */
export function choiceOption<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new RnnkitError(`${flag} must be one of ${choices.join(', ')}, got "${value}"`);
    }
    return value as T;
  };
}

function describeRange(min: number, max: number): string {
  if (min > -Infinity && max < Infinity) return ` in [${min}, ${max}]`;
  if (min > -Infinity) return ` >= ${min}`;
  if (max < Infinity) return ` <= ${max}`;
  return '';
}

/**
 * Runs a CLI entry point: a user error (RnnkitError, including those thrown by the option parsers above) prints
 * one line and exits 1; anything else is a bug and prints its stack. Commander reports its own usage errors
 * (unknown flag, missing argument) before this. A returned number becomes the exit code (130 after an interrupt).
 */
export async function runCli(main: () => Promise<void | number>): Promise<void> {
  try {
    const code = await main();
    if (typeof code === 'number') process.exitCode = code;
  } catch (err) {
    if (err instanceof RnnkitError) {
      process.stderr.write(`error: ${err.message}\n`);
    } else {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}

/** `--backend` for any command that runs a model. */
export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', 'tensorflow or cpu (default: the best that loads)', choiceOption('--backend', ['tensorflow', 'cpu'] as const));
}

/** The values of the flags `addTrainingOptions` adds, as commander parses them. */
export interface TrainingFlags {
  epochs: number;
  batchSize: number;
  lr: number;
  clipNorm: number;
  patience: number;
  maxStepsPerEpoch?: number;
  maxSeconds?: number;
  resume?: boolean;
  seed: number;
  backend?: BackendName;
}

export type TrainingFlagDefaults = Pick<TrainingFlags, 'epochs' | 'batchSize' | 'lr' | 'clipNorm' | 'patience'> & { seed?: number };

/** The training flags every app shares, with the app's own defaults. */
export function addTrainingOptions(cmd: Command, defaults: TrainingFlagDefaults): Command {
  cmd
    .option('--epochs <n>', 'maximum epochs', intOption('--epochs', { min: 1 }), defaults.epochs)
    .option('--batch-size <n>', 'examples per batch', intOption('--batch-size', { min: 1 }), defaults.batchSize)
    .option('--lr <x>', 'Adam learning rate', floatOption('--lr', { min: 0 }), defaults.lr)
    .option('--clip-norm <x>', 'clip gradients to this global norm (0 = off)', floatOption('--clip-norm', { min: 0 }), defaults.clipNorm)
    .option('--patience <n>', 'early stopping: epochs without improvement (0 = off)', intOption('--patience', { min: 0 }), defaults.patience)
    .option('--max-steps-per-epoch <n>', 'cap on optimizer steps per epoch', intOption('--max-steps-per-epoch', { min: 1 }))
    .option('--max-seconds <n>', 'wall-clock budget for the run', intOption('--max-seconds', { min: 1 }))
    .option('--resume', 'continue from the last checkpoint of the run in --out')
    .option('--seed <n>', 'random seed (same seed, same backend: same run)', intOption('--seed'), defaults.seed ?? 42);
  return addBackendOption(cmd);
}

/** The part of core's TrainConfig that the shared training flags decide. */
export function trainConfigFromFlags(flags: TrainingFlags): Pick<TrainConfig,
  'epochs' | 'batchSize' | 'learningRate' | 'clipNorm' | 'earlyStopping' | 'maxStepsPerEpoch' | 'maxSeconds' | 'resume' | 'seed'> {
  return {
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    learningRate: flags.lr,
    clipNorm: flags.clipNorm > 0 ? flags.clipNorm : undefined,
    earlyStopping: flags.patience > 0 ? { patience: flags.patience } : undefined,
    maxStepsPerEpoch: flags.maxStepsPerEpoch,
    maxSeconds: flags.maxSeconds,
    resume: Boolean(flags.resume),
    seed: flags.seed,
  };
}
