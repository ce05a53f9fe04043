import { describe, expect, it } from 'vitest';
import { BOS, EOS, PAD, UNK, Vocab } from '../src/data/index.js';
import { RnnkitError } from '../src/errors.js';

describe('Vocab', () => {
  const corpus = ['b', 'a', 'c', 'a', 'b', 'a', 'd'];

  it('reserves PAD/UNK/BOS/EOS and orders by count desc, then token', () => {
    const v = Vocab.build(corpus);
    expect([PAD, UNK, BOS, EOS]).toEqual([0, 1, 2, 3]);
    expect(v.decode([0, 1, 2, 3, 4, 5, 6, 7])).toEqual(['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd']);
    expect(v.size).toBe(8);
  });

  it('applies minCount and maxSize (reserved tokens count towards maxSize)', () => {
    expect(Vocab.build(corpus, { minCount: 2 }).decode([4, 5])).toEqual(['a', 'b']);
    expect(Vocab.build(corpus, { minCount: 2 }).size).toBe(6);
    const small = Vocab.build(corpus, { maxSize: 5 });
    expect(small.size).toBe(5);
    expect(small.encode(['a', 'b'])).toEqual([4, UNK]);
  });

  it('accepts sentences and extra specials', () => {
    const v = Vocab.build([['x', 'y'], ['y']], { specials: ['<sep>'] });
    expect(v.decode([4, 5, 6])).toEqual(['<sep>', 'y', 'x']);
  });

  it('encodes with UNK, BOS/EOS and decodes with stripSpecials', () => {
    const v = Vocab.build(corpus);
    expect(v.encode(['a', 'zzz', 'd'], { addBos: true, addEos: true })).toEqual([BOS, 4, UNK, 7, EOS]);
    expect(v.decode([BOS, 4, PAD, 5, EOS, 6], { stripSpecials: true })).toEqual(['a', 'b']);
    expect(v.unknownTokens(['a', 'q', 'r', 'q'])).toEqual(['q', 'r']);
    expect(v.idOf('nope')).toBe(UNK);
    expect(() => v.tokenOf(99)).toThrow(/id 99 is out of range/);
  });

  it('round-trips through JSON and validates', () => {
    const v = Vocab.build(corpus);
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    expect(back.encode(['a', 'b', 'c', 'd'])).toEqual(v.encode(['a', 'b', 'c', 'd']));
    expect(() => Vocab.fromJSON({ format: 'rnnkit-vocab', version: 1, tokens: ['<pad>', '<unk>', '<bos>'] }, 'vocab.json'))
      .toThrow(/vocab.json: .*tokens\[3\]/);
    expect(() => Vocab.fromJSON({ format: 'rnnkit-vocab', version: 1, tokens: [...v.toJSON().tokens, 'a'] })).toThrow(/duplicate/);
    expect(() => Vocab.fromJSON({ format: 'x' })).toThrow(RnnkitError);
    expect(() => Vocab.fromJSON(null)).toThrow(/JSON object/);
  });

  it('rejects bad options', () => {
    expect(() => Vocab.build(corpus, { minCount: 0 })).toThrow(/minCount/);
    expect(() => Vocab.build(corpus, { maxSize: 3 })).toThrow(/maxSize/);
  });
});
