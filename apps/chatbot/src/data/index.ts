import { relative } from 'node:path';
import type { TextEncoding, Vocab } from '@rnnkit/core';
import { buildDataset, type ChatDataset, type DataConfig } from './dataset.js';
import { loadCorpus, type LoadedCorpus } from './load.js';

export * from './conversation.js';
export * from './chatterbot.js';
export * from './cornell.js';
export * from './pairs.js';
export * from './dataset.js';
export * from './load.js';

/** Corpus → dataset in one call (what train, evaluate and demo all start with). */
export async function prepareData(
  dataFlag: string | undefined, cfg: DataConfig, vocab?: Vocab, encoding: TextEncoding = 'utf-8',
): Promise<{ corpus: LoadedCorpus; dataset: ChatDataset }> {
  const corpus = await loadCorpus(dataFlag, cfg.lang, encoding);
  return { corpus, dataset: buildDataset(corpus.conversations, cfg, vocab) };
}

/** A path relative to the working directory when it is inside it, else as given. */
function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** A few lines telling what was read and what every filter removed. */
export function describeData(corpus: LoadedCorpus, ds: ChatDataset): string {
  const drops = (d: Record<string, number>) =>
    Object.entries(d)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `data: ${corpus.format} corpus at ${corpus.source}: ${corpus.conversations.length} conversations`,
    ...corpus.skipped.map((s) => `  skipped ${shortPath(s.file)}:${s.line}: ${s.reason}`),
    `pairs: train ${ds.train.length} (dropped: ${drops(ds.stats.train.dropped)}), held-out ${ds.heldOut.length} (dropped: ${drops(ds.stats.heldOut.dropped)})`,
    `vocabulary: ${ds.vocab.size} tokens (incl. 5 reserved)`,
  ];
  return lines.join('\n');
}
