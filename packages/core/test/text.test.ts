import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUtf8, findInvalidUtf8, readTextFile } from '../src/index.js';

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
