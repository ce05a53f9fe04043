/**
 * Reading text input strictly. Node's `readFileSync(file, 'utf8')` and a non-fatal TextDecoder turn every byte that
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

export interface ReadTextOptions {
  /** Refuse files larger than this many bytes (checked before reading). */
  maxBytes?: number;
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
 * holds: the cheapest sure sign of a binary file or of UTF-16), and valid UTF-8. Every refusal is one line naming
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
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    // The position is only meaningful up to the NUL when what precedes it is text.
    const at = findInvalidUtf8(bytes.subarray(0, nul)) === undefined ? `line ${positionOf(bytes, nul).line}, ` : '';
    throw new RnnkitError(`${file}: looks like a binary file (NUL byte at ${at}offset ${nul}), expected UTF-8 text`);
  }
  return decodeUtf8(bytes, file);
}
