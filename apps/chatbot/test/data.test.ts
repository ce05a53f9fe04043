import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseChatterbotYaml, readChatterbotDir } from '../src/data/chatterbot.js';
import { readCornellDir } from '../src/data/cornell.js';
import { buildDataset, DEFAULT_DATA_CONFIG, splitConversations } from '../src/data/dataset.js';
import { loadCorpus, readCorpusPath } from '../src/data/load.js';
import { buildContext, detokenize, makePairs, SEP, tokenizeUtterance } from '../src/data/pairs.js';
import type { Conversation } from '../src/data/conversation.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-'));

const GOOD_YAML = `categories:
- greetings
conversations:
- - Hello
  - Hi there!
- - How are you?
  - Fine, and you?
  - Good.
- - What year was it?
  - 1984
- just a string, not a conversation
`;

describe('ChatterBot YAML reader', () => {
  test('reads conversations with their line numbers and skips a malformed entry with its line', () => {
    const { conversations, skipped } = parseChatterbotYaml(GOOD_YAML, 'greetings.yml');
    expect(conversations.map((c) => c.turns)).toEqual([
      ['Hello', 'Hi there!'],
      ['How are you?', 'Fine, and you?', 'Good.'],
      ['What year was it?', '1984'],
    ]);
    expect(conversations.map((c) => c.line)).toEqual([4, 6, 9]);
    expect(skipped).toEqual([{ file: 'greetings.yml', line: 11, reason: 'a conversation must be a list of utterances' }]);
  });

  test('malformed YAML is an error naming the file and line', () => {
    const broken = 'conversations:\n- - Hello\n  - "unterminated\n- - Hi\n  - [a, b\n';
    expect(() => parseChatterbotYaml(broken, 'bad.yml')).toThrow(/^bad\.yml:\d+:\d+: malformed YAML/);
    const badIndent = 'conversations:\n- - Hello\n   - Hi\n  - : :\n';
    expect(() => parseChatterbotYaml(badIndent, 'indent.yml')).toThrow(/indent\.yml:[34]:/);
  });

  test('a file without a conversations list is an error naming the file', () => {
    expect(() => parseChatterbotYaml('categories:\n- x\n', 'x.yml')).toThrow(/x\.yml:1: "conversations" must be a list/);
  });

  test('a folder reads every .yml file in name order', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'b.yml'), 'conversations:\n- - one\n  - two\n');
    writeFileSync(join(dir, 'a.yml'), 'conversations:\n- - three\n  - four\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const { conversations } = readChatterbotDir(dir);
    expect(conversations.map((c) => c.turns[0])).toEqual(['three', 'one']);
    expect(() => readChatterbotDir(join(dir, 'missing'))).toThrow(/missing: cannot read/);
  });
});

describe('ChatterBot files that are not UTF-8', () => {
  // "ça va" in Latin-1: the 0xE7 byte would be read as U+FFFD and trained on as a token.
  const LATIN1 = Buffer.from('conversations:\n- - Hello\n  - Hi\n- - Bonjour, \xe7a va?\n  - Oui.\n', 'latin1');

  test('one file is refused naming the file, line and column', () => {
    const file = join(tmp(), 'talk.yml');
    writeFileSync(file, LATIN1);
    expect(() => readCorpusPath(file)).toThrow(`${file}: is not valid UTF-8 text at line 4, column 14 (byte 0xE7)`);
  });

  test('a file of a folder is refused the same way', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.yml'), GOOD_YAML);
    writeFileSync(join(dir, 'b.yml'), LATIN1);
    expect(() => readCorpusPath(dir)).toThrow(`${join(dir, 'b.yml')}: is not valid UTF-8 text at line 4`);
  });
});

