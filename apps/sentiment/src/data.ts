import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { readTextFile as readCoreTextFile, RnnkitError, type TextEncoding } from '@rnnkit/core';
import { DATASET_INFO, type DatasetName } from './datasets.js';
import { parseChnSentiCorpCsv, parseSst2Tsv, type LabeledText, type ParsedFile } from './formats.js';
import { classCounts, sentenceHoldout, stratifiedSplit } from './split.js';

/**
 * Where the data comes from and how it is split (Node only: it reads files).
 *
 * --data: for sst2, the folder holding train.tsv and dev.tsv, or a training TSV (its dev.tsv is read from the same
 * folder); for chnsenticorp, the CSV file or the folder holding ChnSentiCorp_htl_all.csv. Default: the dataset's
 * folder under $RNNKIT_DATA_DIR. Nothing is downloaded: neither dataset states a license that would allow
 * fetching it implicitly (see the data folder's README).
 *
 * Splits: SST-2 trains on train.tsv minus a validation part of full sentences (--val-fraction of them, stratified,
 * with all their phrases removed from training: see sentenceHoldout) used for early stopping, and is tested on
 * dev.tsv (GLUE keeps the test labels private), which training never looks at.
 * ChnSentiCorp has no official split: a seeded stratified 80/10/10 train/validation/test split.
 */

/**
 * Reads a data file with core's strict text reader (a directory, a binary file or bytes that are not text in
 * `encoding`, UTF-8 unless `--encoding` says otherwise, e.g. gbk for Chinese files saved by Windows, are refused
 * naming the file and line); an empty file is refused here.
 */
export function readTextFile(file: string, encoding: TextEncoding = 'utf-8'): string {
  const text = readCoreTextFile(file, { encoding });
  if (text.length === 0) throw new RnnkitError(`${file}: is empty`);
  return text;
}

export interface DataFiles {
  dataset: DatasetName;
  train: string;
  /** SST-2's dev.tsv (the test set); absent for ChnSentiCorp, whose test part is split from `train`. */
  test?: string;
  /** How the files' bytes are decoded (`--encoding`); UTF-8 when absent. */
  encoding?: TextEncoding;
}

/** The files to read for `dataset`, from --data or $RNNKIT_DATA_DIR. */
export function resolveDataFiles(dataset: DatasetName, data: string | undefined): DataFiles {
  const info = DATASET_INFO[dataset];
  let dir: string;
  let train: string;
  if (data !== undefined) {
    if (!existsSync(data)) throw new RnnkitError(`--data ${data}: no such file or folder`);
    const isDir = statSync(data).isDirectory();
    dir = isDir ? data : path.dirname(data);
    train = isDir ? path.join(data, info.files.train) : data;
  } else {
    const root = process.env.RNNKIT_DATA_DIR;
    if (!root) throw new RnnkitError(`no data: pass --data, or set RNNKIT_DATA_DIR to the folder holding ${info.folder}/`);
    dir = path.join(root, info.folder);
    train = path.join(dir, info.files.train);
  }
  if (!existsSync(train)) throw new RnnkitError(`${train}: no such file (the ${dataset} training data)`);
  // The test file's presence is checked after the training file is read (loadSplits), so that a bad training file
  // is the error reported first.
  return info.files.test ? { dataset, train, test: path.join(dir, info.files.test) } : { dataset, train };
}

export function readDataFile(dataset: DatasetName, file: string, encoding: TextEncoding = 'utf-8'): ParsedFile {
  const numClasses = DATASET_INFO[dataset].classNames.length;
  const text = readTextFile(file, encoding);
  return DATASET_INFO[dataset].format === 'tsv' ? parseSst2Tsv(text, file, numClasses) : parseChnSentiCorpCsv(text, file, numClasses);
}

