import { Option, type Command } from 'commander';
import { floatOption, intOption } from '../cli.js';
import type { DecodingRequest } from './predictor.js';

/**
 * The decoding flags of every command that generates text (predict, sample, chat, ...): one name per option across
 * apps, mapped one to one onto the predictor input's `decode` object.
 */
type DecodeField = keyof DecodingRequest;

const FLAGS: Record<DecodeField, { flag: string; help: string; parse: (v: string) => unknown }> = {
  strategy: { flag: '--strategy <name>', help: 'decoding: greedy, sample or beam', parse: (v) => v },
  temperature: { flag: '--temperature <t>', help: 'sampling temperature (0 = the most likely token)', parse: floatOption('--temperature', { min: 0, max: 10 }) },
  topK: { flag: '--top-k <k>', help: 'sample only among the k most likely tokens', parse: intOption('--top-k', { min: 1 }) },
  topP: { flag: '--top-p <p>', help: 'nucleus sampling: the smallest set of tokens with this much probability', parse: floatOption('--top-p', { min: 0, max: 1 }) },
  beamWidth: { flag: '--beam-width <n>', help: 'beam width (1 = greedy)', parse: intOption('--beam-width', { min: 1, max: 64 }) },
  lengthPenalty: { flag: '--length-penalty <a>', help: 'beam length normalization exponent', parse: floatOption('--length-penalty', { min: 0, max: 10 }) },
  maxLen: { flag: '--max-len <n>', help: 'longest output in tokens', parse: intOption('--max-len', { min: 1, max: 10_000 }) },
  minLen: { flag: '--min-len <n>', help: 'shortest output in tokens', parse: intOption('--min-len', { min: 0, max: 10_000 }) },
  // Not --no-repeat-ngram: commander reads a --no- prefix as a negated boolean.
  noRepeatNgram: { flag: '--ngram-block <n>', help: 'forbid repeating n-grams of this size (0 = off)', parse: intOption('--ngram-block', { min: 0, max: 10 }) },
  seed: { flag: '--seed <n>', help: 'random seed of sampling (same seed, same output)', parse: intOption('--seed') },
};

/** Adds the decoding flags `fields` to `cmd`, with the app's defaults shown in the help. */
export function addDecodeFlags(
  cmd: Command,
  fields: DecodeField[],
  defaults: Partial<Record<DecodeField, string | number>> = {},
  choices?: { strategy?: string[] },
  /** Defaults that the predictor applies itself: shown in the help, not set as flag values (so they imply nothing). */
  helpDefaults: Partial<Record<DecodeField, string | number>> = {},
): Command {
  for (const field of fields) {
    const spec = FLAGS[field];
    const shown = helpDefaults[field] !== undefined ? ` (default: ${helpDefaults[field]})` : '';
    const option = new Option(spec.flag, `${spec.help}${shown}`);
    if (field === 'strategy') option.choices(choices?.strategy ?? ['greedy', 'sample', 'beam']);
    else option.argParser(spec.parse as (v: string) => never);
    if (defaults[field] !== undefined) option.default(defaults[field]);
    cmd.addOption(option);
  }
  return cmd;
}

/** The `decode` object of a predictor input, from the parsed flags (only the fields that were set). */
export function decodeFromFlags(flags: Record<string, unknown>): DecodingRequest {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(FLAGS)) {
    // commander names --ngram-block's value ngramBlock
    const value = field === 'noRepeatNgram' ? flags.ngramBlock : flags[field];
    if (value !== undefined) out[field] = value;
  }
  return out as DecodingRequest;
}
