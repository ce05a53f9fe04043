import { describe, expect, it } from 'vitest';
import { isContentWord, repeatedContentWord, STOP_WORDS } from '../src/data/stopwords.js';
import { repeatedContentWordShare } from '../src/metrics/text.js';

describe('content words', () => {
  it("natural's stop list, punctuation and case", () => {
    expect(STOP_WORDS.has('the')).toBe(true);
    expect(STOP_WORDS.has('delhi')).toBe(false);
    for (const t of ['the', 'The', 'of', ',', ':', "'", 'a']) expect(isContentWord(t), t).toBe(false);
    for (const t of ['delhi', 'Delhi', 'power', '2,000', 'beyoncé']) expect(isContentWord(t), t).toBe(true);
  });

  it('finds the first repeated content word, ignoring repeated stop words and punctuation', () => {
    expect(repeatedContentWord(['delhi', 'delhi', 'saved', 'power'])).toBe('delhi');
    expect(repeatedContentWord(['win', 'in', 'the', 'win'])).toBe('win');
    expect(repeatedContentWord(['Power', 'of', 'the', 'power'])).toBe('power');
    expect(repeatedContentWord(['the', 'power', 'of', 'the', 'sun', ',', 'says', ','])).toBeUndefined();
    expect(repeatedContentWord([])).toBeUndefined();
  });

  it('the share of texts that repeat a content word', () => {
    const texts = ['delhi delhi delhi saved power', 'sonam to auction her outfits: reports', 'the power of the sun', 'win, win in economic reforms'];
    expect(repeatedContentWordShare(texts)).toBe(0.5);
    expect(repeatedContentWordShare([''])).toBe(0);
    expect(() => repeatedContentWordShare([])).toThrow(/no texts/);
  });
});
