import { statSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { RnnkitError, decodeUtf8, resolveDataPath } from '@rnnkit/core';

/**
 * Reading Tatoeba's English–Chinese pairs as manythings.org ships them (`cmn.txt`, here gzipped): one pair per line,
 * `English<TAB>Chinese<TAB>attribution`. Lines without exactly three fields are skipped and counted (the shared copy
 * has two, where a tab became spaces), and the first few line numbers are reported so the damage can be found.
 */

export interface TatoebaPair {
  en: string;
  zh: string;
  /** The CC-BY attribution column (Tatoeba sentence ids and authors); the license requires keeping it. */
  attribution: string;
  /** 1-based line in the file. */
  line: number;
}

export interface ParsedCorpus {
  pairs: TatoebaPair[];
  /** Non-empty lines that were not a pair. */
  skipped: number;
  /** The first (at most MAX_REPORTED) skipped line numbers. */
  skippedLines: number[];
}

export const MAX_REPORTED = 5;
/** The shared file is 1.3 MB gzipped, 4.2 MB as text; anything far larger is not this corpus. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_TEXT_BYTES = 256 * 1024 * 1024;
/** The corpus's sentences are under 300 characters; a longer field means a broken line, not a sentence. */
const MAX_FIELD_CHARS = 1000;
export const DEFAULT_DATA_PATH = 'translation/cmn.txt.gz';

export function parseTatoeba(text: string, source: string): ParsedCorpus {
  const pairs: TatoebaPair[] = [];
  const skippedLines: number[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const fields = line.split('\t');
    const [en, zh, attribution] = fields.map((f) => f.trim());
    if (fields.length !== 3 || !en || !zh || en.length > MAX_FIELD_CHARS || zh.length > MAX_FIELD_CHARS) {
      skipped++;
      if (skippedLines.length < MAX_REPORTED) skippedLines.push(i + 1);
      return;
    }
    pairs.push({ en, zh, attribution, line: i + 1 });
  });
  if (pairs.length === 0) {
    throw new RnnkitError(`${source}: no English<TAB>Chinese<TAB>attribution lines (${skipped} line(s) of another shape)`);
  }
  return { pairs, skipped, skippedLines };
}

/** "skipped 2 line(s) without exactly 3 tab-separated fields: 29, 31" (or '' when none was skipped). */
export function describeSkipped(c: ParsedCorpus): string {
  if (c.skipped === 0) return '';
  const more = c.skipped > c.skippedLines.length ? ', ...' : '';
  return `skipped ${c.skipped} line(s) without exactly 3 tab-separated fields: line ${c.skippedLines.join(', ')}${more}`;
}

/** Reads a `cmn.txt` file, gzipped (by its magic bytes) or not, with its size bounded before anything is allocated. */
export function readTatoeba(file: string): ParsedCorpus {
  let bytes: Buffer;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new RnnkitError(`${file}: not a regular file, expected cmn.txt or cmn.txt.gz`);
    if (stat.size > MAX_FILE_BYTES) throw new RnnkitError(`${file}: ${stat.size} bytes is more than the ${MAX_FILE_BYTES} a pair file may have`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    throw new RnnkitError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_TEXT_BYTES });
    } catch (err) {
      throw new RnnkitError(`${file}: not a valid gzip file (${(err as Error).message.split('\n')[0]})`);
    }
  }
  if (bytes.includes(0)) throw new RnnkitError(`${file}: looks like a binary file (NUL byte), expected UTF-8 text`);
  return parseTatoeba(decodeUtf8(bytes, file), file);
}

/** --data, else $RNNKIT_DATA_DIR/translation/cmn.txt.gz (nothing is downloaded). */
export async function resolveCorpusPath(flag: string | undefined): Promise<string> {
  return resolveDataPath(flag, DEFAULT_DATA_PATH);
}
