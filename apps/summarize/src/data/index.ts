import type { Rng, TextEncoding } from '@rnnkit/core';
import { buildVocab, splitExamples, TASK_COLUMNS, toExample, type DataConfig, type PreparedData } from './dataset.js';
import { readPairs } from './read.js';

export * from './dataset.js';
export * from './read.js';
export * from './source.js';

export interface ColumnFlags {
  sourceColumn?: string;
  targetColumn?: string;
  encoding?: TextEncoding;
}

/** Reads a pairs file for the task (or the columns the user named), tokenizes, splits and builds the vocabulary. */
export function prepareData(file: string, cfg: DataConfig, rng: Rng, columns: ColumnFlags = {}): PreparedData {
  const { pairs, report } = readPairs(file, {
    sourceColumn: columns.sourceColumn ?? TASK_COLUMNS[cfg.task].source,
    targetColumn: columns.targetColumn ?? TASK_COLUMNS[cfg.task].target,
    ...(columns.encoding ? { encoding: columns.encoding } : {}),
  });
  const splits = splitExamples(pairs.map((p) => toExample(p, cfg)), cfg.valFraction, rng);
  return { splits, vocab: buildVocab(splits.train, cfg), report };
}
