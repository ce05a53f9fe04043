// Core touches `natural` here and in stopwords.ts (a data file). Its package entry loads database drivers and prints banners, and its
// tokenizers/index.js loads every tokenizer (the Japanese one included), so each tokenizer is imported by its file:
// regexp_tokenizer.js needs tokenizer.js, orthography_matchers.js and underscore; treebank_word_tokenizer.js needs
// those and `util` (for util.inherits), which a browser bundler resolves to the `util` polyfill package, a dependency
// of core for that reason (0.11: 0.12 reads process.env when it loads, and a web page has no `process`). A test
// bundles these for the browser, runs them with no Node global and checks they give Node's tokens.
// natural ships types for tokenizers/index.js only; these are its declarations of the two classes.
import type * as Natural from 'natural/lib/natural/tokenizers/index.js';
// @ts-expect-error -- no declaration file for this module (natural types tokenizers/index.js only)
import regexpTokenizerModule from 'natural/lib/natural/tokenizers/regexp_tokenizer.js';
// @ts-expect-error -- no declaration file for this module (natural types tokenizers/index.js only)
import treebankTokenizerModule from 'natural/lib/natural/tokenizers/treebank_word_tokenizer.js';

const { RegexpTokenizer } = regexpTokenizerModule as { RegexpTokenizer: typeof Natural.RegexpTokenizer };
const TreebankWordTokenizer = treebankTokenizerModule as typeof Natural.TreebankWordTokenizer;

/** Splits text into Unicode code points (so a surrogate pair stays one token). */
export function charTokenize(text: string): string[] {
  return Array.from(text);
}

export interface WordTokenizeOptions {
  lowercase?: boolean;
}

// Numbers with decimal/thousands separators first ("3.14", "1,000"), then words with an optional apostrophe
// suffix ("don't", "it's"), then any other non-space character as its own token.
const wordPattern = /\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}]+)?|[^\s\p{L}\p{M}\p{N}_]/gu;
const words = new RegexpTokenizer({ pattern: wordPattern, gaps: false });
const treebank = new TreebankWordTokenizer();

/**
 * Words, numbers and punctuation as separate tokens ("3.14" and "don't" stay whole, "end." → "end", "."), with
 * natural's RegexpTokenizer. Unlike natural's WordTokenizer, nothing is dropped, so the tokens still carry the
 * sentence's punctuation.
 */
export function wordTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  // With gaps: false the tokenizer returns String.prototype.match's result: null when nothing matches.
  const tokens: string[] | null = words.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens ?? [];
}

/**
 * Penn Treebank conventions ("don't" → "do", "n't"; "U.S.A." kept whole), with natural's TreebankWordTokenizer;
 * suited to seq2seq text.
 */
export function treebankTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  const tokens: string[] = treebank.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens.filter((t) => t.length > 0);
}
