import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Example } from '../src/index.js';

/** Writes `content` (string as UTF-8, or raw bytes) to a fresh temp dir; gzips it when the name ends in .gz. */
export function writeFixture(name: string, content: string | Uint8Array): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rnnkit-summarize-')), name);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  writeFileSync(file, name.endsWith('.gz') ? gzipSync(bytes) : bytes);
  return file;
}

/** Encodes a string as Windows-1252 / Latin-1 bytes (only code points < 256, which is all the tests use). */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => {
    const c = ch.charCodeAt(0);
    if (c > 255) throw new Error(`not Latin-1: ${ch}`);
    return c;
  });
}

/** A copy task no generator can solve: the target is the source's first word, a name never in the vocabulary. */
export function copyTask(count: number, offset: number): Example[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `name${offset + i}`;
    return { source: '', target: '', line: i + 2, srcTokens: [name, 'said', 'hello', 'to', 'all'], tgtTokens: [name, 'spoke'] };
  });
}
