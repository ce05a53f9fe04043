import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  RnnkitError, SubwordHasher, Vocab, appModelFromArtifacts, checkSizesAgainstWeights, createPredictor, runModel, tidyValues,
  type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { encodeTokens, modelInputs } from './encode.js';
import { sentimentExtrasSchema, type SentimentExtras } from './extras.js';
import { SUBWORD_LAYER, withAttentionOutput } from './model.js';
import { tokenizerFor } from './tokenize.js';

/**
 * The sentiment predictor, browser-safe: it imports tfjs, zod and @rnnkit/core/browser only, so a web page builds
 * it from fetched model files (`predictorFromArtifacts(await loadModelFromUrl(url))`) and the CLI and server from a
 * directory (load.ts, Node). Text in; the class, its probability, the tokens read and, for an attention model, each
 * token's attention weight out.
 */

export const SENTIMENT_APP = 'sentiment';

/** The predictor's input: one text (English words or Chinese characters, as the model was trained). */
export const sentimentInputSchema = z.strictObject({
  text: z.string().min(1).max(100_000),
});
export type SentimentInput = z.input<typeof sentimentInputSchema>;

export interface SentimentOutput {
  /** The most likely class's name ("negative" / "positive"). */
  label: string;
  labelId: number;
  /** Probability of `label`. */
  probability: number;
  /** Probability of every class, by class id. */
  probabilities: number[];
  /** The tokens the model read (lowercased words or characters), after cutting to the model's maxLen. */
  tokens: string[];
  /** Tokens outside the model's vocabulary (read as <unk>). */
  unknownTokens: string[];
  /** Attention models: one weight per token of `tokens`, summing to 1. */
  attention?: number[];
  /** The text had more tokens than the model reads (maxLen); only the first maxLen were read. */
  truncated: boolean;
}

/** A small valid input (help, docs, the server's example, the contract test). */
export const exampleInput: SentimentInput = { text: 'a gorgeous , witty , seductive movie .' };

export interface LoadedSentiment {
  dir: string;
  model: tf.LayersModel;
  /** The model with the attention weights as a second output (attention pooling), else null. */
  attentionModel: tf.LayersModel | null;
  extras: SentimentExtras;
  vocab: Vocab;
  /** The character n-gram hasher of a sub-word model (extras.model.subwords), else null. */
  subwords: SubwordHasher | null;
  tokenize: (text: string) => string[];
}

/**
 * Checks an app model's extras against its weights (crafted or mismatched rnnkit.json is refused naming the field)
 * and rebuilds the vocabulary and tokenizer. Disposes the model when a check fails.
 */
