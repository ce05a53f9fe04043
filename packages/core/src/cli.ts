import { RnnkitError } from './errors.js';

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
