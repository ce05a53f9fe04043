import {
  appModelFromArtifacts, checkSizesAgainstWeights, createPredictor, RnnkitError, Vocab, type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { z } from 'zod';
// dataset.ts, not data/index.js: the predictor uses no Node APIs (it runs in a browser too).
import { dataConfigSchema, tokenize, type DataConfig } from './data/dataset.js';
import { buildSummarizer, disposeSummarizer, modelConfigSchema, type ModelConfig, type Summarizer } from './model.js';
import { decodeSettings, sharedStepFunction, summarizeDecodeSchema, summarizeTokens, summaryRow, type DecodeSettings, type SummaryOutput } from './summarize.js';

/**
 * summarize's predictor, for the CLI, a server and a web page alike: no Node APIs here or in what it imports. A page
 * builds it with `predictorFromArtifacts(await loadModelFromUrl(url))`; Node reads a directory with
 * `loadSummarizeModel` (load-model.ts). Both go through `summarizerFromAppModel`.
 */

export const SUMMARIZE_APP = 'summarize';

/** What summarize's model directories record besides the weights (read back by summarizerFromAppModel). */
export const summarizeExtrasSchema = z.strictObject({
  model: modelConfigSchema,
  /** Task, truncation and vocabulary settings: predict truncates sources to dataConfig.maxSrcLen, evaluate reuses them. */
  dataConfig: dataConfigSchema,
  vocab: z.unknown(),
  /** The resolved dataset path (shown by `info`; evaluate's default data). */
  data: z.string(),
});
export type SummarizeExtras = z.output<typeof summarizeExtrasSchema>;

export interface LoadedSummarizer {
  dir: string;
  summarizer: Summarizer;
  vocab: Vocab;
  model: ModelConfig;
  dataConfig: DataConfig;
  /** The training config the model was trained with (data path, columns, seed, ...). */
  config: Record<string, unknown>;
  data: string;
}

/**
 * The summarizer of a loaded model (from a directory or from fetched files, its extras validated): the network
 * rebuilt from extras.model and extras.vocab, checked against the saved weights, which it then takes. The loaded
 * model is disposed in every case (its weights are copied).
 */
export function summarizerFromAppModel(loaded: LoadedAppModel<SummarizeExtras>): LoadedSummarizer {
  const source = `${loaded.dir}/rnnkit.json`;
  try {
    const { model, dataConfig, data } = loaded.extras;
    const vocab = Vocab.fromJSON(loaded.extras.vocab, `${source} (field "extras.vocab")`);
    checkSizesAgainstWeights(loaded.model, { 'extras.model.units': model.units, 'extras.model.embedDim': model.embedDim, 'extras.vocab (size)': vocab.size }, source);
    // The decoding step model shares the training model's layers: rebuild both, then take the saved weights.
    const summarizer = buildSummarizer(model, vocab.size);
    const saved = loaded.model.getWeights();
    const want = summarizer.train.weights;
    const mismatch = saved.length !== want.length ? 0 : saved.findIndex((w, i) => w.shape.join() !== want[i].shape.join());
    if (saved.length !== want.length || mismatch >= 0) {
      disposeSummarizer(summarizer);
      throw new RnnkitError(`${source}: extras.model and extras.vocab describe another network than the saved weights ` +
        (saved.length !== want.length ? `(${saved.length} weights, expected ${want.length})` : `(weight ${want[mismatch].originalName})`));
    }
    summarizer.train.setWeights(saved);
    return { dir: loaded.dir, summarizer, vocab, model, dataConfig, config: loaded.config, data };
  } finally {
    loaded.model.dispose();
  }
}

/** summarize's predictor input: the text, how to decode it, and whether to return the attention weights. */
export const summarizeInputSchema = z.strictObject({
  text: z.string().min(1).max(1_000_000).refine((t) => tokenize(t).length > 0, 'has no words to summarize'),
  decode: summarizeDecodeSchema.optional(),
  /** Also return the attention weights (one row per summary token over the source tokens) and the source tokens. */
  attention: z.boolean().optional(),
});
export type SummarizeInput = z.input<typeof summarizeInputSchema>;

export interface SummarizeOutput {
  summary: string;
  /** The summary's tokens (lowercased words and punctuation; `summary` joins them). */
  tokens: string[];
  /** The decoder's score: log-probability of the summary, length-normalized for beam search. */
  score: number;
  /** With `attention: true`: per summary token, its attention over `sourceTokens`. */
  attention?: number[][];
  /** With `attention: true`: the source tokens the model read (truncated to the model's maxSrcLen). */
  sourceTokens?: string[];
  /**
   * With `attention: true`: per summary token, the pointer-generator's copy probability (1 − p_gen) at that step:
   * near 1 the word was copied from the source (where `attention` points), near 0 generated from the vocabulary.
   */
  copyProbability?: number[];
}

/** A small valid input (tests, docs, the server's example). */
export const exampleInput: SummarizeInput = {
  text: 'The Delhi government on Monday said it saved 290 MW of power during the Earth Hour, as lights were switched off across the city for an hour.',
  decode: { strategy: 'greedy', maxLen: 12 },
};

/**
 * The summarize predictor: text in, summary out. Greedy and sampled decoding stream word by word; beam search
 * delivers its summary whole (one piece). predictBatch decodes the greedy inputs that share their settings in one
 * batched pass (a server's micro-batching); the others one by one.
 */
export function summarizePredictor(loaded: LoadedSummarizer): Predictor<z.output<typeof summarizeInputSchema>, SummarizeOutput> {
  type Input = z.output<typeof summarizeInputSchema>;
  const source = (input: Input) => tokenize(input.text).slice(0, loaded.dataConfig.maxSrcLen);
  const output = (input: Input, out: SummaryOutput): SummarizeOutput => ({
    summary: out.text,
    tokens: out.tokens,
    score: out.score,
    ...(input.attention ? { attention: out.attention, sourceTokens: out.srcTokens, copyProbability: out.copyProbability } : {}),
  });
  const run = (input: Input, onToken?: (text: string) => void): SummarizeOutput => {
    const settings = decodeSettings(input.decode);
    const streamsTokens = settings.sampling !== undefined || settings.beamWidth === 1;
    if (onToken && streamsTokens) settings.onPiece = (piece) => onToken(piece);
    const [out] = summarizeTokens(loaded.summarizer, loaded.vocab, [source(input)], settings);
    if (onToken && !streamsTokens) onToken(out.text);
    return output(input, out);
  };
  const runBatch = (inputs: Input[]): SummarizeOutput[] => {
    const outputs: SummarizeOutput[] = new Array(inputs.length);
    const greedy = new Map<string, { settings: DecodeSettings; rows: number[] }>();
    inputs.forEach((input, i) => {
      const settings = decodeSettings(input.decode);
      if (settings.sampling || settings.beamWidth > 1) {
        outputs[i] = run(input);
        return;
      }
      const key = JSON.stringify(settings);
      const group = greedy.get(key) ?? { settings, rows: [] };
      group.rows.push(i);
      greedy.set(key, group);
    });
    for (const { settings, rows } of greedy.values()) {
      const outs = summarizeTokens(loaded.summarizer, loaded.vocab, rows.map((i) => source(inputs[i])), settings);
      rows.forEach((i, k) => (outputs[i] = output(inputs[i], outs[k])));
    }
    return outputs;
  };
  // Greedy and sampled summaries share decoding steps with other requests (a server's batched decoding); beam search runs whole.
  const shared = sharedStepFunction(loaded.summarizer, loaded.vocab, loaded.dataConfig.maxSrcLen);
  const stepDecoding = {
    stepFunction: shared,
    shares: (input: Input) => {
      const settings = decodeSettings(input.decode);
      return settings.sampling !== undefined || settings.beamWidth === 1;
    },
    start: (input: Input, onToken?: (text: string) => void) => {
      const settings = decodeSettings(input.decode);
      if (onToken) settings.onPiece = (piece) => onToken(piece);
      const { row, finish } = summaryRow(loaded.summarizer, loaded.vocab, shared.extSize, source(input), settings);
      return { row, finish: (result: Parameters<typeof finish>[0]) => output(input, finish(result)) };
    },
  };
  return createPredictor(SUMMARIZE_APP, summarizeInputSchema, run, () => disposeSummarizer(loaded.summarizer), { streams: true, runBatch, stepDecoding });
}

/**
 * The predictor of a model a page fetched (`loadModelFromUrl`) or read into memory (`loadModelFromArtifacts`):
 * refuses another app's model and invalid extras, disposing the model.
 */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof summarizeInputSchema>, SummarizeOutput> {
  return summarizePredictor(summarizerFromAppModel(appModelFromArtifacts(loaded, SUMMARIZE_APP, summarizeExtrasSchema)));
}
