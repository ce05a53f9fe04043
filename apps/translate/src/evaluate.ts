import { join } from 'node:path';
import { bleu4, corpusChrf, heatmapSvg, writeFileAtomic } from '@rnnkit/core';
import { TfIdfRetriever, WordByWord } from './baselines.js';
import { tokenizeChinese } from './data/chinese.js';
import { joinChinese } from './data/text.js';
import type { EncodedPair, TranslationDataset } from './data/dataset.js';
import { TRANSLATE_DECODE_DEFAULTS, type Translator } from './translator.js';

/**
 * Test-split figures: BLEU-4 on characters (sacreBLEU's `zh` tokenization splits Chinese into characters too) and
 * chrF, for the model (greedy, and beam search) and the two baselines, all on the same test pairs. Every test pair
 * is a row with its own reference; an English sentence with several translations is decoded once and scored against
 * each. Candidates and references alike go through the same Traditional → Simplified mapping.
 */

export interface SystemScores {
  name: string;
  bleu: number;
  chrf: number;
  /** Wall time to produce the outputs, in seconds. */
  seconds: number;
}

export interface EvalReport {
  testPairs: number;
  distinctSentences: number;
  /** Sentences translated with beam search (at most --max-beam of the distinct test sentences). */
  beamSentences: number;
  systems: SystemScores[];
  samples: { en: string; reference: string; greedy: string; beam?: string; retrieval: string; wordByWord: string; attribution: string }[];
  heatmaps: string[];
}

export interface EvaluateOptions {
  /** Evaluate only the test pairs of the first `limit` distinct test sentences (default: all). */
  limit?: number;
  /** Beam-search at most this many distinct test sentences (greedy and baselines always cover all). */
  maxBeam?: number;
  beamWidth?: number;
  lengthPenalty?: number;
  /** Write attention heatmaps of the first `heatmaps` test sentences into this folder. */
  heatmapDir?: string;
  heatmaps?: number;
  samples?: number;
}

function score(name: string, outputs: readonly string[], refs: readonly string[], seconds: number): SystemScores {
  const cand = outputs.map(tokenizeChinese);
  const refTokens = refs.map(tokenizeChinese);
  return {
    name,
    bleu: bleu4(cand, refTokens).bleu,
    chrf: corpusChrf(cand.map(joinChinese), refTokens.map(joinChinese)).chrf,
    seconds,
  };
}

const timed = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, (performance.now() - t0) / 1000];
};

