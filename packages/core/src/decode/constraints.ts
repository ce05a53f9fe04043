import { RnnkitError } from '../errors.js';
import type { DecodeOptions } from './step.js';

export function checkDecodeOptions(opts: DecodeOptions, where: string): number[] {
  const prompt = opts.prompt ?? (opts.bos !== undefined ? [opts.bos] : undefined);
  if (!prompt || prompt.length === 0) throw new RnnkitError(`${where}: give a bos token or a non-empty prompt`);
  if (!Number.isInteger(opts.maxLen) || opts.maxLen < 1) {
    throw new RnnkitError(`${where}: maxLen must be an integer >= 1, got ${opts.maxLen}`);
  }
  const minLen = opts.minLen ?? 0;
  if (!Number.isInteger(minLen) || minLen < 0 || minLen > opts.maxLen) {
    throw new RnnkitError(`${where}: minLen must be an integer in [0, maxLen], got ${opts.minLen}`);
  }
  const n = opts.noRepeatNgram ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new RnnkitError(`${where}: noRepeatNgram must be an integer >= 0, got ${n}`);
  for (const t of opts.bannedTokens ?? []) {
    if (!Number.isInteger(t) || t < 0) throw new RnnkitError(`${where}: bannedTokens must be token ids, got ${t}`);
  }
  if (opts.repeatableTokens !== undefined && !opts.noRepeatTokens) {
    throw new RnnkitError(`${where}: repeatableTokens is given but noRepeatTokens is off`);
  }
  return prompt;
}

/**
 * Sets to -Infinity (in place) the log-probabilities of tokens the options forbid after `history`
 * (prompt + generated so far; `generated` of them were generated). Greedy, sampling and beam search all call
 * this, which is what keeps beam width 1 identical to greedy under the same options.
 */
export function applyConstraints(row: Float32Array, history: readonly number[], generated: number, opts: DecodeOptions): void {
  if (opts.eos !== undefined && generated < (opts.minLen ?? 0)) row[opts.eos] = -Infinity;
  for (const t of opts.bannedTokens ?? []) row[t] = -Infinity;
  if (opts.noRepeatTokens) {
    // Only generated tokens count: a char LM's priming text or a decoder's BOS is not output to avoid repeating.
    const repeatable = opts.repeatableTokens;
    for (let i = history.length - generated; i < history.length; i++) {
      const t = history[i];
      if (t !== opts.eos && !repeatable?.has(t)) row[t] = -Infinity;
    }
  }
  const n = opts.noRepeatNgram ?? 0;
  if (n < 1 || history.length < n - 1) return;
  // Every earlier n-gram whose first n-1 tokens equal the last n-1 tokens of the history bans its last token.
  const tail = history.length - (n - 1);
  for (let start = 0; start + n <= history.length; start++) {
    let same = true;
    for (let k = 0; k < n - 1 && same; k++) same = history[start + k] === history[tail + k];
    if (same) row[history[start + n - 1]] = -Infinity;
  }
}
