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

const wordPunct = new tokenizers.WordPunctTokenizer();
const treebank = new tokenizers.TreebankWordTokenizer();

/**
 * Words, numbers and punctuation as separate tokens ("3.14" stays whole, "don't" → "don", "'", "t").
 * Unlike natural's WordTokenizer, nothing is dropped, so the tokens still carry the sentence's punctuation.
 */
export function wordTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  const tokens: string[] = wordPunct.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens.filter((t) => t.length > 0);
}

/** Penn Treebank conventions ("don't" → "do", "n't"; "U.S.A." kept whole), suited to seq2seq text. */
export function treebankTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  const tokens: string[] = treebank.tokenize(opts.lowercase ? text.toLowerCase() : text);
  return tokens.filter((t) => t.length > 0);
}
