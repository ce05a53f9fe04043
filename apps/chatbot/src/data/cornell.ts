import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RnnkitError } from '@rnnkit/core';
import type { Conversation, ReadResult } from './conversation.js';

/**
 * Reader for the Cornell Movie-Dialogs Corpus: `movie_lines.txt` (lineID, characterID, movieID, character name,
 * text) and `movie_conversations.txt` (two character IDs, movieID, and a Python-style list of line IDs), fields
 * separated by ` +++$+++ `. The files are ISO-8859-1, so they are decoded as latin1 rather than UTF-8 (which would
 * turn every accented byte into U+FFFD).
 */

const SEPARATOR = ' +++$+++ ';

function readLatin1Lines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file).toString('latin1');
  } catch (err) {
    throw new RnnkitError(`${file}: cannot read (${(err as Error).message})`);
  }
  return text.split(/\r?\n/);
}

/** Parses `movie_lines.txt` into lineID → text. */
export function readCornellLines(file: string): Map<string, string> {
  const byId = new Map<string, string>();
  readLatin1Lines(file).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fields = raw.split(SEPARATOR);
    // The text itself may be empty but the separator before it is always there: 5 fields.
    if (fields.length < 5) {
      throw new RnnkitError(`${file}:${i + 1}: expected 5 fields separated by "${SEPARATOR.trim()}", got ${fields.length}`);
    }
    byId.set(fields[0].trim(), fields.slice(4).join(SEPARATOR).trim());
  });
  return byId;
}

/** Reads a folder holding both Cornell files; conversations keep the line number in movie_conversations.txt. */
export function readCornellDir(dir: string): ReadResult {
  const lines = readCornellLines(join(dir, 'movie_lines.txt'));
  const file = join(dir, 'movie_conversations.txt');
  const result: ReadResult = { conversations: [], skipped: [] };
  readLatin1Lines(file).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    const fields = raw.split(SEPARATOR);
    if (fields.length !== 4) {
      throw new RnnkitError(`${file}:${line}: expected 4 fields separated by "${SEPARATOR.trim()}", got ${fields.length}`);
    }
    const list = fields[3].trim();
    if (!/^\[.*\]$/.test(list)) throw new RnnkitError(`${file}:${line}: expected a list of line IDs like ['L1', 'L2']`);
    const ids = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const missing = ids.find((id) => !lines.has(id));
    if (missing !== undefined) {
      throw new RnnkitError(`${file}:${line}: line ID ${missing} is not in movie_lines.txt`);
    }
    const turns = ids.map((id) => lines.get(id) as string);
    if (turns.length < 2) {
      result.skipped.push({ file, line, reason: 'a conversation needs at least 2 utterances' });
      return;
    }
    const conv: Conversation = { turns, file, line };
    result.conversations.push(conv);
  });
  return result;
}