export async function evaluateTranslator(translator: Translator, data: TranslationDataset, opts: EvaluateOptions = {}): Promise<EvalReport> {
  const limited = new Set([...new Set(data.test.map((p) => p.en))].slice(0, opts.limit));
  const test = data.test.filter((p) => limited.has(p.en));
  // Distinct English sentences in order of first appearance; `row` maps each test pair to its sentence.
  const sentenceOf = new Map<string, number>();
  const sentences: EncodedPair[] = [];
  for (const p of test) {
    if (!sentenceOf.has(p.en)) {
      sentenceOf.set(p.en, sentences.length);
      sentences.push(p);
    }
  }
  const perPair = (outs: readonly string[]) => test.map((p) => outs[sentenceOf.get(p.en)!]);
  const refs = test.map((p) => p.zh);

  const [greedy, greedySeconds] = timed(() => translator.greedyBatch(sentences.map((s) => s.srcIds)).map(joinChinese));
  const beamCount = Math.min(sentences.length, opts.maxBeam ?? sentences.length);
  const decode = {
    beamWidth: opts.beamWidth ?? TRANSLATE_DECODE_DEFAULTS.beamWidth, lengthPenalty: opts.lengthPenalty ?? TRANSLATE_DECODE_DEFAULTS.lengthPenalty,
  };
  const [beamed, beamSeconds] = timed(() => translator.beamBatch(sentences.slice(0, beamCount).map((s) => ({ ids: s.srcIds, tokens: s.src })), decode));

  const trainTokenized = data.train;
  const [retrieval, retrievalSeconds] = timed(() => {
    const r = new TfIdfRetriever(trainTokenized);
    return sentences.map((s) => r.translate(s.src));
  });
  const [wordByWord, wbwSeconds] = timed(() => {
    const w = new WordByWord(trainTokenized);
    return sentences.map((s) => w.translate(s.src));
  });

  const systems = [
    score('model, greedy', perPair(greedy), refs, greedySeconds),
    score('retrieval (TF-IDF)', perPair(retrieval), refs, retrievalSeconds),
    score('word by word', perPair(wordByWord), refs, wbwSeconds),
  ];
  if (beamCount > 0) {
    // Beam search may cover only the first sentences: score it, and greedy for comparison, on those pairs.
    const covered = test.map((p, i) => [p, i] as const).filter(([p]) => sentenceOf.get(p.en)! < beamCount).map(([, i]) => i);
    const beamText = beamed.map((b) => b.text);
    const pick = (outs: readonly string[]) => covered.map((i) => outs[sentenceOf.get(test[i].en)!]);
    const coveredRefs = covered.map((i) => refs[i]);
    const label = `beam ${decode.beamWidth}, length penalty ${decode.lengthPenalty}`;
    systems.splice(1, 0, score(`model, ${label}`, pick(beamText), coveredRefs, beamSeconds));
    if (beamCount < sentences.length) {
      systems.splice(2, 0, score(`model, greedy (same ${covered.length} pairs)`, pick(greedy), coveredRefs, 0));
      systems.push(score(`retrieval (same ${covered.length} pairs)`, pick(retrieval), coveredRefs, 0));
    }
  }

  const heatmaps: string[] = [];
  if (opts.heatmapDir) {
    const n = Math.min(opts.heatmaps ?? 4, sentences.length);
    for (let i = 0; i < n; i++) {
      const t = i < beamCount ? beamed[i] : translator.translateIds({ ids: sentences[i].srcIds, tokens: sentences[i].src }, decode);
      if (t.attention.length === 0) continue;
      const file = join(opts.heatmapDir, `attention-${i + 1}.svg`);
      await writeFileAtomic(file, heatmapSvg({
        rows: [...t.tokens, '<eos>'].slice(0, t.attention.length),
        cols: t.sourceTokens,
        values: t.attention.map((row) => row.slice(0, t.sourceTokens.length)),
        title: `attention: ${sentences[i].en} → ${t.text}`,
      }));
      heatmaps.push(file);
    }
  }

  const nSamples = Math.min(opts.samples ?? 8, sentences.length);
  return {
    testPairs: test.length,
    distinctSentences: sentences.length,
    beamSentences: beamCount,
    systems,
    samples: sentences.slice(0, nSamples).map((s, i) => ({
      en: s.en,
      reference: s.zh,
      greedy: greedy[i],
      ...(i < beamCount ? { beam: beamed[i].text } : {}),
      retrieval: retrieval[i],
      wordByWord: wordByWord[i],
      attribution: s.attribution,
    })),
    heatmaps,
  };
}

export function formatReport(r: EvalReport): string {
  const pct = (x: number) => (100 * x).toFixed(2).padStart(6);
  const width = Math.max(...r.systems.map((s) => s.name.length));
  return [
    `test split: ${r.testPairs} pairs, ${r.distinctSentences} distinct English sentences (beam search on ${r.beamSentences})`,
    `${'system'.padEnd(width)}  BLEU-4 (chars)    chrF   seconds`,
    ...r.systems.map((s) => `${s.name.padEnd(width)}  ${pct(s.bleu)}         ${pct(s.chrf)}  ${s.seconds.toFixed(1).padStart(7)}`),
    'samples (Tatoeba, CC-BY 2.0 FR):',
    ...r.samples.flatMap((s) => [
      `  en:        ${s.en}`,
      `  reference: ${s.reference}`,
      ...(s.beam !== undefined ? [`  beam:      ${s.beam}`] : []),
      `  greedy:    ${s.greedy}`,
      `  retrieval: ${s.retrieval}`,
      `  word×word: ${s.wordByWord}`,
      `  (${s.attribution})`,
    ]),
    ...(r.heatmaps.length > 0 ? [`attention heatmaps: ${r.heatmaps.join(', ')}`] : []),
  ].join('\n');
}
