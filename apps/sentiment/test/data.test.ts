import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSplits, readTextFile, resolveDataFiles } from '../src/data.js';
import { classCounts } from '../src/split.js';
import { encodeGbk, tempDir, writeChnSentiCorpCsv, writeFixture, writeSst2Folder } from './fixtures.js';

const dir = tempDir('data');

describe('readTextFile', () => {
  it('decodes UTF-8 and drops a byte-order mark', () => {
    const file = writeFixture(dir, 'bom.tsv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('sentence\tlabel\nclichés \t1\n')]));
    expect(readTextFile(file)).toBe('sentence\tlabel\nclichés \t1\n');
  });

  it('names the line of the first invalid UTF-8 byte (a Latin-1 file)', () => {
    const file = writeFixture(dir, 'latin1.tsv', Buffer.from('sentence\tlabel\nfine \t1\nclich\xe9s \t0\n', 'latin1'));
    expect(() => readTextFile(file)).toThrow(new RegExp(`^${file}: is not valid UTF-8 text at line 3, column 6`));
  });

  it('refuses a binary file, an empty file, a directory and a missing file, naming each', () => {
    const binary = writeFixture(dir, 'model.bin', Buffer.from([1, 2, 0, 3]));
    expect(() => readTextFile(binary)).toThrow(new RegExp(`^${binary}: looks like a binary file \\(NUL byte at line 1, offset 2\\)`));
    const empty = writeFixture(dir, 'empty.tsv', '');
    expect(() => readTextFile(empty)).toThrow(new RegExp(`^${empty}: is empty$`));
    expect(() => readTextFile(dir)).toThrow(new RegExp(`^${dir}: is a directory`));
    expect(() => readTextFile(path.join(dir, 'nope.tsv'))).toThrow(/nope\.tsv: no such file$/);
  });
});

describe('resolveDataFiles', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.RNNKIT_DATA_DIR;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RNNKIT_DATA_DIR;
    else process.env.RNNKIT_DATA_DIR = saved;
  });

  it('takes an SST-2 folder, or its training file with dev.tsv beside it', () => {
    const sst = writeSst2Folder(path.join(dir, 'sst'), 30, 10);
    expect(resolveDataFiles('sst2', sst)).toEqual({ dataset: 'sst2', train: path.join(sst, 'train.tsv'), test: path.join(sst, 'dev.tsv') });
    expect(resolveDataFiles('sst2', path.join(sst, 'train.tsv')).test).toBe(path.join(sst, 'dev.tsv'));
  });

  it('takes the ChnSentiCorp CSV or its folder, and finds the datasets under $RNNKIT_DATA_DIR', () => {
    const root = path.join(dir, 'root');
    const csv = writeChnSentiCorpCsv(path.join(root, 'sentiment', 'chnsenticorp-htl'), 30);
    expect(resolveDataFiles('chnsenticorp', csv)).toEqual({ dataset: 'chnsenticorp', train: csv });
    expect(resolveDataFiles('chnsenticorp', path.dirname(csv)).train).toBe(csv);
    process.env.RNNKIT_DATA_DIR = root;
    expect(resolveDataFiles('chnsenticorp', undefined).train).toBe(csv);
  });

  it('says what is missing, in one line', () => {
    expect(() => resolveDataFiles('sst2', path.join(dir, 'absent'))).toThrow(/^--data .*absent: no such file or folder$/);
    const lone = writeFixture(dir, 'lone/train.tsv', 'sentence\tlabel\nok \t1\nfine \t0\n');
    expect(() => loadSplits(resolveDataFiles('sst2', lone), { valFraction: 0.5, splitSeed: 1 })).toThrow(/lone\/dev\.tsv: no such file \(SST-2's dev set/);
    // A bad training file is reported before the missing dev set.
    const bad = writeFixture(dir, 'lone2/train.tsv', 'sentence\tlabel\nok\n');
    expect(() => loadSplits(resolveDataFiles('sst2', bad), { valFraction: 0.5, splitSeed: 1 })).toThrow(/lone2\/train\.tsv: line 2/);
    mkdirSync(path.join(dir, 'empty-folder'));
    expect(() => resolveDataFiles('chnsenticorp', path.join(dir, 'empty-folder'))).toThrow(/empty-folder\/ChnSentiCorp_htl_all\.csv: no such file/);
    delete process.env.RNNKIT_DATA_DIR;
    expect(() => resolveDataFiles('sst2', undefined)).toThrow(/set RNNKIT_DATA_DIR/);
  });
});

