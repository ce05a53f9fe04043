import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeText, decodeUtf8, findInvalidUtf8, parseTextEncoding, printable, readTextFile } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('findInvalidUtf8', () => {
  it('accepts UTF-8 of every length, and finds nothing in it', () => {
    expect(findInvalidUtf8(bytes('a é € 𝄞\n'))).toBeUndefined();
    expect(findInvalidUtf8(new Uint8Array(0))).toBeUndefined();
  });

  it('names the line and the character column of the first bad byte', () => {
    // Line 2 is "é€x" then a Latin-1 0xE9: columns count characters, not bytes.
    expect(findInvalidUtf8(bytes('first\n', 'é€x', [0xe9], '\n'))).toEqual({ offset: 12, line: 2, column: 4 });
    expect(findInvalidUtf8(bytes([0xff, 0xfe], 'a'))).toEqual({ offset: 0, line: 1, column: 1 });
  });

  it('refuses what TextDecoder would replace: overlong forms, surrogates, code points above U+10FFFF, truncation', () => {
    const cases: number[][] = [
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // U+D800, a surrogate
      [0xf4, 0x90, 0x80, 0x80], // U+110000
      [0xe2, 0x82], // "€" cut short at the end
      [0x80], // a lone continuation byte
    ];
    for (const c of cases) {
      expect(findInvalidUtf8(bytes('ok ', c)), c.map((b) => b.toString(16)).join(' ')).toEqual({ offset: 3, line: 1, column: 4 });
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes('ok ', c))).toThrow();
    }
  });
});

describe('decodeUtf8', () => {
  it('decodes UTF-8 and drops a byte order mark', () => {
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'café'), 'x')).toBe('café');
  });

  it('refuses bad bytes in one line naming the source, line, column and byte', () => {
    expect(() => decodeUtf8(bytes('a\nb\ncaf', [0xe9]), 'stdin')).toThrow(
      /^stdin: is not valid UTF-8 text at line 3, column 4 \(byte 0xE9\); convert it to UTF-8 first$/,
    );
  });
});

describe('readTextFile', () => {
  const file = (name: string, content: string | Uint8Array) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('reads a UTF-8 file', () => {
    expect(readTextFile(file('ok.txt', 'héllo\n'))).toBe('héllo\n');
  });

  it('refuses a missing file, a directory, a device, an oversized file and a binary file, naming each', () => {
    expect(() => readTextFile(join(dir, 'nope.txt'))).toThrow(`${join(dir, 'nope.txt')}: no such file`);
    expect(() => readTextFile(dir)).toThrow(`${dir}: is a directory`);
    expect(() => readTextFile('/dev/zero')).toThrow('/dev/zero: not a regular file');
    expect(() => readTextFile(file('big.txt', 'x'.repeat(11)), { maxBytes: 10 })).toThrow(`${join(dir, 'big.txt')}: 11 bytes is more than the 10`);
    expect(() => readTextFile(file('bin', bytes('ab\nc', [0], 'd')))).toThrow(`${join(dir, 'bin')}: looks like a binary file (NUL byte at line 2, offset 4)`);
  });

  it('refuses Latin-1 with the file, line and column', () => {
    const latin1 = file('latin1.csv', Buffer.from('date,name\n2020-01-02,AAPL\xe9\n', 'latin1'));
    expect(() => readTextFile(latin1)).toThrow(`${latin1}: is not valid UTF-8 text at line 2, column 16 (byte 0xE9)`);
  });
});

