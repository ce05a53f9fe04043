/**
 * Reading text input strictly (UTF-8 unless an `--encoding` says otherwise). Node's `readFileSync(file, 'utf8')` and a non-fatal TextDecoder turn every byte that
 * is not UTF-8 into U+FFFD, so a Latin-1 file trains on "\ufffd" tokens or names a ticker "AAPL\ufffd" and the run
 * exits 0. Every text reader of the apps (corpora, CSV, YAML, prediction inputs) goes through these instead: the
 * first bad byte stops the command with one line naming the file, line and column.
 */
import { isUtf8 } from 'node:buffer';
import * as fs from 'node:fs';
import { RnnkitError } from '../errors.js';

/** Where a byte string stops being what a text reader accepts. */
export interface TextPosition {
  /** 0-based byte offset. */
  offset: number;
  /** 1-based line (lines end at "\n"). */
  line: number;
  /** 1-based column, in characters, of the offending byte on its line. */
  column: number;
}

/** The position of byte `offset`; the bytes before it must be valid UTF-8 (columns count characters, not bytes). */
function positionOf(bytes: Uint8Array, offset: number): TextPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  // Continuation bytes (10xxxxxx) do not start a character.
  for (let i = lineStart; i < offset; i++) if ((bytes[i] & 0xc0) !== 0x80) column++;
  return { offset, line, column };
}

/** Length of the well-formed UTF-8 sequence starting at `i` (Unicode's table of well-formed sequences), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  // E0 and F0 exclude overlong forms, ED the UTF-16 surrogates, F4 code points above U+10FFFF.
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Where the first byte sequence that is not UTF-8 starts, or undefined when all of `bytes` is valid UTF-8. */
export function findInvalidUtf8(bytes: Uint8Array): TextPosition | undefined {
  // The native check is the common path; the scan below only runs to locate the error.
  if (isUtf8(bytes)) return undefined;
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return positionOf(bytes, i);
    i += n;
  }
  return undefined;
}

/**
 * Decodes UTF-8 (a leading byte order mark is dropped), refusing bytes that are not UTF-8 with one line:
 * `<source>: is not valid UTF-8 text at line L, column C (byte 0xE9)`. `source` names the file, or e.g. "stdin".
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  const bad = findInvalidUtf8(bytes);
  if (bad) {
    const byte = bytes[bad.offset].toString(16).toUpperCase().padStart(2, '0');
    throw new RnnkitError(
      `${source}: is not valid UTF-8 text at line ${bad.line}, column ${bad.column} (byte 0x${byte}); convert it to UTF-8 first`,
    );
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** The encodings a text input may be read in (`--encoding`); UTF-8 is the default everywhere. */
export const TEXT_ENCODINGS = ['utf-8', 'latin1', 'windows-1252', 'utf-16le', 'gbk'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

/** Bytes that Windows-1252 leaves undefined (WHATWG's decoder would pass them through as C1 controls). */
const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/**
 * Windows-1252's characters for bytes 0x80..0x9F (0 where undefined); every other byte is its Latin-1 code point.
 * Written out because Node's TextDecoder('windows-1252') decodes as ISO-8859-1 (0x80 becomes U+0080, not "€").
 */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/** Windows-1252 bytes as text (undefined bytes must have been refused or be acceptable as their C1 code point). */
export function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const codes = Array.from(bytes.subarray(start, start + CHUNK), (b) => (b >= 0x80 && b <= 0x9f && CP1252_HIGH[b - 0x80] !== 0 ? CP1252_HIGH[b - 0x80] : b));
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

/** Line (1-based) of byte `offset` in a single-byte encoding or UTF-8: newlines are byte 0x0A in both. */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Where UTF-16LE `bytes` stop being valid (an odd length, a lone surrogate), or undefined. */
function findInvalidUtf16le(bytes: Uint8Array): { offset: number; line: number } | undefined {
  let line = 1;
  const units = Math.floor(bytes.length / 2);
  for (let u = 0; u < units; u++) {
    const unit = bytes[2 * u] | (bytes[2 * u + 1] << 8);
    if (unit === 0x0a) line++;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = u + 1 < units ? bytes[2 * u + 2] | (bytes[2 * u + 3] << 8) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) u++;
      else return { offset: 2 * u, line };
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return { offset: 2 * u, line };
    }
  }
  return bytes.length % 2 === 1 ? { offset: bytes.length - 1, line } : undefined;
}

