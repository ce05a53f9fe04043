// English words go through natural's RegexpTokenizer, imported by its file as core's tokenizers are (natural's
// package entry loads database drivers; see @rnnkit/core's data/tokenize.ts). Core's two word tokenizers do not fit
// SST-2, which is lowercased and Penn-Treebank tokenized ("ca n't", "film 's", "clichés", "mr.", "19th-century"):
// wordTokenize keeps "can't" and "film's" whole, and natural's TreebankWordTokenizer splits every non-ASCII letter
// off ("clich é s"). The pattern below reproduces the dataset's own tokens (all but 82 of 67,349 training rows and
// every dev row tokenize to exactly their space-separated words), so raw text typed into `predict` ("It wasn't
// good") meets the same vocabulary as the training data ("it was n't good").
import type * as Natural from 'natural/lib/natural/tokenizers/index.js';
// @ts-expect-error -- no declaration file for this module (natural types tokenizers/index.js only)
import regexpTokenizerModule from 'natural/lib/natural/tokenizers/regexp_tokenizer.js';
import { charTokenize } from '@rnnkit/core/browser';

const { RegexpTokenizer } = regexpTokenizerModule as { RegexpTokenizer: typeof Natural.RegexpTokenizer };

export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

const WORD = '[\\p{L}\\p{M}\\p{N}_]';
const englishPattern = new RegExp(
  [
    // Clitics split off by the step below, and the dataset's quoted forms ('em, 'n', '60s).
    "n't",
    "'(?:s|re|ve|ll|d|m|em|n')(?!\\p{L})",
    "'\\p{N}+s?",
    // Abbreviations keep their period: u.s., mr., f. kennedy.
    '(?:\\p{L}\\.){2,}',
    '(?:mr|mrs|ms|dr|st|jr|sr|vs|bros|etc|inc|prof|no)\\.(?!\\p{L})',
    '\\p{L}\\.(?=\\s+\\p{L})',
    // Decimal and grouped numbers stay whole: 3.50, 1,000.
    '\\p{N}+(?:[.,]\\p{N}+)+(?!\\p{L})',
    // Words, with inner hyphens, slashes, apostrophes and periods: self-indulgent, 4/5ths, rock'n'roll.
    `${WORD}+(?:[-/'.]${WORD}+)*`,
    // Any other character, runs of the same one together: "...", "--", "!!!", "``".
    '([^\\s\\p{L}\\p{M}\\p{N}_])\\1*',
  ].join('|'),
  'gu',
);
const englishWords = new RegexpTokenizer({ pattern: englishPattern, gaps: false });

/**
 * English text → lowercased Penn-Treebank-style tokens, the form SST-2 is distributed in:
 * "It wasn't the film's fault..." → it, was, n't, the, film, 's, fault, ...
 */
export function englishTokenize(text: string): string[] {
  const split = text
    .toLowerCase()
    .replace(/(\p{L})n['’]t(?!\p{L})/gu, "$1 n't")
    .replace(/(\p{L})['’](s|re|ve|ll|d|m)(?!\p{L})/gu, "$1 '$2");
  // With gaps: false the tokenizer returns String.prototype.match's result: null when nothing matches.
  const tokens: string[] | null = englishWords.tokenize(split);
  return tokens ?? [];
}

/**
 * Chinese text → one token per character (no word segmentation), after NFKC normalization so that full-width and
 * half-width forms of the same punctuation, digit or Latin letter ("，" and ",", "２" and "2") are one token, and
 * lowercasing of the occasional Latin word. Whitespace is dropped.
 */
export function chineseTokenize(text: string): string[] {
  return charTokenize(text.normalize('NFKC').toLowerCase()).filter((c) => !/\s/u.test(c));
}

export function tokenizerFor(language: Language): (text: string) => string[] {
  return language === 'en' ? englishTokenize : chineseTokenize;
}
