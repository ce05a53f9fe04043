import * as OpenCC from 'opencc-js/t2cn';

/**
 * Chinese tokens: characters, after mapping Traditional characters to Simplified with opencc-js (OpenCC's Taiwan →
 * mainland character table, no phrase conversion): about a fifth of the Tatoeba sentences are written in Traditional
 * characters, and without the mapping 們/们, 這/这 ... would be separate tokens and separate n-grams in BLEU.
 * Whitespace is dropped; Latin letters inside Chinese text (names such as "Tom") become one token per letter.
 *
 * Only the data pipeline, the baselines and evaluation read Chinese text; the predictor (English in, Chinese out)
 * does not, so this file is kept apart from text.ts and the browser bundle does not carry the conversion table.
 */

const toSimplifiedChars = OpenCC.Converter({ from: 'tw', to: 'cn' });

export function toSimplified(text: string): string {
  return toSimplifiedChars(text);
}

export function tokenizeChinese(text: string): string[] {
  return Array.from(toSimplified(text)).filter((c) => !/\s/u.test(c));
}
