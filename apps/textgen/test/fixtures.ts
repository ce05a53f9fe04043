import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory for one test file's fixtures. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'textgen-test-'));
}

/** Writes `content` to `name` inside `dir` and returns the path. */
export function writeFixture(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A small repetitive text (a few hundred chars) that a tiny model can learn something from. */
export const TINY_TEXT = 'to be or not to be, that is the question.\n'.repeat(12);
