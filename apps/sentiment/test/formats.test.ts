import { describe, expect, it } from 'vitest';
import { parseChnSentiCorpCsv, parseCsvRecords, parseSst2Tsv } from '../src/formats.js';

const F = 'data/x.tsv';

describe('parseSst2Tsv', () => {
  it('reads sentences (trailing space trimmed), labels and file lines; tolerates CRLF', () => {
    const parsed = parseSst2Tsv('sentence\tlabel\r\nhide new secretions \t0\r\na gorgeous film \t1\r\n', F);
    expect(parsed.examples).toEqual([
      { text: 'hide new secretions', label: 0, line: 2 },
      { text: 'a gorgeous film', label: 1, line: 3 },
    ]);
    expect(parsed.emptyTexts).toBe(0);
  });

  it('counts and skips empty sentences', () => {
    expect(parseSst2Tsv('sentence\tlabel\n \t1\nok \t0\n', F)).toEqual({ examples: [{ text: 'ok', label: 0, line: 3 }], emptyTexts: 1 });
  });

  it.each([
    ['a wrong header', 'text\tlabel\nok\t1\n', /^data\/x\.tsv: line 1: header "text\\tlabel" is not "sentence<TAB>label"$/],
    ['a row without its label', 'sentence\tlabel\nok \t1\nno label here\n', /^data\/x\.tsv: line 3: expected 2 tab-separated fields \(sentence, label\), got 1$/],
    ['a row with three fields', 'sentence\tlabel\nok\t1\t0\n', /^data\/x\.tsv: line 2: expected 2 tab-separated fields/],
    ['a label outside 0/1', 'sentence\tlabel\nok \t1\nbad \t2\n', /^data\/x\.tsv: line 3: label "2" is not 0 or 1$/],
    ['a label that is text', 'sentence\tlabel\nok \tpositive\n', /^data\/x\.tsv: line 2: label "positive" is not 0 or 1$/],
    ['a header only', 'sentence\tlabel\n', /^data\/x\.tsv: has a header but no examples$/],
  ])('refuses %s in one line naming file and line', (_what, content, message) => {
    expect(() => parseSst2Tsv(content, F)).toThrow(message);
  });
});

describe('parseCsvRecords', () => {
  it('handles quoted commas, doubled quotes, quoted newlines and the line each record starts on', () => {
    const records = parseCsvRecords('label,review\n1,"a, b"\n0,"say ""hi""\nsecond line"\n1,plain\n', 'r.csv');
    expect(records).toEqual([
      { fields: ['label', 'review'], line: 1 },
      { fields: ['1', 'a, b'], line: 2 },
      { fields: ['0', 'say "hi"\nsecond line'], line: 3 },
      { fields: ['1', 'plain'], line: 5 },
    ]);
  });

  it('reads a last record without a final newline', () => {
    expect(parseCsvRecords('a,b\n1,x', 'r.csv').at(-1)).toEqual({ fields: ['1', 'x'], line: 2 });
  });

  it('names the line a quote was opened on when the file ends inside it (truncated)', () => {
    expect(() => parseCsvRecords('label,review\n1,ok\n0,"cut in the mid', 'r.csv')).toThrow(/^r\.csv: line 3: invalid CSV: quoted field opened here is never closed/);
  });

  it('refuses text after a closing quote and a stray quote in an unquoted field', () => {
    expect(() => parseCsvRecords('a,b\n1,"x"y\n', 'r.csv')).toThrow(/^r\.csv: line 2: invalid CSV: a closing quote/);
    expect(() => parseCsvRecords('a,b\n1,x"y\n', 'r.csv')).toThrow(/^r\.csv: line 2: invalid CSV: a quote inside an unquoted field/);
  });
});

describe('parseChnSentiCorpCsv', () => {
  it('reads label and review, skipping (and counting) empty reviews', () => {
    const parsed = parseChnSentiCorpCsv('label,review\n1,"距离较近,但是不错"\n0,\n0,房间太小\n', 'h.csv');
    expect(parsed.examples).toEqual([
      { text: '距离较近,但是不错', label: 1, line: 2 },
      { text: '房间太小', label: 0, line: 4 },
    ]);
    expect(parsed.emptyTexts).toBe(1);
  });

  it.each([
    ['the TSV header', 'sentence\tlabel\n', /^h\.csv: line 1: header "sentence\\tlabel" is not "label,review"$/],
    ['columns swapped', 'review,label\n好,1\n', /^h\.csv: line 1: header/],
    ['an extra field', 'label,review\n1,好,坏\n', /^h\.csv: line 2: expected 2 fields \(label,review\), got 3$/],
    ['a label of -1 (the original ChnSentiCorp coding)', 'label,review\n1,好\n-1,坏\n', /^h\.csv: line 3: label "-1" is not 0 or 1$/],
  ])('refuses %s in one line naming file and line', (_what, content, message) => {
    expect(() => parseChnSentiCorpCsv(content, 'h.csv')).toThrow(message);
  });
});