/** How a model's data was split; saved with the model so that `evaluate` rebuilds the same test part. */
export interface SplitSettings {
  /** SST-2: fraction of train.tsv's full sentences held out for validation. ChnSentiCorp: fixed 80/10/10. */
  valFraction: number;
  splitSeed: number;
  /** Use at most this many training examples (a stratified sample of the training part). */
  maxTrain?: number;
}

export interface Splits {
  train: LabeledText[];
  val: LabeledText[];
  test: LabeledText[];
  /** SST-2: per training row, 1 when it is a full sentence (not a phrase of a longer row); absent for ChnSentiCorp. */
  trainIsSentence?: Uint8Array;
  /** One paragraph: where every part comes from and its class counts (printed by train and evaluate). */
  description: string;
}

const pick = (rows: LabeledText[], idx: Int32Array) => Array.from(idx, (i) => rows[i]);
const labelsOf = (rows: readonly LabeledText[]) => rows.map((r) => r.label);

export function loadSplits(files: DataFiles, split: SplitSettings): Splits {
  const info = DATASET_INFO[files.dataset];
  const source = readDataFile(files.dataset, files.train, files.encoding);
  let train: LabeledText[];
  let val: LabeledText[];
  let test: LabeledText[];
  let how: string;
  let trainIsSentence: Uint8Array | undefined;
  if (files.test) {
    // SST-2's rows are its files' own tokens, separated by single spaces.
    const holdout = sentenceHoldout(source.examples.map((r) => r.text.split(' ')), labelsOf(source.examples), split.valFraction, split.splitSeed);
    train = pick(source.examples, holdout.train);
    trainIsSentence = Uint8Array.from(holdout.train, (i) => holdout.isSentence[i]);
    val = pick(source.examples, holdout.val);
    if (!existsSync(files.test)) throw new RnnkitError(`${files.test}: no such file (SST-2's dev set, expected next to ${path.basename(files.train)})`);
    test = readDataFile(files.dataset, files.test, files.encoding).examples;
    how = split.valFraction === 0
      ? `train: every row of ${files.train} (${holdout.sentences} full sentences and their phrases), no validation part (--val-fraction 0); test: ${files.test}`
      : `train and validation: ${files.train}, whose ${holdout.sentences} full sentences (rows that are no part of a longer row) ` +
        `lend a stratified ${fmtPct(split.valFraction)} to validation (split seed ${split.splitSeed}), their ${holdout.dropped} phrases ` +
        `and copies leaving training; test: ${files.test}`;
  } else {
    const [trainIdx, valIdx, testIdx] = stratifiedSplit(labelsOf(source.examples), [0.8, 0.1, 0.1], split.splitSeed);
    train = pick(source.examples, trainIdx);
    val = pick(source.examples, valIdx);
    test = pick(source.examples, testIdx);
    how = `${files.train}: stratified 80/10/10 train/validation/test split, split seed ${split.splitSeed}`;
  }
  if (split.maxTrain !== undefined && split.maxTrain < train.length) {
    const fraction = split.maxTrain / train.length;
    const [, kept] = stratifiedSplit(labelsOf(train), [1 - fraction, fraction], split.splitSeed + 1);
    train = pick(train, kept);
    if (trainIsSentence) trainIsSentence = Uint8Array.from(kept, (i) => trainIsSentence![i]);
    how += `; training on a stratified sample of ${train.length} (--max-train)`;
  }
  const counts = (rows: LabeledText[]) => classCounts(labelsOf(rows), info.classNames.length).map((n, c) => `${n} ${info.classNames[c]}`).join(', ');
  const empty = source.emptyTexts > 0 ? `; ${source.emptyTexts} empty text(s) skipped` : '';
  const description = `${files.dataset}: ${how}${empty}. ` +
    `train ${train.length} (${counts(train)}), validation ${val.length} (${counts(val)}), test ${test.length} (${counts(test)})`;
  return { train, val, test, description, ...(trainIsSentence ? { trainIsSentence } : {}) };
}

const fmtPct = (x: number) => `${+(x * 100).toFixed(2)}%`;
