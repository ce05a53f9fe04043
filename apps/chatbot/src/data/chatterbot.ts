import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isScalar, isSeq, isMap, LineCounter, parseDocument, type Node, type Scalar } from 'yaml';
import { readTextFile, RnnkitError, type TextEncoding } from '@rnnkit/core';
import type { Conversation, ReadResult, SkippedEntry } from './conversation.js';

/**
 * Reader for the ChatterBot corpus layout: one YAML file per topic, each holding `conversations:`, a list of
 * conversations, each a list of two or more utterances. Positions come from yaml's own LineCounter so that both
 * syntax errors and structurally wrong entries are reported as `file:line`.
 *
 * Syntax errors and a missing `conversations` list are fatal (nothing in the file can be trusted). A single
 * conversation of the wrong shape is skipped and reported instead: the published corpus itself has one
 * (english/trivia.yml, a question whose leading "- " was lost), and one typo should not make a corpus unusable.
 */

/** Parses one ChatterBot YAML text. `file` is used only for messages and provenance. */
export function parseChatterbotYaml(text: string, file: string): ReadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = err.linePos?.[0].line ?? 1;
    const col = err.linePos?.[0].col ?? 1;
    const firstLine = err.message.split('\n')[0];
    throw new RnnkitError(`${file}:${line}:${col}: malformed YAML: ${firstLine}`);
  }
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;

  const root = doc.contents;
  if (!isMap(root)) throw new RnnkitError(`${file}:${lineOf(root)}: expected a mapping with a "conversations" key`);
  const convs = root.get('conversations', true) as Node | undefined;
  if (!isSeq(convs)) {
    throw new RnnkitError(`${file}:${lineOf(convs ?? root)}: "conversations" must be a list of conversations`);
  }
  const conversations: Conversation[] = [];
  const skipped: SkippedEntry[] = [];
  for (const conv of convs.items as Node[]) {
    const line = lineOf(conv);
    if (!isSeq(conv)) {
      skipped.push({ file, line, reason: 'a conversation must be a list of utterances' });
      continue;
    }
    const items = conv.items as Node[];
    // Numbers and booleans are valid utterances ("42"); maps, lists and empty entries are not.
    const bad = items.find((turn) => !isScalar(turn) || turn.value === null || turn.value === undefined);
    if (bad !== undefined) {
      skipped.push({ file, line: lineOf(bad), reason: 'an utterance must be a single text value' });
      continue;
    }
    if (items.length < 2) {
      skipped.push({ file, line, reason: 'a conversation needs at least 2 utterances' });
      continue;
    }
    const turns = items.map((turn) => {
      const value = (turn as Scalar).value;
      return typeof value === 'string' ? value : ((turn as Scalar).source ?? String(value));
    });
    conversations.push({ turns, file, line });
  }
  return { conversations, skipped };
}

/** The `*.yml`/`*.yaml` files of a ChatterBot folder, sorted by name (so the order is reproducible). */
export function chatterbotFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    throw new RnnkitError(`${dir}: cannot read the ChatterBot corpus folder (${(err as Error).message})`);
  }
  if (names.length === 0) throw new RnnkitError(`${dir}: no .yml files found (expected the ChatterBot corpus layout)`);
  return names.map((name) => join(dir, name));
}

/** Reads every file of chatterbotFiles(dir), in that order. */
export function readChatterbotDir(dir: string, encoding: TextEncoding = 'utf-8'): ReadResult {
  const result: ReadResult = { conversations: [], skipped: [] };
  for (const file of chatterbotFiles(dir)) {
    // Strictly (core's reader): a Latin-1 file read as UTF-8 would otherwise train on U+FFFD tokens.
    const one = parseChatterbotYaml(readTextFile(file, { encoding }), file);
    result.conversations.push(...one.conversations);
    result.skipped.push(...one.skipped);
  }
  return result;
}
