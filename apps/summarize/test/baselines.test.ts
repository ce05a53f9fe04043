import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractZipMember, leadN, sentences, TfIdfSentencePicker, words } from '../src/index.js';

describe('baselines', () => {
  it('lead-N takes the first N words, ignoring punctuation', () => {
    expect(leadN('Delhi saved 290 MW, power firms said. More text.', 5)).toBe('delhi saved 290 mw power');
    expect(words('It rose 3.5% in 2017!')).toEqual(['it', 'rose', '3.5', 'in', '2017']);
  });

  it('splits sentences, also where Inshorts dropped the space after a full stop', () => {
    expect(sentences('Prices rose by £95.In 2016 they fell. Dr. Rao agreed.')).toEqual(['Prices rose by £95.', 'In 2016 they fell.', 'Dr. Rao agreed.']);
  });

  it('TF-IDF picks the sentence with the highest Σ tf·idf / √length (hand-computed)', () => {
    // natural's idf = 1 + ln(4 / (1 + df)): the 0.777, was 1.288, weather/fine 1.693, unseen words 2.386.
    // Article tf: rahane 3, the 3, was 2, others 1. Scores: sentence 1 13.07/√7 = 4.94; sentence 2 (rahane 7.16 +
    // six unseen words 14.32) / √8 = 7.59; sentence 3 (rahane 7.16 + was 2.58 + the 2.33 + three unseen 7.16) / √6 = 7.85.
    const picker = new TfIdfSentencePicker(['the team won the match', 'the weather was fine', 'the team lost', 'the match was long']);
    const article = 'The weather was fine on the day. Rahane scored a century as Rahane led India. Rahane was named the best player.';
    expect(picker.pick(article)).toBe('Rahane was named the best player.');
  });
});

/** A one-member zip (local header, deflated data, central directory, end record) as the download cache holds. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content);
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = local.length + nameBytes.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, end]);
}

describe('downloaded archive', () => {
  it('extracts the CSV member of the zip, and names the file when the member is missing', () => {
    const csv = Buffer.from('headlines,text\nA,B\n');
    const zip = zipOf('news_summary.csv', csv);
    expect(Buffer.from(extractZipMember(zip, 'news_summary.csv', 'x.zip')).toString()).toBe(csv.toString());
    expect(() => extractZipMember(zip, 'other.csv', 'x.zip')).toThrow('x.zip: no member named other.csv');
    expect(() => extractZipMember(Buffer.from('not a zip at all, just some bytes'), 'a', 'y.zip')).toThrow('y.zip: not a zip archive');
  });
});
