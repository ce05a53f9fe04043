import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
// natural is a devDependency now: only this test imports it, to prove core's own tokenizers split text the same way.
import tokenizers from 'natural/lib/natural/tokenizers/index.js';
import { treebankTokenize, wordTokenize } from '../src/data/tokenize.js';

/**
 * Core's tokenizers are dependency-free (they must bundle for a browser); they replaced natural's RegexpTokenizer
 * (with core's pattern) and TreebankWordTokenizer, and must give the very same tokens, or models trained before the
 * switch would see different token ids. Checked on real text from the shared datasets: news articles and headlines,
 * chatbot dialogs, Shakespeare, movie reviews, English-Chinese sentence pairs and Chinese hotel reviews.
 */

const dataDir = process.env.RNNKIT_DATA_DIR;
if (!dataDir) throw new Error('RNNKIT_DATA_DIR is not set: point it at the shared datasets folder (e.g. /work/shared/datasets)');

const wordPattern = /\p{N}+(?:[.,]\p{N}+)*|[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}]+)?|[^\s\p{L}\p{M}\p{N}_]/gu;
const naturalWords = new tokenizers.RegexpTokenizer({ pattern: wordPattern, gaps: false });
const naturalTreebank = new tokenizers.TreebankWordTokenizer();

function read(rel: string, encoding = 'utf-8'): string {
  const file = path.join(dataDir!, rel);
  let bytes: Uint8Array = fs.readFileSync(file);
  if (file.endsWith('.gz')) bytes = gunzipSync(bytes);
  return new TextDecoder(encoding).decode(bytes);
}

/** `count` non-empty lines spread evenly over `text` (the first `maxChars` of each). */
function spread(text: string, count: number, maxChars = 4000): string[] {
  const lines = text.split('\n').filter((l) => l.trim().length > 0);
  const step = Math.max(1, Math.floor(lines.length / count));
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < count; i += step) out.push(lines[i].slice(0, maxChars));
  return out;
}

const english = path.join('dialogs', 'chatterbot', 'english');
const samples: Record<string, string[]> = {
  // The summarize app's data: CSV lines of articles, summaries and headlines (cp1252, with literal '?' for quotes).
  news: spread(read(path.join('summarization', 'news_summary.csv.gz'), 'windows-1252'), 300),
  // The chatbot's data: YAML lines of questions and answers.
  dialogs: fs.readdirSync(path.join(dataDir, english)).filter((f) => f.endsWith('.yml')).sort()
    .flatMap((f) => spread(read(path.join(english, f)), 25)),
  shakespeare: spread(read(path.join('tinyshakespeare', 'input.txt')), 200),
  sst2: spread(read(path.join('sentiment', 'sst2', 'train.tsv')), 200),
  tatoeba: spread(read(path.join('translation', 'cmn.txt.gz')), 200),
  chnsenticorp: spread(read(path.join('sentiment', 'chnsenticorp-htl', 'ChnSentiCorp_htl_all.csv')), 100),
};
// Multi-line chunks: the Treebank rule for a period before a newline only shows there.
samples.chunks = Object.values(samples).flatMap((lines) => {
  const out: string[] = [];
  for (let i = 0; i + 4 <= lines.length; i += 20) out.push(lines.slice(i, i + 4).join('\n'));
  return out;
});

describe("core's tokenizers give natural's tokens on real text", () => {
  it('has a few hundred texts from each source', () => {
    for (const [name, texts] of Object.entries(samples)) {
      expect(texts.length, name).toBeGreaterThanOrEqual(name === 'chunks' ? 50 : 100);
    }
  });

  for (const [name, texts] of Object.entries(samples)) {
    it(`${name}: wordTokenize and treebankTokenize, as written and lowercased`, () => {
      let tokens = 0;
      for (const text of texts) {
        for (const lowercase of [false, true]) {
          const input = lowercase ? text.toLowerCase() : text;
          const words = wordTokenize(text, { lowercase });
          expect(words, JSON.stringify(text)).toEqual(naturalWords.tokenize(input) ?? []);
          const treebank = treebankTokenize(text, { lowercase });
          expect(treebank, JSON.stringify(text)).toEqual(naturalTreebank.tokenize(input).filter((t: string) => t.length > 0));
          tokens += words.length + treebank.length;
        }
      }
      console.log(`${name}: ${texts.length} texts, ${tokens} tokens, identical`);
    });
  }
});
