import * as OpenCC from 'opencc-js/t2cn';
import { wordTokenize } from '@rnnkit/core/browser';

/**
 * How both languages become tokens. Browser-safe (the predictor uses it).
 *
 * English: lower-cased words and punctuation through core's wordTokenize (natural's RegexpTokenizer, imported by
 * file path). Lower-casing folds "Tom" / "tom" and sentence-initial capitals into one entry, which a 27k-sentence
 * corpus needs: a capitalized word is otherwise a separate rare token.
 *
 * Chinese: characters, after mapping Traditional characters to Simplified with opencc-js (OpenCC's Taiwan →
 * mainland character table, no phrase conversion): about a fifth of the Tatoeba sentences are written in Traditional
 * characters, and without the mapping 們/们, 這/这 ... would be separate tokens and separate n-grams in BLEU.
 * Whitespace is dropped; Latin letters inside Chinese text (names such as "Tom") become one token per letter.
 */

const toSimplifiedChars = OpenCC.Converter({ from: 'tw', to: 'cn' });

export function tokenizeEnglish(text: string): string[] {
  return wordTokenize(text, { lowercase: true });
}

export function toSimplified(text: string): string {
  return toSimplifiedChars(text);
}

export function tokenizeChinese(text: string): string[] {
  return Array.from(toSimplified(text)).filter((c) => !/\s/u.test(c));
}

/** Chinese tokens back to text (every token is one character, so they join without spaces). */
export function joinChinese(tokens: readonly string[]): string {
  return tokens.join('');
}
