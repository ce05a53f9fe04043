import type { ParsedCorpus } from './corpus.js';
import type { DataConfig } from './data-config.js';
import { splitByEnglish } from './dataset.js';
import { tokenizeEnglish } from './text.js';

/** Held-out sentences a page offers to translate, each with its Tatoeba references and their attribution lines. */
export interface HeldOutExamples {
  split: 'test';
  examples: { en: string; references: { zh: string; attribution: string }[] }[];
}

/** Shorter sentences say little; longer ones make a heatmap too wide to read on a page. */
const MIN_WORDS = 3;
const MAX_WORDS = 10;

/**
 * `count` English sentences of the test split that `cfg` (a model's recorded split settings) gives, spread evenly
 * over the file (which is sorted by sentence length, so short and long ones both appear), each with every Chinese
 * translation the corpus has for it. The attribution column goes with every reference: Tatoeba's CC-BY license
 * asks for it wherever a sentence is shown.
 */
export function heldOutExamples(
  corpus: ParsedCorpus,
  cfg: Pick<DataConfig, 'valFraction' | 'testFraction' | 'splitSeed'>,
  count: number,
): HeldOutExamples {
  const split = splitByEnglish(corpus.pairs, cfg);
  const references = new Map<string, { zh: string; attribution: string }[]>();
  corpus.pairs.forEach((p, i) => {
    if (split[i] !== 2) return;
    const words = tokenizeEnglish(p.en).length;
    if (words < MIN_WORDS || words > MAX_WORDS) return;
    const list = references.get(p.en) ?? [];
    list.push({ zh: p.zh, attribution: p.attribution });
    references.set(p.en, list);
  });
  const sentences = [...references.keys()];
  const picked = sentences.length <= count ? sentences : Array.from({ length: count }, (_, k) => sentences[Math.floor((k * sentences.length) / count)]);
  return { split: 'test', examples: picked.map((en) => ({ en, references: references.get(en)! })) };
}