/**
 * Where GBK / GB18030 `bytes` stop being well formed, or undefined: a byte 0xFF, or a lead byte (0x81..0xFE) not
 * followed by a trail byte (0x40..0x7E, 0x80..0xFE) or by a four-byte sequence's digit / lead / digit. Checked before
 * decoding because Node's decoder, even when told to be fatal, drops some malformed bytes (a 0xFF after a character)
 * without a word.
 */
function findInvalidGbk(bytes: Uint8Array): { offset: number; line: number; what: string } | undefined {
  const digit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
  const lead = (b: number | undefined) => b !== undefined && b >= 0x81 && b <= 0xfe;
  let line = 1;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b === 0x0a) line++;
    if (b <= 0x80) {
      i++;
    } else if (b === 0xff) {
      return { offset: i, line, what: 'byte 0xFF is not used in GBK' };
    } else {
      const next = bytes[i + 1];
      if (next !== undefined && ((next >= 0x40 && next <= 0x7e) || (next >= 0x80 && next <= 0xfe))) {
        i += 2;
      } else if (digit(next) && lead(bytes[i + 2]) && digit(bytes[i + 3])) {
        i += 4;
      } else {
        return { offset: i, line, what: `lead byte 0x${b.toString(16).toUpperCase()} without its second byte` };
      }
    }
  }
  return undefined;
}

/**
 * Decodes `bytes` in `encoding`, strictly: bytes that are not text in that encoding stop with one line naming
 * `source`, the byte offset and the line. A leading byte order mark is dropped. UTF-8 is `decodeUtf8`. Latin-1
 * (ISO-8859-1) maps every byte to U+0000..U+00FF; Windows-1252 refuses its five undefined bytes; UTF-16LE refuses an
 * odd length and lone surrogates; GBK (Chinese text from Windows and older Chinese datasets; decoded as its superset
 * GB18030) refuses malformed byte sequences and sequences that are no character.
 */
