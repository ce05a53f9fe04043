/**
 * Tokenizers with no dependency, so Node and the browser split text identically. They reproduce the two tokenizers
 * of `natural` that rnnkit used before (a RegexpTokenizer with the pattern below, and the TreebankWordTokenizer):
 * natural's tokenizers module needs Node's `util` and cannot be bundled for a browser. A test checks that both give
 * the same tokens on real text from every dataset.
 */

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

/**
 * Words, numbers and punctuation as separate tokens ("3.14" and "don't" stay whole, "end." → "end", ".").
 * Unlike natural's WordTokenizer, nothing is dropped, so the tokens still carry the sentence's punctuation.
 */
export function wordTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  return (opts.lowercase ? text.toLowerCase() : text).match(wordPattern) ?? [];
}

// Penn Treebank rules, in natural's order (lib/natural/tokenizers/treebank_word_tokenizer.js, MIT, Rob Ellis and
// Chris Umbel); `\w` and `\b` are ASCII-only there too.
const contractions2 = [
  /(.)('ll|'re|'ve|n't|'s|'m|'d)\b/gi,
  /\b(can)(not)\b/gi,
  /\b(D)('ye)\b/gi,
  /\b(Gim)(me)\b/gi,
  /\b(Gon)(na)\b/gi,
  /\b(Got)(ta)\b/gi,
  /\b(Lem)(me)\b/gi,
  /\b(Mor)('n)\b/gi,
  /\b(T)(is)\b/gi,
  /\b(T)(was)\b/gi,
  /\b(Wan)(na)\b/gi,
];
const contractions3 = [/\b(Whad)(dd)(ya)\b/gi, /\b(Wha)(t)(cha)\b/gi];

/** Penn Treebank conventions ("don't" → "do", "n't"; "U.S.A." kept whole), suited to seq2seq text. */
export function treebankTokenize(text: string, opts: WordTokenizeOptions = {}): string[] {
  let s = opts.lowercase ? text.toLowerCase() : text;
  for (const re of contractions2) s = s.replace(re, '$1 $2');
  for (const re of contractions3) s = s.replace(re, '$1 $2 $3');
  s = s
    .replace(/([^\w.'\-/+<>,&])/g, ' $1 ') // most punctuation
    .replace(/(,\s)/g, ' $1') // commas followed by a space
    .replace(/('\s)/g, ' $1') // single quotes followed by a space
    .replace(/\. *(\n|$)/g, ' . '); // periods before a newline or the end
  return s.split(/\s+/).filter((t) => t.length > 0);
}
