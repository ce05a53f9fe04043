import { describe, expect, it } from 'vitest';
import { Vocab } from '@rnnkit/core';
import {
  dataConfigOf, decodeTokens, encodeExample, prepareData, readPairs, splitExamples, summarizeConfigSchema, toExample, DEFAULT_DATA_CONFIG, type RawPair,
} from '../src/index.js';
import { latin1, writeFixture } from './fixtures.js';

const header = 'author,date,headlines,read_more,text,ctext\n';

describe('reading pairs', () => {
  it('decodes the cp1252 Inshorts format: é and £ survive, and multi-line quoted fields keep their start line', () => {
    const csv = header +
      'A,"03 Aug 2017,Thursday",Beyoncé wins £2m case,http://x,"Singer Beyoncé won a £2m case, said a court.","Full ""story""\nover two lines"\n' +
      'B,"04 Aug 2017,Friday",Second headline,http://y,Second text here.,\n';
    const file = writeFixture('news.csv.gz', latin1(csv));
    const { pairs, report } = readPairs(file, { sourceColumn: 'text', targetColumn: 'headlines' });
    expect(report.encoding).toBe('windows-1252');
    expect(pairs[0].target).toBe('Beyoncé wins £2m case');
    expect(pairs[0].source).toContain('£2m');
    expect(pairs.map((p) => p.line)).toEqual([2, 4]);
    // Read as UTF-8 the 0xE9 byte would have become U+FFFD.
    expect(pairs.some((p) => p.source.includes('\uFFFD') || p.target.includes('\uFFFD'))).toBe(false);
  });

  it('decodes Windows-1252 curly quotes and dashes (not the C1 controls of ISO-8859-1); --encoding decodes strictly', () => {
    // 0x92 is "’" and 0x96 "–" in Windows-1252.
    const bytes = Buffer.concat([Buffer.from('source,summary\nit'), Buffer.from([0x92]), Buffer.from('s here,a '), Buffer.from([0x96]), Buffer.from(' b\n')]);
    const file = writeFixture('quotes.csv', bytes);
    expect(readPairs(file, { sourceColumn: 'source', targetColumn: 'summary' }).pairs[0]).toMatchObject({ source: 'it\u2019s here', target: 'a \u2013 b' });
    expect(readPairs(file, { sourceColumn: 'source', targetColumn: 'summary', encoding: 'latin1' }).pairs[0].source).toBe('it\u0092s here');
    expect(() => readPairs(file, { sourceColumn: 'source', targetColumn: 'summary', encoding: 'utf-8' })).toThrow(`${file}: is not valid UTF-8 text at line 2, column 3`);
  });

  it('refuses a binary file instead of decoding it as Windows-1252', () => {
    const file = writeFixture('binary.csv', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x10]));
    expect(() => readPairs(file, { sourceColumn: 'text', targetColumn: 'headlines' }))
      .toThrow(`${file}: looks like a binary file (NUL byte at line 1, offset 7), expected a CSV or JSONL text file`);
  });

  it('reads UTF-8 as UTF-8', () => {
    const file = writeFixture('pairs.jsonl', '{"text":"Café owner says ½ price","headlines":"Café ½ price"}\n');
    const { pairs, report } = readPairs(file, { sourceColumn: 'text', targetColumn: 'headlines' });
    expect(report.encoding).toBe('utf-8');
    expect(pairs[0].target).toBe('Café ½ price');
  });

  it('skips and counts records with an empty field', () => {
    const csv = header + 'A,d,H1,u,T1,C1\nB,d,H2,u,T2,\nC,d,H3,u,T3,  \n';
    const file = writeFixture('news.csv', csv);
    const { pairs, report } = readPairs(file, { sourceColumn: 'ctext', targetColumn: 'text' });
    expect(pairs).toHaveLength(1);
    expect(report.skippedEmpty).toEqual({ ctext: 2 });
  });

  it('names file and line for broken CSV and JSONL input', () => {
    const badCsv = writeFixture('bad.csv', 'source,summary\na,b\nc,d,e\n');
    expect(() => readPairs(badCsv, { sourceColumn: 'source', targetColumn: 'summary' })).toThrow(`${badCsv}:3: invalid CSV`);
    const noColumn = writeFixture('cols.csv', 'src,sum\na,b\n');
    expect(() => readPairs(noColumn, { sourceColumn: 'source', targetColumn: 'summary' })).toThrow(`${noColumn}:1: the header has no column "source"`);
    const badJson = writeFixture('bad.jsonl', '{"source":"a","summary":"b"}\n\n{"source": oops}\n');
    expect(() => readPairs(badJson, { sourceColumn: 'source', targetColumn: 'summary' })).toThrow(`${badJson}:3: invalid JSON`);
    const badType = writeFixture('type.jsonl', '{"source":"a","summary":"b"}\n{"source":"a","summary":7}\n');
    expect(() => readPairs(badType, { sourceColumn: 'source', targetColumn: 'summary' })).toThrow(`${badType}:2: field "summary" must be a string`);
    const wrongFields = writeFixture('fields.jsonl', '{"a":"x","b":"y"}\n');
    expect(() => readPairs(wrongFields, { sourceColumn: 'source', targetColumn: 'summary' })).toThrow(`${wrongFields}:1: no field "source"`);
  });
});