export function sentimentModelFrom(loaded: Pick<LoadedAppModel<SentimentExtras>, 'dir' | 'model' | 'extras'>): LoadedSentiment {
  const source = `${loaded.dir}/rnnkit.json`;
  try {
    const cfg = loaded.extras.model;
    const vocab = Vocab.fromJSON(loaded.extras.vocab, `${source} (field "extras.vocab")`);
    if (vocab.size !== cfg.vocabSize) throw new RnnkitError(`${source}: extras.vocab has ${vocab.size} entries but extras.model.vocabSize is ${cfg.vocabSize}`);
    checkSizesAgainstWeights(loaded.model, {
      'extras.model.vocabSize': cfg.vocabSize,
      'extras.model.embedDim': cfg.embedDim,
      'extras.model.units': cfg.units,
      ...(cfg.pooling !== 'last' ? { 'extras.model.attentionUnits': cfg.attentionUnits } : {}),
      ...(cfg.subwords ? { 'extras.model.subwords.buckets': cfg.subwords.buckets + 1 } : {}),
    }, source);
    const subwordLayer = loaded.model.layers.some((l) => l.name === SUBWORD_LAYER);
    if (subwordLayer !== (cfg.subwords !== undefined) || loaded.model.inputs.length !== (cfg.subwords ? 2 : 1)) {
      throw new RnnkitError(`${source}: extras.model.subwords is ${cfg.subwords ? 'set' : 'absent'} but the network ${subwordLayer ? 'has' : 'has no'} sub-word embedding layer`);
    }
    const classes = loaded.model.outputs[0].shape[1];
    if (classes !== cfg.numClasses) throw new RnnkitError(`${source}: extras.model.numClasses is ${cfg.numClasses} but the network has ${classes} outputs`);
    const attentionModel = withAttentionOutput(loaded.model);
    if ((attentionModel !== null) !== (cfg.pooling !== 'last')) {
      throw new RnnkitError(`${source}: extras.model.pooling is "${cfg.pooling}" but the network ${attentionModel ? 'has' : 'has no'} attention pooling layer`);
    }
    const subwords = cfg.subwords ? new SubwordHasher(cfg.subwords) : null;
    return { dir: loaded.dir, model: loaded.model, attentionModel, extras: loaded.extras, vocab, subwords, tokenize: tokenizerFor(loaded.extras.language) };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

/** Classifies texts in one model call (padded to the longest; padding is masked, so results match one at a time). */
export function classifyTexts(loaded: LoadedSentiment, texts: readonly string[]): SentimentOutput[] {
  const { extras, vocab } = loaded;
  const { maxLen } = extras.model;
  const tokenized = texts.map((t) => loaded.tokenize(t));
  const read = tokenized.map((t) => t.slice(0, maxLen));
  const seqs = read.map((t) => encodeTokens(vocab, t, maxLen));
  const time = seqs.reduce((m, s) => Math.max(m, s.length), 0);
  const inputs = () => modelInputs(seqs, loaded.subwords ? { tokens: read, hasher: loaded.subwords } : undefined);
  const [probs, weights] = tidyValues(() => runModel(loaded.attentionModel ?? loaded.model, inputs()));
  const k = extras.model.numClasses;
  return texts.map((_, i) => {
    const probabilities = Array.from(probs.subarray(i * k, (i + 1) * k));
    let labelId = 0;
    for (let c = 1; c < k; c++) if (probabilities[c] > probabilities[labelId]) labelId = c;
    const tokens = read[i];
    const output: SentimentOutput = {
      label: extras.classNames[labelId],
      labelId,
      probability: probabilities[labelId],
      probabilities,
      tokens,
      unknownTokens: vocab.unknownTokens(tokens),
      truncated: tokenized[i].length > maxLen,
    };
    if (weights) output.attention = Array.from(weights.subarray(i * time, i * time + tokens.length));
    return output;
  });
}

/** The predictor of a loaded model; `predictBatch` classifies several texts in one model call. */
export function sentimentPredictor(loaded: LoadedSentiment): Predictor<z.output<typeof sentimentInputSchema>, SentimentOutput> {
  const schema = sentimentInputSchema.refine((i) => loaded.tokenize(i.text).length > 0, {
    message: loaded.extras.language === 'en' ? 'has no words' : 'has no characters besides spaces',
    path: ['text'],
  });
  const dispose = () => {
    loaded.model.dispose();
  };
  return createPredictor(SENTIMENT_APP, schema, (input) => classifyTexts(loaded, [input.text])[0], dispose, {
    runBatch: (inputs) => (inputs.length === 0 ? [] : classifyTexts(loaded, inputs.map((i) => i.text))),
  });
}

/** A predictor from a model directory's files already in memory (a web page: `loadModelFromUrl`). */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof sentimentInputSchema>, SentimentOutput> {
  return sentimentPredictor(sentimentModelFrom(appModelFromArtifacts(loaded, SENTIMENT_APP, sentimentExtrasSchema)));
}

/** "positive (p = 0.973)" and, for attention models, the words by weight. */
export function formatPrediction(output: SentimentOutput): string {
  const lines = [`${output.label} (p = ${output.probability.toFixed(3)})`];
  if (output.attention) {
    const ranked = output.tokens.map((t, i) => ({ t, w: output.attention![i] })).sort((a, b) => b.w - a.w).slice(0, 8);
    lines.push(`attention: ${ranked.map((r) => `${r.t} ${r.w.toFixed(2)}`).join(', ')}`);
  }
  if (output.unknownTokens.length > 0) lines.push(`not in the vocabulary (read as <unk>): ${output.unknownTokens.slice(0, 20).join(' ')}`);
  if (output.truncated) lines.push(`note: only the first ${output.tokens.length} tokens were read`);
  return lines.join('\n');
}