describe('Cornell Movie-Dialogs reader', () => {
  const SEP3 = ' +++$+++ ';
  const writeCornell = (lines: string[], convs: string[]) => {
    const dir = tmp();
    // ISO-8859-1 bytes: "café" has a single 0xE9 byte, which UTF-8 decoding would turn into U+FFFD.
    writeFileSync(join(dir, 'movie_lines.txt'), Buffer.from(lines.join('\n') + '\n', 'latin1'));
    writeFileSync(join(dir, 'movie_conversations.txt'), Buffer.from(convs.join('\n') + '\n', 'latin1'));
    return dir;
  };
  const LINES = [
    ['L1', 'u0', 'm0', 'BIANCA', 'Can we make this quick?'],
    ['L2', 'u2', 'm0', 'CAMERON', 'Sure, at the café.'],
    ['L3', 'u0', 'm0', 'BIANCA', 'Thanks.'],
    ['L4', 'u2', 'm0', 'CAMERON', ''],
  ].map((f) => f.join(SEP3));

  test('reads latin1 text and orders turns by the conversation list', () => {
    const dir = writeCornell(LINES, [`u0${SEP3}u2${SEP3}m0${SEP3}['L1', 'L2', 'L3']`, `u0${SEP3}u2${SEP3}m0${SEP3}['L3']`]);
    const { conversations, skipped } = readCornellDir(dir);
    expect(conversations).toHaveLength(1);
    expect(conversations[0].turns).toEqual(['Can we make this quick?', 'Sure, at the café.', 'Thanks.']);
    expect(conversations[0].line).toBe(1);
    expect(skipped).toEqual([{ file: join(dir, 'movie_conversations.txt'), line: 2, reason: 'a conversation needs at least 2 utterances' }]);
    // The folder is recognised as Cornell by readCorpusPath (the --data entry point).
    expect(readCorpusPath(dir).format).toBe('cornell');
  });

  test('bad lines are errors naming file and line', () => {
    const short = writeCornell([...LINES, 'L9 +++$+++ u0'], []);
    expect(() => readCornellDir(short)).toThrow(/movie_lines\.txt:5: expected 5 fields/);
    const unknownId = writeCornell(LINES, [`u0${SEP3}u2${SEP3}m0${SEP3}['L1', 'L2']`, `u0${SEP3}u2${SEP3}m0${SEP3}['L1', 'L77']`]);
    expect(() => readCornellDir(unknownId)).toThrow(/movie_conversations\.txt:2: line ID L77 is not in movie_lines\.txt/);
    const notList = writeCornell(LINES, [`u0${SEP3}u2${SEP3}m0${SEP3}L1 L2`]);
    expect(() => readCornellDir(notList)).toThrow(/movie_conversations\.txt:1: expected a list of line IDs/);
  });
});

describe('pairs', () => {
  test('English is lowercased with punctuation split; Chinese is one token per character', () => {
    expect(tokenizeUtterance('Hi, How is it going?', 'en')).toEqual(['hi', ',', 'how', 'is', 'it', 'going', '?']);
    expect(tokenizeUtterance('你好 吗?OK', 'zh')).toEqual(['你', '好', '吗', '?', 'o', 'k']);
    expect(detokenize(['hi', ',', 'how', 'are', 'you', '?'], 'en')).toBe('hi, how are you?');
    expect(detokenize(['你', '好'], 'zh')).toBe('你好');
  });

  test('history joins the last K turns with the separator, dropping the oldest first when too long', () => {
    const turns = [['a', 'b'], ['c'], ['d', 'e', 'f']];
    expect(buildContext(turns, 1, 10)).toEqual(['d', 'e', 'f']);
    expect(buildContext(turns, 3, 10)).toEqual(['a', 'b', SEP, 'c', SEP, 'd', 'e', 'f']);
    expect(buildContext(turns, 3, 6)).toEqual(['c', SEP, 'd', 'e', 'f']);
    expect(buildContext(turns, 3, 2)).toBeNull();
  });

  test('consecutive turns make pairs and every filtered pair is counted', () => {
    const conv = (turns: string[]): Conversation => ({ turns, file: 'f.yml', line: 1 });
    const { pairs, stats } = makePairs(
      [conv(['hello', 'hi there', 'how are you doing today my friend ?', 'fine']), conv(['!', 'ok'])],
      { lang: 'en', history: 2, maxContextLen: 6, maxResponseLen: 4 },
    );
    expect(pairs.map((p) => [p.context.join(' '), p.response.join(' ')])).toEqual([
      ['hello', 'hi there'],
      ['!', 'ok'],
    ]);
    expect(stats).toEqual({ kept: 2, dropped: { emptyUtterance: 0, contextTooLong: 1, responseTooLong: 1 } });
  });
});

