import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { seededRng } from '@rnnkit/core';
import { parseSst2Tsv } from '../src/formats.js';
import { englishTokenize } from '../src/tokenize.js';

/** A fresh temp directory for one test file's fixtures. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `rnnkit-sentiment-${prefix}-`));
}

/** Writes `content` to `name` inside `dir` (creating folders) and returns the path. */
export function writeFixture(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const POSITIVE = ['great', 'wonderful', 'moving', 'funny', 'brilliant', 'charming', 'superb', 'delightful'];
const NEGATIVE = ['dull', 'boring', 'awful', 'tedious', 'clumsy', 'lifeless', 'bland', 'terrible'];
const NEUTRAL = ['the', 'film', 'movie', 'story', 'is', 'a', 'and', 'plot', 'cast', 'its', 'director', ',', '.'];

/**
 * A synthetic sentiment set: each text is neutral words with one or two words of its class mixed in, so a model
 * that learned anything tells them apart, and one that did not is at chance. Deterministic for a seed.
 */
export function syntheticTexts(count: number, seed: number): { text: string; label: number }[] {
  const rng = seededRng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)];
  return Array.from({ length: count }, (_, i) => {
    const label = i % 3 === 0 ? 0 : 1; // imbalanced like the real sets: one third negative
    const words = Array.from({ length: 3 + Math.floor(rng() * 8) }, () => pick(NEUTRAL));
    const cue = label === 1 ? POSITIVE : NEGATIVE;
    for (let k = 0; k < 1 + Math.floor(rng() * 2); k++) words.splice(Math.floor(rng() * words.length), 0, pick(cue));
    return { text: words.join(' '), label };
  });
}

/** An SST-2-format folder (train.tsv, dev.tsv) of synthetic texts. */
export function writeSst2Folder(dir: string, train: number, dev: number, seed = 1): string {
  const tsv = (rows: { text: string; label: number }[]) => `sentence\tlabel\n${rows.map((r) => `${r.text} \t${r.label}`).join('\n')}\n`;
  writeFixture(dir, 'train.tsv', tsv(syntheticTexts(train, seed)));
  writeFixture(dir, 'dev.tsv', tsv(syntheticTexts(dev, seed + 1)));
  return dir;
}

/** A ChnSentiCorp-format CSV of `count` synthetic reviews (some quoted, holding commas). */
export function writeChnSentiCorpCsv(dir: string, count: number): string {
  const good = ['房间干净', '服务很好', '早餐不错', '位置方便'];
  const bad = ['房间很脏', '服务太差', '隔音不好', '设施陈旧'];
  const lines = Array.from({ length: count }, (_, i) => {
    const label = i % 3 === 0 ? 0 : 1;
    const phrase = (label ? good : bad)[i % 4];
    return i % 2 === 0 ? `${label},"${phrase},酒店${i}"` : `${label},${phrase}。酒店${i}`;
  });
  return writeFixture(dir, 'ChnSentiCorp_htl_all.csv', `label,review\n${lines.join('\n')}\n`);
}

/**
 * `text` in GBK: ASCII as is, every other character by the two-byte code the WHATWG GBK decoder maps to it (found by
 * decoding every lead/trail pair once). Node has no GBK encoder; tests need GBK files as Windows saves them.
 */
export function encodeGbk(text: string): Buffer {
  const decoder = new TextDecoder('gbk');
  const codes = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const ch = decoder.decode(Uint8Array.from([lead, trail]));
      if (!codes.has(ch)) codes.set(ch, [lead, trail]);
    }
  }
  const bytes = Array.from(text).flatMap((ch) => {
    if (ch.charCodeAt(0) < 0x80) return [ch.charCodeAt(0)];
    const code = codes.get(ch);
    if (!code) throw new Error(`encodeGbk: no GBK code for ${ch}`);
    return code;
  });
  return Buffer.from(bytes);
}

/** The first `rows` examples of the real SST-2 `file` (train.tsv, dev.tsv) as tokens (the comparisons with natural). */
export function sst2Head(file: string, rows: number): { tokens: string[]; label: number }[] {
  const dataDir = process.env.RNNKIT_DATA_DIR;
  if (!dataDir) throw new Error('RNNKIT_DATA_DIR is not set: the comparisons with natural read a subset of SST-2');
  const tsv = path.join(dataDir, 'sentiment', 'sst2', file);
  return parseSst2Tsv(readFileSync(tsv, 'utf8'), tsv).examples.slice(0, rows).map((r) => ({ tokens: englishTokenize(r.text), label: r.label }));
}

/** What the tests use of natural's classifiers (its package ships no types for the files they import). */
export interface NaturalClassifier {
  addDocument(tokens: string[], label: string): void;
  train(): void;
  getClassifications(tokens: string[]): { label: string; value: number }[];
}
