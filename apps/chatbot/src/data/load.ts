import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, fetchCached, readTextFile, resolveDataPath, RnnkitError, type TextEncoding } from '@rnnkit/core';
import { chatterbotFiles, parseChatterbotYaml, readChatterbotDir } from './chatterbot.js';
import type { ReadResult } from './conversation.js';
import { readCornellDir } from './cornell.js';
import type { Lang } from './pairs.js';

/**
 * Finds and reads the dialog corpus: --data (a ChatterBot folder or .yml file, or a folder holding the Cornell
 * files), else $RNNKIT_DATA_DIR/dialogs/chatterbot/<language>, else the cache, else a download of the ChatterBot
 * files from GitHub at the commit the shared copy was taken from. The lookup is core's resolveDataPath; only the
 * download (a folder of files, not one URL) is the app's.
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
  /** The files the conversations were read from, in reading order (their fingerprint guards --resume). */
  files: string[];
}

/**
 * Reads a path given with --data: a Cornell folder, a ChatterBot folder, or one ChatterBot .yml file. `encoding`
 * (--encoding) applies to ChatterBot YAML; the Cornell files are Latin-1 by their documentation.
 */
export function readCorpusPath(path: string, encoding: TextEncoding = 'utf-8'): LoadedCorpus {
  if (!existsSync(path)) throw new RnnkitError(`--data ${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'movie_conversations.txt')) || existsSync(join(path, 'movie_lines.txt'))) {
      const files = [join(path, 'movie_lines.txt'), join(path, 'movie_conversations.txt')];
      return { ...readCornellDir(path), source: path, format: 'cornell', files };
    }
    return { ...readChatterbotDir(path, encoding), source: path, format: 'chatterbot', files: chatterbotFiles(path) };
  }
  // Strictly (core's reader): a Latin-1 file read as UTF-8 would otherwise train on U+FFFD tokens.
  return { ...parseChatterbotYaml(readTextFile(path, { encoding }), path), source: path, format: 'chatterbot', files: [path] };
}

/**
 * The corpus path: core's resolveDataPath (--data, else $RNNKIT_DATA_DIR/dialogs/chatterbot/<language>, else the
 * cache), and when that finds nothing, or only the cache (which an interrupted download may have left incomplete),
 * a download of the missing ChatterBot files into the cache (files already there are not fetched again).
 */
export async function resolveCorpusPath(dataFlag: string | undefined, lang: Lang): Promise<string> {
  const { folder, names } = CORPUS_FILES[lang];
  const relative = join('dialogs', 'chatterbot', folder);
  const cached = join(cacheDir(), relative);
  let notFound: string | undefined;
  try {
    const found = await resolveDataPath(dataFlag, relative);
    if (found !== cached) return found;
  } catch (err) {
    if ((dataFlag !== undefined && dataFlag !== '') || !(err instanceof RnnkitError)) throw err;
    notFound = err.message;
  }
  const source = `${CORPUS_URL}/${folder}`;
  try {
    for (const name of names) {
      await fetchCached(`${source}/${name}.yml`, join(cached, `${name}.yml`), { timeoutMs: 20_000 });
    }
  } catch (err) {
    const reason = `download from ${source}: ${(err as Error).message}`;
    // resolveDataPath lists every place it looked; its last entry is the download it could not try (no single URL).
    if (notFound?.includes(NO_URL)) throw new RnnkitError(notFound.replace(NO_URL, reason));
    throw new RnnkitError(`could not complete the ChatterBot corpus (${folder}) in the cache ${cached}: ${reason}. Pass --data PATH or set RNNKIT_DATA_DIR.`);
  }
  return cached;
}

/** What core's resolveDataPath says about the download step of a dataset without a single URL. */
const NO_URL = 'download: no URL known for this file';

export async function loadCorpus(dataFlag: string | undefined, lang: Lang, encoding: TextEncoding = 'utf-8'): Promise<LoadedCorpus> {
  return readCorpusPath(await resolveCorpusPath(dataFlag, lang), encoding);
}
