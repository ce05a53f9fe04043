import { wordTokenize } from '@rnnkit/core/browser';
import type { Conversation } from './conversation.js';

/**
 * From conversations to (context → response) token pairs: normalization, optional conversation history, and the
 * length filters. Every pair a filter removes is counted under a named reason so the CLI can report it.
 */

export type Lang = 'en' | 'zh';

/** Joins history turns inside the encoder input; a reserved vocabulary token, so it can never be a word. */
export const SEP = '<sep>';

export interface PairOptions {
  lang: Lang;
  /** Number of previous turns the encoder sees (1 = just the last utterance). */
  history: number;
  /** Longest encoder input in tokens (separators included). */
  maxContextLen: number;
  /** Longest response in tokens (EOS not counted). */
  maxResponseLen: number;
}

export interface Pair {
  context: string[];
  response: string[];
  /** Where the response's conversation starts, for sample exchanges and debugging. */
  file: string;
  line: number;
}

export interface PairStats {
  kept: number;
  dropped: Record<string, number>;
}

/**
 * English: lowercase, words and punctuation as separate tokens (core's wordTokenize). Chinese: one token per
 * character — written Chinese has no spaces, and a ~500-pair corpus is far too small for a word segmenter's
 * vocabulary; whitespace is dropped and Latin letters lowercased so "OK" and "ok" share a token.
 */
export function tokenizeUtterance(text: string, lang: Lang): string[] {
  if (lang === 'zh') return Array.from(text.toLowerCase()).filter((ch) => !/\s/u.test(ch));
  return wordTokenize(text, { lowercase: true });
}

/**
 * The encoder input for a reply to `turns` (oldest first): the last `history` turns joined by SEP. Older turns are
 * dropped first when the joined input would exceed `maxLen`, so a long conversation still fits; returns null only
 * when the last turn alone is too long (or empty).
 */
export function buildContext(turns: readonly string[][], history: number, maxLen: number): string[] | null {
  const last = turns[turns.length - 1];
  if (last === undefined || last.length === 0 || last.length > maxLen) return null;
  let context = last;
  for (let k = 2; k <= history && k <= turns.length; k++) {
    const longer = [...turns[turns.length - k], SEP, ...context];
    if (longer.length > maxLen) break;
    context = longer;
  }
  return context;
}

/** All consecutive (context → response) pairs of the conversations, with counts of what the filters removed. */
export function makePairs(conversations: readonly Conversation[], opts: PairOptions): { pairs: Pair[]; stats: PairStats } {
  const pairs: Pair[] = [];
  const dropped: Record<string, number> = { emptyUtterance: 0, contextTooLong: 0, responseTooLong: 0 };
  for (const conv of conversations) {
    const tokens = conv.turns.map((t) => tokenizeUtterance(t, opts.lang));
    for (let i = 1; i < tokens.length; i++) {
      const response = tokens[i];
      if (response.length === 0 || tokens[i - 1].length === 0) {
        dropped.emptyUtterance++;
        continue;
      }
      if (response.length > opts.maxResponseLen) {
        dropped.responseTooLong++;
        continue;
      }
      const context = buildContext(tokens.slice(0, i), opts.history, opts.maxContextLen);
      if (context === null) {
        dropped.contextTooLong++;
        continue;
      }
      pairs.push({ context, response, file: conv.file, line: conv.line });
    }
  }
  return { pairs, stats: { kept: pairs.length, dropped } };
}

/** Turns tokens back into readable text: spaces between words (none for Chinese), none before punctuation. */
export function detokenize(tokens: readonly string[], lang: Lang): string {
  if (lang === 'zh') return tokens.join('');
  return tokens
    .join(' ')
    .replace(/ ([.,!?;:%)\]}])/g, '$1')
    .replace(/([([{$]) /g, '$1')
    .replace(/ ' /g, "'");
}
