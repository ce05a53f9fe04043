import type { Language } from './tokenize.js';

/**
 * The two datasets of the app (see $RNNKIT_DATA_DIR/sentiment/README.md): where they live under the data folder,
 * their language and classes, and how each is split. Both are binary: label 0 negative, 1 positive.
 */
export const DATASETS = ['sst2', 'chnsenticorp'] as const;
export type DatasetName = (typeof DATASETS)[number];

export interface DatasetInfo {
  language: Language;
  /** Folder under $RNNKIT_DATA_DIR. */
  folder: string;
  /** The file(s) in it. */
  files: { train: string; test?: string };
  format: 'tsv' | 'csv';
  classNames: readonly string[];
  /** What the test part is, for reports. */
  testName: string;
}

export const DATASET_INFO: Record<DatasetName, DatasetInfo> = {
  sst2: {
    language: 'en',
    folder: 'sentiment/sst2',
    files: { train: 'train.tsv', test: 'dev.tsv' },
    format: 'tsv',
    classNames: ['negative', 'positive'],
    testName: 'SST-2 dev',
  },
  chnsenticorp: {
    language: 'zh',
    folder: 'sentiment/chnsenticorp-htl',
    files: { train: 'ChnSentiCorp_htl_all.csv' },
    format: 'csv',
    classNames: ['negative', 'positive'],
    testName: 'ChnSentiCorp test split',
  },
};

/** Default maximum tokens per example: SST-2 sentences have at most 52 words, hotel reviews a median of 84 characters. */
export const DEFAULT_MAX_LEN: Record<DatasetName, number> = { sst2: 64, chnsenticorp: 256 };
