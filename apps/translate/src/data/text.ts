import { wordTokenize } from '@rnnkit/core/browser';

/**
 * The text side of the predictor (English in, Chinese out). Browser-safe. Chinese input text is read by chinese.ts.
 *
 * English: lower-cased words and punctuation through core's wordTokenize (natural's RegexpTokenizer, imported by
 * file path). Lower-casing folds "Tom" / "tom" and sentence-initial capitals into one entry, which a 27k-sentence
 * corpus needs: a capitalized word is otherwise a separate rare token.
 */

export function tokenizeEnglish(text: string): string[] {
  return wordTokenize(text, { lowercase: true });
}

/** Chinese tokens back to text (every token is one character, so they join without spaces). */
export function joinChinese(tokens: readonly string[]): string {
  return tokens.join('');
}