describe('loadSplits', () => {
  it('ChnSentiCorp: a stratified 80/10/10 split of the one file, disjoint and complete, the same for the same seed', () => {
    const csv = writeChnSentiCorpCsv(path.join(dir, 'htl'), 300);
    const files = resolveDataFiles('chnsenticorp', csv);
    const splits = loadSplits(files, { valFraction: 0.05, splitSeed: 3 });
    expect([splits.train.length, splits.val.length, splits.test.length]).toEqual([240, 30, 30]);
    expect(classCounts(splits.test.map((r) => r.label), 2)).toEqual([10, 20]);
    const lines = [...splits.train, ...splits.val, ...splits.test].map((r) => r.line).sort((a, b) => a - b);
    expect(lines).toEqual(Array.from({ length: 300 }, (_, i) => i + 2));
    expect(loadSplits(files, { valFraction: 0.05, splitSeed: 3 }).test).toEqual(splits.test);
    expect(loadSplits(files, { valFraction: 0.05, splitSeed: 4 }).test).not.toEqual(splits.test);
    expect(splits.description).toMatch(/stratified 80\/10\/10 .* split seed 3.*train 240 \(80 negative, 160 positive\)/);
  });

  it('reads a GBK file (Chinese saved by Windows) with --encoding gbk into the same rows as its UTF-8 copy', () => {
    const utf8 = writeChnSentiCorpCsv(path.join(dir, 'htl-utf8'), 60);
    const gbk = writeFixture(path.join(dir, 'htl-gbk'), 'ChnSentiCorp_htl_all.csv', encodeGbk(readFileSync(utf8, 'utf8')));
    expect(readFileSync(gbk).length).toBeLessThan(readFileSync(utf8).length); // two bytes per character, not three
    const split = { valFraction: 0.05, splitSeed: 3 };
    const expected = loadSplits(resolveDataFiles('chnsenticorp', utf8), split);
    const got = loadSplits({ ...resolveDataFiles('chnsenticorp', gbk), encoding: 'gbk' }, split);
    expect(got.train).toEqual(expected.train);
    expect(got.test).toEqual(expected.test);
    expect(() => loadSplits(resolveDataFiles('chnsenticorp', gbk), split)).toThrow(new RegExp(`^${gbk}: is not valid UTF-8 text at line 2`));
  });

  it('SST-2: validation is full sentences of train.tsv without their phrases in training, the test part is dev.tsv; --max-train samples the training part', () => {
    const files = resolveDataFiles('sst2', writeSst2Folder(path.join(dir, 'sst2'), 200, 40));
    const splits = loadSplits(files, { valFraction: 0.1, splitSeed: 1 });
    expect(splits.test.length).toBe(40);
    expect(splits.val.length).toBeGreaterThan(10);
    const valTexts = splits.val.map((r) => ` ${r.text} `);
    for (const row of splits.train) expect(valTexts.some((v) => v.includes(` ${row.text} `)), row.text).toBe(false);
    expect(splits.description).toMatch(/full sentences .* lend a stratified 10% to validation/);
    const small = loadSplits(files, { valFraction: 0.1, splitSeed: 1, maxTrain: 60 });
    expect(small.train.length).toBe(60);
    expect(small.val).toEqual(splits.val);
    expect(small.description).toMatch(/stratified sample of 60 \(--max-train\)/);
    // trainIsSentence flags the training rows that are no phrase of a longer training row (--sentence-repeat).
    const flags = splits.trainIsSentence!;
    expect(flags).toHaveLength(splits.train.length);
    const inLonger = (text: string) => splits.train.some((r) => r.text.length > text.length && ` ${r.text} `.includes(` ${text} `));
    splits.train.forEach((row, i) => expect(flags[i], row.text).toBe(inLonger(row.text) ? 0 : 1));
    const flagOf = new Map(splits.train.map((r, i) => [r.line, flags[i]]));
    small.train.forEach((row, i) => expect(small.trainIsSentence![i]).toBe(flagOf.get(row.line)));
  });

  it('SST-2: trainIsSentence is 1 for the full sentences and 0 for their phrases', () => {
    const rows = ['a gorgeous , witty film', 'gorgeous , witty', 'witty film', 'the plot is a tedious mess', 'tedious mess', 'dull'];
    const folder = path.join(dir, 'phrases');
    writeFixture(folder, 'train.tsv', `sentence\tlabel\n${rows.map((r, i) => `${r} \t${i < 3 ? 1 : 0}`).join('\n')}\n`);
    writeFixture(folder, 'dev.tsv', 'sentence\tlabel\na fine film \t1\n');
    const splits = loadSplits(resolveDataFiles('sst2', folder), { valFraction: 0.001, splitSeed: 1 });
    const sentences = new Set([rows[0], rows[3], rows[5]]);
    splits.train.forEach((r, i) => expect(splits.trainIsSentence![i], r.text).toBe(sentences.has(r.text) ? 1 : 0));
    // Whichever sentence validation took, another sentence and at least one phrase stay in training.
    expect(splits.train.some((r) => sentences.has(r.text)) && splits.train.some((r) => !sentences.has(r.text))).toBe(true);
  });
});