export function decodeText(bytes: Uint8Array, source: string, encoding: TextEncoding = 'utf-8'): string {
  const refuse = (offset: number, line: number, what: string): never => {
    throw new RnnkitError(`${source}: is not valid ${encoding} text at line ${line}, byte offset ${offset} (${what}); check --encoding`);
  };
  let text: string;
  switch (encoding) {
    case 'utf-8':
      return decodeUtf8(bytes, source);
    case 'latin1':
      // TextDecoder's 'latin1' label is Windows-1252 (WHATWG); ISO-8859-1 is the identity on bytes.
      text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
      break;
    case 'windows-1252': {
      const bad = bytes.findIndex((b) => CP1252_UNDEFINED.has(b));
      if (bad !== -1) refuse(bad, lineOfByte(bytes, bad), `byte 0x${bytes[bad].toString(16).toUpperCase()} is undefined in Windows-1252`);
      text = decodeWindows1252(bytes);
      break;
    }
    case 'utf-16le': {
      const bad = findInvalidUtf16le(bytes);
      if (bad) refuse(bad.offset, bad.line, bad.offset === bytes.length - 1 && bytes.length % 2 === 1 ? 'an odd number of bytes' : 'a lone surrogate');
      text = new TextDecoder('utf-16le').decode(bytes);
      break;
    }
    case 'gbk': {
      const bad = findInvalidGbk(bytes);
      if (bad) refuse(bad.offset, bad.line, bad.what);
      // GB18030 is the superset WHATWG decodes every GBK label with (0x80 is the euro sign, four-byte sequences reach
      // the rest of Unicode). Newline bytes never occur inside a character, so a failing line can be named.
      const decoder = new TextDecoder('gb18030', { fatal: true });
      try {
        text = decoder.decode(bytes);
      } catch {
        let start = 0;
        let line = 1;
        for (;;) {
          const end = bytes.indexOf(0x0a, start);
          const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
          try {
            decoder.decode(slice);
          } catch {
            return refuse(start, line, 'a two- or four-byte sequence with no character');
          }
          if (end === -1) return refuse(0, 1, 'a sequence with no character');
          start = end + 1;
          line++;
        }
      }
      break;
    }
    default:
      throw new RnnkitError(`${source}: unknown encoding "${String(encoding)}" (expected one of ${TEXT_ENCODINGS.join(', ')})`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The value of an `--encoding` flag, checked (one line naming the flag when it is not one of TEXT_ENCODINGS). */
export function parseTextEncoding(value: unknown, flag = '--encoding'): TextEncoding {
  if (value === undefined) return 'utf-8';
  const v = String(value).toLowerCase();
  const alias: Record<string, TextEncoding> = {
    utf8: 'utf-8', 'iso-8859-1': 'latin1', cp1252: 'windows-1252', 'utf16le': 'utf-16le', gb18030: 'gbk', gb2312: 'gbk', cp936: 'gbk',
  };
  const found = (TEXT_ENCODINGS as readonly string[]).includes(v) ? (v as TextEncoding) : alias[v];
  if (!found) throw new RnnkitError(`${flag}: "${String(value)}" is not a supported encoding (expected one of ${TEXT_ENCODINGS.join(', ')})`);
  return found;
}

/**
 * Refuses bytes holding a NUL (which text in a single-byte encoding or UTF-8 never holds: the cheapest sure sign
 * of a binary file, or of UTF-16 read as something else) with one line naming `source` and where.
 */
export function refuseBinary(bytes: Uint8Array, source: string, expected = 'text'): void {
  const nul = bytes.indexOf(0);
  if (nul === -1) return;
  // The line is only meaningful up to the NUL when what precedes it is text.
  const at = findInvalidUtf8(bytes.subarray(0, nul)) === undefined ? `line ${positionOf(bytes, nul).line}, ` : '';
  throw new RnnkitError(`${source}: looks like a binary file (NUL byte at ${at}offset ${nul}), expected ${expected}`);
}

export interface ReadTextOptions {
  /** Refuse files larger than this many bytes (checked before reading). */
  maxBytes?: number;
  /** Default 'utf-8'. */
  encoding?: TextEncoding;
}

function readError(file: string, err: unknown): RnnkitError {
  const code = (err as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory, expected a text file',
    ENOTDIR: 'a parent of it is not a directory',
  };
  return new RnnkitError(`${file}: ${code && why[code] ? why[code] : `cannot read (${code ?? (err as Error).message})`}`);
}

/**
 * Reads a text file strictly: a regular file (or a pipe), under `maxBytes`, without NUL bytes (which text never
 * holds: the cheapest sure sign of a binary file or of UTF-16; not checked for UTF-16), and valid in `encoding`. Every refusal is one line naming
 * the file; decoding problems also name the line and column.
 */
export function readTextFile(file: string, opts: ReadTextOptions = {}): string {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new RnnkitError(`${file}: is a directory, expected a text file`);
    // A device such as /dev/zero would be read forever; a pipe (e.g. a shell's <(...)) ends when its writer does.
    if (!stat.isFile() && !stat.isFIFO()) throw new RnnkitError(`${file}: not a regular file, expected a text file`);
    if (opts.maxBytes !== undefined && stat.size > opts.maxBytes) {
      throw new RnnkitError(`${file}: ${stat.size} bytes is more than the ${opts.maxBytes} this input may have`);
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    throw readError(file, err);
  }
  const encoding = opts.encoding ?? 'utf-8';
  if (encoding !== 'utf-16le') refuseBinary(bytes, file, `${encoding === 'utf-8' ? 'UTF-8' : encoding} text`);
  return decodeText(bytes, file, encoding);
}

/**
 * C0 controls except tab and newline, DEL, and C1 controls: characters a terminal acts on instead of showing (ESC
 * starts sequences that clear the screen, move the cursor or retitle the window; CR overwrites the line).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text without terminal control characters, for writing model output or echoed input to a terminal: generated text
 * is made of tokens from a training corpus anyone may have written, so a CLI never prints it raw.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARS, '');
}
