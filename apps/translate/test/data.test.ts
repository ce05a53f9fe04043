import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TfIdfRetriever, WordByWord, buildDataset, describeSkipped, heldOutExamples, parseTatoeba, readTatoeba, splitByEnglish, tokenizeChinese, tokenizeEnglish,
  tokenizePair, DEFAULT_DATA_CONFIG,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'translate-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attribution = (i: number) => `CC-BY 2.0 (France) Attribution: tatoeba.org #${i} (a) & #${i + 1} (b)`;
const FIXTURE = [
  `Hi.\t嗨。\t${attribution(1)}`,
  'We try. 我们来试试。\tCC-BY 2.0 (France) Attribution: tatoeba.org #2 (a) & #3 (b)',
  `I love you.\t我愛你。\t${attribution(4)}`,
  `I love you.\t我爱您。\t${attribution(5)}`,
  '',
  `Tom is here.\t汤姆在这里。\t${attribution(6)}`,
  'only one field',
].join('\n');

describe('corpus', () => {
  it('keeps 3-field lines, and counts and names the others', () => {
    const c = parseTatoeba(FIXTURE, 'fixture');
    expect(c.pairs.map((p) => p.line)).toEqual([1, 3, 4, 6]);
    expect(c.pairs[1]).toMatchObject({ en: 'I love you.', zh: '我愛你。', attribution: attribution(4) });
    expect(c.skipped).toBe(2);
    expect(c.skippedLines).toEqual([2, 7]);
    expect(describeSkipped(c)).toBe('skipped 2 line(s) without exactly 3 tab-separated fields: line 2, 7');
  });

  it('reads gzipped and plain files alike, and refuses bad files in one line naming them', () => {
    writeFileSync(join(dir, 'c.txt.gz'), gzipSync(Buffer.from(FIXTURE)));
    writeFileSync(join(dir, 'c.txt'), FIXTURE);
    expect(readTatoeba(join(dir, 'c.txt.gz')).pairs).toEqual(readTatoeba(join(dir, 'c.txt')).pairs);
    writeFileSync(join(dir, 'cut.gz'), gzipSync(Buffer.from(FIXTURE.repeat(50))).subarray(0, 40));
    expect(() => readTatoeba(join(dir, 'cut.gz'))).toThrow(new RegExp(`${join(dir, 'cut.gz')}: not a valid gzip file`));
    writeFileSync(join(dir, 'none.txt'), 'no tabs here\n');
    expect(() => readTatoeba(join(dir, 'none.txt'))).toThrow(/none\.txt: no English<TAB>Chinese<TAB>attribution lines \(1 line/);
    expect(() => readTatoeba(join(dir, 'missing.txt'))).toThrow(/missing\.txt: cannot read \(ENOENT\)/);
  });
});

describe('tokenization', () => {
  it('lower-cases English words and keeps punctuation as tokens', () => {
    expect(tokenizeEnglish("Tom doesn't like it.")).toEqual(['tom', "doesn't", 'like', 'it', '.']);
  });

  it('maps Traditional characters to Simplified and splits Chinese into characters', () => {
    expect(tokenizeChinese('我們來試試。')).toEqual(['我', '们', '来', '试', '试', '。']);
    expect(tokenizeChinese('我 爱 Tom')).toEqual(['我', '爱', 'T', 'o', 'm']);
  });
});

describe('split and vocabularies', () => {
  const pairs = Array.from({ length: 400 }, (_, i) => ({ en: `sentence ${i % 300}`, zh: `句${i}` }));

  it('splits by English sentence (never one sentence in two splits), seeded, about 90/5/5', () => {
    const split = splitByEnglish(pairs, DEFAULT_DATA_CONFIG);
    const splitOf = new Map<string, number>();
    pairs.forEach((p, i) => {
      expect(splitOf.get(p.en) ?? split[i]).toBe(split[i]);
      splitOf.set(p.en, split[i]);
    });
    const sentences = [...splitOf.values()];
    expect(sentences.filter((s) => s === 2)).toHaveLength(15);
    expect(sentences.filter((s) => s === 1)).toHaveLength(15);
    expect(splitByEnglish(pairs, DEFAULT_DATA_CONFIG)).toEqual(split);
    expect(splitByEnglish(pairs, { ...DEFAULT_DATA_CONFIG, splitSeed: 2 })).not.toEqual(split);
  });

  it('builds the vocabularies from the training split only', () => {
    // Characters that are already Simplified, so that each line's character stays its own.
    const chars = Array.from({ length: 600 }, (_, i) => String.fromCodePoint(0x4e00 + i)).filter((c) => tokenizeChinese(c)[0] === c).slice(0, 200);
    const lines = chars.map((c, i) => `word${i} common .\t字${c}。\t${attribution(i)}`);
    const d = buildDataset(parseTatoeba(lines.join('\n'), 'gen'), { ...DEFAULT_DATA_CONFIG, srcMinCount: 1, tgtMinCount: 1 });
    for (const p of [...d.val, ...d.test]) {
      expect(d.srcVocab.has(p.src[0])).toBe(false);
      expect(d.tgtVocab.has(p.tgt[1])).toBe(false);
    }
    for (const p of d.train) expect(d.srcVocab.has(p.src[0])).toBe(true);
    expect(d.srcVocab.has('common')).toBe(true);
    expect(d.test[0].attribution).toMatch(/^CC-BY 2\.0/);
  });

  it('offers test-split sentences only as examples, each with all its references and their attributions', () => {
    // 300 English sentences of 1 to 12 words; every third has a second translation.
    const lines = Array.from({ length: 300 }, (_, i) => `${Array.from({ length: 1 + (i % 12) }, (_, w) => `w${i}x${w}`).join(' ')} .`).flatMap((en, i) => [
      `${en}\t译${i}。\t${attribution(i)}`,
      ...(i % 3 === 0 ? [`${en}\t又译${i}。\t${attribution(1000 + i)}`] : []),
    ]);
    const corpus = parseTatoeba(lines.join('\n'), 'gen');
    const split = splitByEnglish(corpus.pairs, DEFAULT_DATA_CONFIG);
    const testEnglish = new Set(corpus.pairs.filter((_, i) => split[i] === 2).map((p) => p.en));
    const picked = heldOutExamples(corpus, DEFAULT_DATA_CONFIG, 6);
    expect(picked.split).toBe('test');
    expect(picked.examples).toHaveLength(6);
    for (const e of picked.examples) {
      expect(testEnglish.has(e.en)).toBe(true);
      const words = tokenizeEnglish(e.en).length;
      expect(words).toBeGreaterThanOrEqual(3);
      expect(words).toBeLessThanOrEqual(10);
      const all = corpus.pairs.filter((p) => p.en === e.en);
      expect(e.references).toEqual(all.map((p) => ({ zh: p.zh, attribution: p.attribution })));
    }
    expect(new Set(picked.examples.map((e) => e.en)).size).toBe(6);
    // Another split seed gives other sentences: the examples follow the model's own split.
    expect(heldOutExamples(corpus, { ...DEFAULT_DATA_CONFIG, splitSeed: 5 }, 6).examples).not.toEqual(picked.examples);
  });
});

describe('baselines', () => {
  const train = [
    ['I love you.', '我爱你。'], ['Tom loves Mary.', '汤姆爱玛丽。'], ['Tom is here.', '汤姆在这里。'], ['I am here.', '我在这里。'],
    ['Mary is here.', '玛丽在这里。'], ['I see Tom.', '我看见汤姆。'],
  ].map(([en, zh], i) => tokenizePair({ en, zh, attribution: '', line: i + 1 }));

  it('retrieval returns the translation of the most similar English sentence by TF-IDF cosine', () => {
    const r = new TfIdfRetriever(train);
    expect(r.translate(tokenizeEnglish('Tom is here!'))).toBe('汤姆在这里。');
    expect(r.translate(tokenizeEnglish('Mary loves Tom.'))).toBe('汤姆爱玛丽。');
    // No known word: the most frequent training translation (all are unique here: the first).
    expect(r.translate(tokenizeEnglish('Zebras.'))).toBe('我爱你。');
  });

  it('word by word maps words to their most associated characters and punctuation to full width', () => {
    const w = new WordByWord(train);
    expect(w.word('tom')).toBe('汤姆');
    expect(w.word('.')).toBe('。');
    expect(w.translate(tokenizeEnglish('Tom is here.'))).toMatch(/^汤姆.*。$/);
  });
});
