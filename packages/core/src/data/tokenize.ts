// The only place rnnkit touches `natural`: its package entry point loads database drivers and prints banners,
// so we import the tokenizers module by file path instead.
import tokenizers from 'natural/lib/natural/tokenizers/index.js';

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
const words = new tokenizers.RegexpTokenizer({ pattern: wordPattern, gaps: false });
const treebank = new tokenizers.TreebankWordTokenizer();

/**
 * Words, numbers and punctuation as separate tokens ("3.14" and "don't" stay whole, "end." → "end", ".").
 * Unlike natural's WordTokenizer, nothing is dropped, so the tokens still carry the sentence's punctuation.
 */
export function wordTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  const tokens: string[] | null = words.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens ?? [];
}

/** Penn Treebank conventions ("don't" → "do", "n't"; "U.S.A." kept whole), suited to seq2seq text. */
export function treebankTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  const tokens: string[] = treebank.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens.filter((t) => t.length > 0);
}
