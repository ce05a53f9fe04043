import { describe, expect, it } from 'vitest';
import { charTokenize, treebankTokenize, wordTokenize } from '../src/data/index.js';

describe('tokenizers', () => {
  it('charTokenize keeps code points whole', () => {
    expect(charTokenize('ab 😀')).toEqual(['a', 'b', ' ', '😀']);
  });

  it('wordTokenize keeps numbers and splits punctuation', () => {
    expect(wordTokenize('Hello, World! Pi is 3.14.', { lowercase: true })).toEqual(['hello', ',', 'world', '!', 'pi', 'is', '3.14', '.']);
    expect(wordTokenize("Don't stop: 1,000 e-mails.")).toEqual(["Don't", 'stop', ':', '1,000', 'e', '-', 'mails', '.']);
    expect(wordTokenize('   ')).toEqual([]);
  });

  it('treebankTokenize splits contractions the Penn way', () => {
    expect(treebankTokenize("I don't know.")).toEqual(['I', 'do', "n't", 'know', '.']);
  });
});
