import { describe, expect, it } from 'vitest';
import { chineseTokenize, englishTokenize } from '../src/tokenize.js';

describe('englishTokenize', () => {
  it('splits raw text the way SST-2 is tokenized: lowercased, clitics and punctuation apart', () => {
    expect(englishTokenize("It wasn't the film's fault... I can't say I'm moved!")).toEqual([
      'it', 'was', "n't", 'the', 'film', "'s", 'fault', '...', 'i', 'ca', "n't", 'say', 'i', "'m", 'moved', '!',
    ]);
  });

  it('keeps accented letters, hyphenated words, abbreviations and decimals whole', () => {
    expect(englishTokenize('Clichés of a self-indulgent 19th-century drama, Mr. Smith: $3.50 in the U.S.')).toEqual([
      'clichés', 'of', 'a', 'self-indulgent', '19th-century', 'drama', ',', 'mr.', 'smith', ':', '$', '3.50', 'in', 'the', 'u.s.',
    ]);
  });

  it('leaves text already in SST-2 form as its space-separated tokens', () => {
    for (const line of [
      "it 's a charming and often affecting journey . ",
      'the film ca n\'t decide if it wants to be a mystery , a romance or a comedy -- and `` fails \'\' ... ',
      "rock 'n' roll of the '60s , 'em all ",
    ]) {
      expect(englishTokenize(line)).toEqual(line.trim().split(/ +/));
    }
  });

  it('returns no tokens for whitespace', () => {
    expect(englishTokenize('  \n\t')).toEqual([]);
  });
});

describe('chineseTokenize', () => {
  it('one token per character, whitespace dropped, full-width forms folded to half-width, Latin lowercased', () => {
    expect(chineseTokenize('房间 很干净，ＣＨＥＣＫＩＮ快２分钟!')).toEqual([
      '房', '间', '很', '干', '净', ',', 'c', 'h', 'e', 'c', 'k', 'i', 'n', '快', '2', '分', '钟', '!',
    ]);
  });

  it('keeps characters outside the basic plane as one token', () => {
    expect(chineseTokenize('好𠀀')).toEqual(['好', '𠀀']);
  });
});