describe('decodeText and --encoding', () => {
  const latin1 = Buffer.from('café\nnaïve\n', 'latin1');

  it('reads Latin-1, Windows-1252 and UTF-16LE files given their encoding', () => {
    const file = join(dir, 'latin1.txt');
    writeFileSync(file, latin1);
    expect(() => readTextFile(file)).toThrow(/is not valid UTF-8 text at line 1, column 4/);
    expect(readTextFile(file, { encoding: 'latin1' })).toBe('café\nnaïve\n');
    // 0x80 is the euro sign in Windows-1252 and a C1 control in ISO-8859-1.
    expect(decodeText(Uint8Array.from([0x80, 0x41]), 'x', 'windows-1252')).toBe('€A');
    expect(decodeText(Uint8Array.from([0x80, 0x41]), 'x', 'latin1')).toBe('\u0080A');
    const utf16 = join(dir, 'utf16.txt');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo 𝄞\n', 'utf16le')]));
    expect(readTextFile(utf16, { encoding: 'utf-16le' })).toBe('héllo 𝄞\n');
    expect(() => readTextFile(utf16)).toThrow(/looks like a binary file \(NUL byte/);
  });

  it('refuses bytes that are not text in the given encoding, naming the source, line and byte offset', () => {
    expect(() => decodeText(Buffer.from('ok\nbad \x81 byte', 'latin1'), 'f.txt', 'windows-1252'))
      .toThrow(/^f\.txt: is not valid windows-1252 text at line 2, byte offset 7 \(byte 0x81 is undefined in Windows-1252\)/);
    expect(() => decodeText(Buffer.from('abc', 'utf16le').subarray(0, 5), 'g.txt', 'utf-16le'))
      .toThrow(/^g\.txt: is not valid utf-16le text at line 1, byte offset 4 \(an odd number of bytes\)/);
    const lone = Buffer.concat([Buffer.from('a\nb', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('c', 'utf16le')]);
    expect(() => decodeText(lone, 'h.txt', 'utf-16le')).toThrow(/^h\.txt: is not valid utf-16le text at line 2, byte offset 6 \(a lone surrogate\)/);
    expect(() => readTextFile(join(dir, 'latin1.txt'), { encoding: 'ebcdic' as never })).toThrow(/unknown encoding "ebcdic"/);
  });

  it('reads GBK (as GB18030) and refuses malformed or unmapped sequences naming the line and byte offset', () => {
    // "酒店很好，早餐不错。\n房间太小€" in GBK (€ as its one-byte 0x80), then a four-byte GB18030 sequence (U+20000).
    const gbk = Uint8Array.from([
      190, 198, 181, 234, 186, 220, 186, 195, 163, 172, 212, 231, 178, 205, 178, 187, 180, 237, 161, 163, 10,
      183, 191, 188, 228, 204, 171, 208, 161, 0x80, 0x95, 0x32, 0x82, 0x36,
    ]);
    expect(decodeText(gbk, 'r.csv', 'gbk')).toBe('酒店很好，早餐不错。\n房间太小€𠀀');
    const file = join(dir, 'gbk.csv');
    writeFileSync(file, gbk);
    expect(() => readTextFile(file)).toThrow(/is not valid UTF-8 text at line 1, column 1/);
    expect(readTextFile(file, { encoding: 'gbk' })).toBe('酒店很好，早餐不错。\n房间太小€𠀀');
    // Node's own decoder, even fatal, turns "你" + 0xFF into "你" without a word: the check before it refuses.
    expect(() => decodeText(Uint8Array.from([0xc4, 0xe3, 0xff]), 'a.csv', 'gbk'))
      .toThrow(/^a\.csv: is not valid gbk text at line 1, byte offset 2 \(byte 0xFF is not used in GBK\)/);
    expect(() => decodeText(Uint8Array.from([0x41, 0x0a, 0x42, 0xc4]), 'b.csv', 'gbk'))
      .toThrow(/^b\.csv: is not valid gbk text at line 2, byte offset 3 \(lead byte 0xC4 without its second byte\)/);
    expect(() => decodeText(Uint8Array.from([0x41, 0x0a, 0x81, 0x30, 0x41, 0x30]), 'c.csv', 'gbk'))
      .toThrow(/^c\.csv: is not valid gbk text at line 2, byte offset 2 \(lead byte 0x81 without its second byte\)/);
    // Well formed but no character: a four-byte sequence past the last one GB18030 assigns (0x84 0x31 0xA4 0x39).
    expect(() => decodeText(Uint8Array.from([0x41, 0x0a, 0x42, 0x0a, 0xfe, 0x39, 0xfe, 0x39]), 'd.csv', 'gbk'))
      .toThrow(/^d\.csv: is not valid gbk text at line 3, byte offset 4 \(a two- or four-byte sequence with no character\)/);
    expect(parseTextEncoding('GB18030')).toBe('gbk');
    expect(parseTextEncoding('cp936')).toBe('gbk');
  });

  it('parses --encoding values and their common aliases', () => {
    expect(parseTextEncoding(undefined)).toBe('utf-8');
    expect(parseTextEncoding('UTF8')).toBe('utf-8');
    expect(parseTextEncoding('cp1252')).toBe('windows-1252');
    expect(parseTextEncoding('ISO-8859-1')).toBe('latin1');
    expect(() => parseTextEncoding('koi8-r')).toThrow(/^--encoding: "koi8-r" is not a supported encoding/);
  });

  it('printable drops terminal control characters but keeps tabs, newlines and other text', () => {
    expect(printable('a\u001b[2Jb\rc\u0007\u009bd\te\nf é €')).toBe('a[2Jbcd\te\nf é €');
  });
});
