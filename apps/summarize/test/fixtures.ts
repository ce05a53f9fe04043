import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

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
