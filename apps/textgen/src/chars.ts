import { RnnkitError, charTokenize, type Vocab } from '@rnnkit/core/browser';

/** Character encoding shared by training (data.ts) and generation (generate.ts); no Node APIs: pages generate too. */

/** Encodes text to character ids, naming the characters the vocabulary lacks instead of mapping them to UNK. */
export function encodeText(vocab: Vocab, text: string, what = 'text'): Int32Array {
  const chars = charTokenize(text);
  const unknown = vocab.unknownTokens(chars);
  if (unknown.length > 0) {
    const shown = unknown.map((c) => JSON.stringify(c)).join(', ');
    throw new RnnkitError(`${what} contains characters the model's vocabulary lacks: ${shown}`);
  }
  return Int32Array.from(vocab.encode(chars));
}
