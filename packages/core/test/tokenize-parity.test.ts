import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { treebankTokenize, wordTokenize } from '../src/data/tokenize.js';
import { bundle, coreDir, runInWorkerContext, type Bundle } from './fixtures/browser-bundle.js';

/**
 * Core tokenizes with natural (a RegexpTokenizer with core's pattern, and the TreebankWordTokenizer), in Node and in
 * a web page alike: a model trained in Node must see the same token ids when a page tokenizes its input. In a
 * browser bundle natural's files run with underscore's browser build and the `util` polyfill in place of Node's
 * util, so the tokenizers exported by `@rnnkit/core/browser`, bundled by esbuild for the browser and run in a
 * worker-like context (no process, require or Buffer), must give Node's tokens on real text from the shared
 * datasets: news articles and headlines, chatbot dialogs, Shakespeare, movie reviews, English-Chinese sentence pairs
 * and Chinese hotel reviews.
 */

const dataDir = process.env.RNNKIT_DATA_DIR;
if (!dataDir) throw new Error('RNNKIT_DATA_DIR is not set: point it at the shared datasets folder (e.g. /work/shared/datasets)');

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

/** The four tokenizations compared, per text. */
type Tokenized = Record<'words' | 'wordsLower' | 'treebank' | 'treebankLower', string[]>;

function tokenizeInNode(text: string): Tokenized {
  return {
    words: wordTokenize(text),
    wordsLower: wordTokenize(text, { lowercase: true }),
    treebank: treebankTokenize(text),
    treebankLower: treebankTokenize(text, { lowercase: true }),
  };
}

// The same function, run inside the bundle's context on the bundle's tokenizers (texts and tokens cross as JSON).
const tokenizeInBundle = `(textsJson) => JSON.stringify(JSON.parse(textsJson).map((text) => ({
  words: tokenize.wordTokenize(text),
  wordsLower: tokenize.wordTokenize(text, { lowercase: true }),
  treebank: tokenize.treebankTokenize(text),
  treebankLower: tokenize.treebankTokenize(text, { lowercase: true }),
})))`;

let browser: Bundle;
let context: vm.Context;
let inBundle: (textsJson: string) => string;

beforeAll(async () => {
  browser = await bundle({
    stdin: { contents: "export { wordTokenize, treebankTokenize } from './src/browser.ts';\n", resolveDir: coreDir, loader: 'ts' },
    format: 'iife',
    globalName: 'tokenize',
  });
  context = runInWorkerContext(browser.code);
  inBundle = vm.runInContext(tokenizeInBundle, context);
}, 120_000);

describe('natural tokenizes the same in Node and in the browser bundle', () => {
  it("the bundle has natural's tokenizers, and runs with no Node global", () => {
    const inputs = Object.keys(browser.metafile.inputs);
    for (const file of ['tokenizers/regexp_tokenizer.js', 'tokenizers/treebank_word_tokenizer.js']) {
      expect(inputs.some((p) => p.endsWith(`node_modules/natural/lib/natural/${file}`)), file).toBe(true);
    }
    expect(inputs.some((p) => p.endsWith('node_modules/util/util.js')), 'the util polyfill').toBe(true);
    expect(vm.runInContext("[typeof process, typeof require, typeof Buffer, typeof module, typeof window].join(' ')", context))
      .toBe('undefined undefined undefined undefined undefined');
  });

  it('has a few hundred texts from each source', () => {
    for (const [name, texts] of Object.entries(samples)) {
      expect(texts.length, name).toBeGreaterThanOrEqual(name === 'chunks' ? 50 : 100);
    }
  });

  for (const [name, texts] of Object.entries(samples)) {
    it(`${name}: wordTokenize and treebankTokenize, as written and lowercased`, () => {
      const fromBundle = JSON.parse(inBundle(JSON.stringify(texts))) as Tokenized[];
      expect(fromBundle).toHaveLength(texts.length);
      let tokens = 0;
      for (const [i, text] of texts.entries()) {
        const fromNode = tokenizeInNode(text);
        // toEqual on one text at a time: a failure names the text and shows the tokens that differ.
        expect(fromBundle[i], JSON.stringify(text)).toEqual(fromNode);
        tokens += Object.values(fromNode).reduce((n, t) => n + t.length, 0);
      }
      expect(tokens).toBeGreaterThan(texts.length); // real tokens, not empty lists on both sides
      console.log(`${name}: ${texts.length} texts, ${tokens} tokens, identical`);
    });
  }
});
