import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, fetchCached, RnnkitError } from '@rnnkit/core';
import { parseChatterbotYaml, readChatterbotDir } from './chatterbot.js';
import type { ReadResult } from './conversation.js';
import { readCornellDir } from './cornell.js';
import type { Lang } from './pairs.js';

/**
 * Finds and reads the dialog corpus: --data (a ChatterBot folder or .yml file, or a folder holding the Cornell
 * files), else $RNNKIT_DATA_DIR/dialogs/chatterbot/<language>, else the cache, else a download of the ChatterBot
 * files from GitHub at the commit the shared copy was taken from.
 */

const CORPUS_COMMIT = 'a01efece26661309b870af0251d96f94ee09fb19';
const CORPUS_URL = `https://raw.githubusercontent.com/gunthercox/chatterbot-corpus/${CORPUS_COMMIT}/chatterbot_corpus/data`;

const CORPUS_FILES: Record<Lang, { folder: string; names: string[] }> = {
  en: {
    folder: 'english',
    names: ['ai', 'botprofile', 'coding', 'computers', 'conversations', 'emotion', 'food', 'gossip', 'greetings', 'health',
      'history', 'humor', 'literature', 'money', 'movies', 'politics', 'psychology', 'science', 'sports', 'tech_support', 'trivia'],
  },
  zh: {
    folder: 'chinese',
    names: ['ai', 'botprofile', 'conversations', 'emotion', 'food', 'gossip', 'greetings', 'history', 'humor', 'literature',
      'money', 'movies', 'politics', 'psychology', 'science', 'sports', 'trivia'],
  },
};

export interface LoadedCorpus extends ReadResult {
  /** Where the conversations came from, for logs. */
  source: string;
  format: 'chatterbot' | 'cornell';
}

/** Reads a path given with --data: a Cornell folder, a ChatterBot folder, or one ChatterBot .yml file. */
export function readCorpusPath(path: string): LoadedCorpus {
  if (!existsSync(path)) throw new RnnkitError(`--data ${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'movie_conversations.txt')) || existsSync(join(path, 'movie_lines.txt'))) {
      return { ...readCornellDir(path), source: path, format: 'cornell' };
    }
    return { ...readChatterbotDir(path), source: path, format: 'chatterbot' };
  }
  return { ...parseChatterbotYaml(readFileSync(path, 'utf8'), path), source: path, format: 'chatterbot' };
}

export async function loadCorpus(dataFlag: string | undefined, lang: Lang): Promise<LoadedCorpus> {
  if (dataFlag !== undefined && dataFlag !== '') return readCorpusPath(dataFlag);
  const { folder, names } = CORPUS_FILES[lang];
  const relative = join('dialogs', 'chatterbot', folder);
  const tried: string[] = [];
  const dataDir = process.env.RNNKIT_DATA_DIR;
  if (dataDir) {
    const dir = join(dataDir, relative);
    if (existsSync(dir)) return readCorpusPath(dir);
    tried.push(`$RNNKIT_DATA_DIR/${relative} (${dir}): not found`);
  } else {
    tried.push('$RNNKIT_DATA_DIR: not set');
  }
  const cached = join(cacheDir(), relative);
  try {
    // fetchCached returns at once for files already in the cache, so this also serves a complete cache offline.
    for (const name of names) {
      await fetchCached(`${CORPUS_URL}/${folder}/${name}.yml`, join(cached, `${name}.yml`), { timeoutMs: 20_000 });
    }
  } catch (err) {
    tried.push(`cache ${cached} + download from ${CORPUS_URL}/${folder}: ${(err as Error).message}`);
    throw new RnnkitError(
      `could not find the ChatterBot corpus (${folder}). Looked in:\n  - --data flag: not given\n` +
        tried.map((t) => `  - ${t}`).join('\n') +
        '\nPass --data PATH or set RNNKIT_DATA_DIR.',
    );
  }
  return readCorpusPath(cached);
}