describe('dataset', () => {
  const convs: Conversation[] = Array.from({ length: 200 }, (_, i) => ({
    turns: [`question number ${i}`, i % 2 ? 'yes it is' : `no ${i % 3 === 0 ? `rareword${i}` : 'way'}`],
    file: `/data/topic${i % 4}.yml`,
    line: i + 1,
  }));

  test('the split is deterministic, disjoint and about the requested size', () => {
    const [a, b] = splitConversations(convs, 0.2, 7);
    const [a2, b2] = splitConversations(convs, 0.2, 7);
    expect(b2).toEqual(b);
    expect(a.length + b.length).toBe(200);
    expect(b.length).toBeGreaterThan(20);
    expect(b.length).toBeLessThan(60);
    expect(a2.some((c) => b.includes(c))).toBe(false);
    const [, other] = splitConversations(convs, 0.2, 8);
    expect(other).not.toEqual(b);
    // Copies of a conversation (same text, any case, other file) are never split across train and held-out.
    const copies = convs.map((c) => ({ ...c, turns: c.turns.map((t) => t.toUpperCase()), file: 'copy.yml' }));
    const [trainAll, heldAll] = splitConversations([...convs, ...copies], 0.2, 7);
    const key = (c: Conversation) => c.turns.join('|').toLowerCase();
    const heldKeys = new Set(heldAll.map(key));
    expect(heldAll.length).toBe(2 * b.length);
    expect(trainAll.some((c) => heldKeys.has(key(c)))).toBe(false);
  });

  test('vocab from the training split with min count; mostly-unknown responses are dropped and counted', () => {
    const cfg = { ...DEFAULT_DATA_CONFIG, minCount: 2, heldOut: 0.2, maxUnknownRatio: 0.34 };
    const ds = buildDataset(convs, cfg);
    expect(ds.vocab.has(SEP)).toBe(true);
    expect(ds.vocab.has('way')).toBe(true);
    // "rareword<i>" occurs once: out of the vocabulary, so "no rareword<i>" is half unknown and dropped.
    expect([...Array(ds.vocab.size).keys()].some((id) => ds.vocab.tokenOf(id).startsWith('rareword'))).toBe(false);
    const rare = convs.filter((c) => c.turns[1].includes('rareword')).length;
    expect(ds.stats.train.dropped.mostlyUnknownResponse + ds.stats.heldOut.dropped.mostlyUnknownResponse).toBe(rare);
    expect(ds.train.length + ds.heldOut.length).toBe(200 - rare);
    // Contexts keep their unknown words as <unk> ("number" and "question" are frequent, the numbers are not).
    expect(ds.train[0].contextIds).toEqual([ds.vocab.idOf('question'), ds.vocab.idOf('number'), 1]);
    // With a looser ratio the same pairs are kept, with <unk> in the response.
    const loose = buildDataset(convs, { ...cfg, maxUnknownRatio: 0.5 });
    expect(loose.train.length + loose.heldOut.length).toBe(200);
    // Reusing a model's vocabulary gives the same encoding.
    const again = buildDataset(convs, cfg, ds.vocab);
    expect(again.heldOut.map((p) => p.contextIds)).toEqual(ds.heldOut.map((p) => p.contextIds));
  });
});

describe('corpus location', () => {
  test('without --data or RNNKIT_DATA_DIR, a complete cache is used without touching the network', async () => {
    const cache = tmp();
    const dir = join(cache, 'dialogs', 'chatterbot', 'chinese');
    mkdirSync(dir, { recursive: true });
    const names = ['ai', 'botprofile', 'conversations', 'emotion', 'food', 'gossip', 'greetings', 'history', 'humor',
      'literature', 'money', 'movies', 'politics', 'psychology', 'science', 'sports', 'trivia'];
    for (const n of names) writeFileSync(join(dir, `${n}.yml`), `conversations:\n- - ${n}\n  - 好\n`);
    const saved = { data: process.env.RNNKIT_DATA_DIR, cache: process.env.RNNKIT_CACHE_DIR };
    delete process.env.RNNKIT_DATA_DIR;
    process.env.RNNKIT_CACHE_DIR = cache;
    try {
      const corpus = await loadCorpus(undefined, 'zh');
      expect(corpus.source).toBe(dir);
      expect(corpus.conversations).toHaveLength(names.length);
    } finally {
      if (saved.data !== undefined) process.env.RNNKIT_DATA_DIR = saved.data;
      if (saved.cache !== undefined) process.env.RNNKIT_CACHE_DIR = saved.cache;
      else delete process.env.RNNKIT_CACHE_DIR;
    }
  });

  test('--data pointing nowhere is a clear error', async () => {
    await expect(loadCorpus('/nonexistent/chatterbot', 'en')).rejects.toThrow('--data /nonexistent/chatterbot: no such file or directory');
  });
});
