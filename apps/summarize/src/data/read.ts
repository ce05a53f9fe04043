import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { decodeText as decodeStrict, decodeUtf8, decodeWindows1252, findInvalidUtf8, refuseBinary, RnnkitError, type TextEncoding } from '@rnnkit/core';

/**
 * Reading (source, summary) pairs from disk: the Inshorts news CSV or a user's CSV / JSONL, plain or gzipped.
 * Every pair remembers the line it started on, so later errors and skipped-row reports can point at it.
 */

export interface RawPair {
  source: string;
  target: string;
  /** 1-based line of the file where the record starts. */
  line: number;
}

export interface ReadReport {
  file: string;
  /** 'utf-8', or 'windows-1252' when the bytes are not valid UTF-8 (the Inshorts file is cp1252); or --encoding's. */
  encoding: TextEncoding;
  format: 'csv' | 'jsonl';
  records: number;
  /** Records skipped because a field was empty, per column name. */
  skippedEmpty: Record<string, number>;
}

export interface ReadOptions {
  sourceColumn: string;
  targetColumn: string;
  /** --encoding: decode strictly in it. Default: UTF-8 when valid, else Windows-1252 (decodeText). */
  encoding?: TextEncoding;
}

/**
 * Decodes bytes as UTF-8 when they are valid UTF-8, else as Windows-1252 (core's table: Node's TextDecoder would
 * decode it as ISO-8859-1, turning curly quotes into C1 control characters). The Inshorts CSV is cp1252: read as
 * UTF-8 its "é" (byte 0xE9) would turn into U+FFFD. Every byte sequence decodes, so the fallback never fails; with
 * --encoding the bytes are decoded strictly in that encoding instead.
 * Whether the bytes are UTF-8 is core's strict check, the one every app's text readers use; only the documented
 * fallback (README, "Encoding") is summarize's own.
 */
export function decodeText(bytes: Uint8Array, source = 'input', encoding?: TextEncoding): { text: string; encoding: ReadReport['encoding'] } {
  // A binary file (a NUL byte; every byte sequence is cp1252, so the fallback would "decode" it) is refused first.
  if (encoding !== 'utf-16le') refuseBinary(bytes, source, 'a CSV or JSONL text file');
  if (encoding !== undefined) return { text: decodeStrict(bytes, source, encoding), encoding };
  if (findInvalidUtf8(bytes) === undefined) return { text: decodeUtf8(bytes, source), encoding: 'utf-8' };
  return { text: decodeWindows1252(bytes), encoding: 'windows-1252' };
}

function readBytes(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new RnnkitError(`${file}: cannot read: ${(err as Error).message}`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new RnnkitError(`${file}: not a valid gzip file: ${(err as Error).message}`);
    }
  }
  return bytes;
}

/** JSONL when the name says so (.jsonl / .ndjson, optionally .gz), CSV otherwise. */
export function formatOf(file: string): ReadReport['format'] {
  return /\.(jsonl|ndjson)(\.gz)?$/i.test(file) ? 'jsonl' : 'csv';
}

/** Reads (source, target) pairs, skipping (and counting) records whose source or target is empty. */
export function readPairs(file: string, opts: ReadOptions): { pairs: RawPair[]; report: ReadReport } {
  const { text, encoding } = decodeText(readBytes(file), file, opts.encoding);
  const format = formatOf(file);
  const records = format === 'jsonl' ? jsonlRecords(file, text, opts) : csvRecords(file, text, opts);
  const skippedEmpty: Record<string, number> = {};
  const pairs: RawPair[] = [];
  for (const r of records) {
    const empty = [opts.sourceColumn, opts.targetColumn].filter((c, i) => (i === 0 ? r.source : r.target).trim() === '');
    for (const c of empty) skippedEmpty[c] = (skippedEmpty[c] ?? 0) + 1;
    if (empty.length === 0) pairs.push({ source: r.source.trim(), target: r.target.trim(), line: r.line });
  }
  if (pairs.length === 0) {
    throw new RnnkitError(`${file}: no usable (${opts.sourceColumn}, ${opts.targetColumn}) pairs in ${records.length} records`);
  }
  return { pairs, report: { file, encoding, format, records: records.length, skippedEmpty } };
}

function csvRecords(file: string, text: string, opts: ReadOptions): RawPair[] {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(text, { columns: true, info: true, bom: true, skip_empty_lines: true }) as typeof rows;
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new RnnkitError(`${file}${e.lines ? `:${e.lines}` : ''}: invalid CSV: ${e.message}`);
  }
  if (rows.length === 0) throw new RnnkitError(`${file}: the CSV has a header but no records`);
  const columns = Object.keys(rows[0].record);
  for (const c of [opts.sourceColumn, opts.targetColumn]) {
    if (!columns.includes(c)) {
      throw new RnnkitError(`${file}:1: the header has no column "${c}" (it has: ${columns.join(', ')}); ` +
        'pick columns with --source-column / --target-column');
    }
  }
  // csv-parse reports the line where a record ends; a record starts right after the previous one ended.
  let previousEnd = 1;
  return rows.map(({ record, info }) => {
    const line = previousEnd + 1;
    previousEnd = info.lines;
    return { source: record[opts.sourceColumn], target: record[opts.targetColumn], line };
  });
}

function jsonlRecords(file: string, text: string, opts: ReadOptions): RawPair[] {
  const out: RawPair[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new RnnkitError(`${file}:${line}: invalid JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RnnkitError(`${file}:${line}: expected a JSON object with fields "${opts.sourceColumn}" and "${opts.targetColumn}"`);
    }
    const obj = value as Record<string, unknown>;
    const field = (name: string): string => {
      const v = obj[name];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw new RnnkitError(`${file}:${line}: field "${name}" must be a string, got ${typeof v}`);
      return v;
    };
    if (!(opts.sourceColumn in obj) && !(opts.targetColumn in obj)) {
      throw new RnnkitError(`${file}:${line}: no field "${opts.sourceColumn}" or "${opts.targetColumn}" ` +
        `(it has: ${Object.keys(obj).join(', ')}); pick fields with --source-column / --target-column`);
    }
    out.push({ source: field(opts.sourceColumn), target: field(opts.targetColumn), line });
  });
  if (out.length === 0) throw new RnnkitError(`${file}: no JSON records`);
  return out;
}