describe('splits and encoding', () => {
  const pairs: RawPair[] = Array.from({ length: 50 }, (_, i) => ({ source: `story ${i} about things`, target: `head ${i}`, line: i + 2 }));
  const examples = pairs.map((p) => toExample(p, DEFAULT_DATA_CONFIG));

  it('holds out the last 10% as test, and splits the rest reproducibly by seed', () => {
    const seeded = (seed: number) => {
      let s = seed;
      return () => ((s = (s * 16807) % 2147483647) / 2147483647);
    };
    const a = splitExamples(examples, 0.2, seeded(1));
    const b = splitExamples(examples, 0.2, seeded(1));
    const c = splitExamples(examples, 0.2, seeded(2));
    expect(a.test.map((e) => e.line)).toEqual(pairs.slice(45).map((p) => p.line));
    expect(c.test).toEqual(a.test);
    expect(a.val.map((e) => e.line)).toEqual(b.val.map((e) => e.line));
    expect(a.val.map((e) => e.line)).not.toEqual(c.val.map((e) => e.line));
    expect(a.train.length + a.val.length).toBe(45);
    expect(a.val).toHaveLength(9);
  });

  it('lowercases, keeps numbers, and gives article OOV words extended ids the target can copy', () => {
    const vocab = Vocab.build([['police', 'arrest', 'man', 'in', '.']]);
    const e = toExample({ source: 'Police arrest Rahul in Pune 2017.', target: 'Rahul arrested in Pune', line: 2 }, DEFAULT_DATA_CONFIG);
    expect(e.srcTokens).toEqual(['police', 'arrest', 'rahul', 'in', 'pune', '2017', '.']);
    const enc = encodeExample(e, vocab);
    const V = vocab.size;
    expect(enc.oovs).toEqual(['rahul', 'pune', '2017']);
    expect(enc.srcExt).toEqual([vocab.idOf('police'), vocab.idOf('arrest'), V, vocab.idOf('in'), V + 1, V + 2, vocab.idOf('.')]);
    expect(enc.src.filter((id) => id === Vocab.UNK)).toHaveLength(3);
    // "arrested" is in neither vocabulary nor article: UNK; "rahul"/"pune" are copyable.
    expect(enc.tgtOut).toEqual([V, Vocab.UNK, vocab.idOf('in'), V + 1, Vocab.EOS]);
    expect(enc.tgtIn).toEqual([Vocab.BOS, Vocab.UNK, Vocab.UNK, vocab.idOf('in'), Vocab.UNK]);
    expect(decodeTokens(enc.tgtOut.slice(0, -1), vocab, enc.oovs)).toEqual(['rahul', '<unk>', 'in', 'pune']);
  });

  it('builds the vocabulary from the training split only', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `"text number ${i} common common","headline ${i < 18 ? 'train' : 'testonly'}"`);
    const file = writeFixture('pairs.csv', 'text,headlines\n' + rows.join('\n') + '\n');
    const data = prepareData(file, { ...DEFAULT_DATA_CONFIG, minCount: 1 }, Math.random);
    expect(data.splits.test).toHaveLength(2);
    expect(data.vocab.has('testonly')).toBe(false);
    expect(data.vocab.has('common')).toBe(true);
  });
});

describe('data settings of a training config', () => {
  it('--max-src-len defaults by task (64 for headline, 400 for summary) unless given', () => {
    const of = (values: Record<string, unknown>) => dataConfigOf(summarizeConfigSchema.parse(values));
    expect(of({}).maxSrcLen).toBe(64);
    expect(of({ task: 'summary' }).maxSrcLen).toBe(400);
    expect(of({ task: 'summary', maxSrcLen: 40 }).maxSrcLen).toBe(40);
    expect(of({ maxTgtLen: 10, minCount: 1, maxVocab: 100 })).toEqual({ ...DEFAULT_DATA_CONFIG, maxTgtLen: 10, minCount: 1, maxVocab: 100 });
  });
});
