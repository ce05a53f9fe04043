// natural's English stop list, imported by its file (the package entry loads database drivers; see tokenize.ts).
// The file is plain data with no imports, so it bundles for a web page too.
// @ts-expect-error -- no declaration file for this module (natural types tokenizers/index.js only)
import stopwordsModule from 'natural/lib/natural/util/stopwords.js';

/** natural's English stop words (lowercase; it also lists single letters and digits). */
export const STOP_WORDS: ReadonlySet<string> = new Set((stopwordsModule as { words: string[] }).words);

/**
 * Whether a token carries content: it has a letter or digit (punctuation does not) and, lowercased, is not a stop
 * word. What repetition checks count: "delhi delhi" repeats a content word, "the ... the" does not.
 */
export function isContentWord(token: string): boolean {
  return /[\p{L}\p{N}]/u.test(token) && !STOP_WORDS.has(token.toLowerCase());
}

/** The first content word that occurs twice in `tokens` (compared lowercased), or undefined. */
export function repeatedContentWord(tokens: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (!isContentWord(token)) continue;
    const key = token.toLowerCase();
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}
