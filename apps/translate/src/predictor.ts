// The predictor: what the CLI's `predict`, rnnkit-serve and a web page run. Browser-safe: it imports only
// `@rnnkit/core/browser`; reading a model directory from disk is load-model.ts.
import { z } from 'zod';
import {
  appModelFromArtifacts, checkSizesAgainstWeights, createPredictor, decodingRequestSchema, disposeSeq2Seq, RnnkitError, Vocab,
  type LoadedAppModel, type LoadedModelArtifacts, type Predictor, type Seq2SeqModels,
} from '@rnnkit/core/browser';
import { extrasSchema, type TranslateExtras } from './extras.js';
import { buildTranslationModel } from './model.js';
import { resolveDecoding, Translator, type Translation } from './translator.js';

export const APP_NAME = 'translate';
const MAX_INPUT_CHARS = 2000;

/** The predictor's input: one English sentence, how to decode it, and whether to return the attention weights. */
export const inputSchema = z.strictObject({
  text: z.string().min(1).max(MAX_INPUT_CHARS).refine((t) => t.trim() !== '', { message: 'must contain a word' }),
  decode: decodingRequestSchema.optional(),
  attention: z.boolean().optional(),
});
export type AppInput = z.input<typeof inputSchema>;

export const outputSchema = z.strictObject({
  /** The best translation (Simplified Chinese). */
  translation: z.string(),
  score: z.number(),
  /** Beam search: every finished hypothesis, best first (the first is `translation`), with its score. */
  nBest: z.array(z.strictObject({ translation: z.string(), score: z.number() })).optional(),
  /** English words the model never saw in training (read as <unk>). */
  unknown: z.array(z.string()),
  attention: z.strictObject({ sourceTokens: z.array(z.string()), targetTokens: z.array(z.string()), weights: z.array(z.array(z.number())) }).optional(),
});
export type AppOutput = z.output<typeof outputSchema>;

export const exampleInput = { text: 'I love you.', decode: { beamWidth: 3 } } satisfies AppInput;

/** The translator of a loaded model, rebuilt from its extras and checked against its weights (which it copies). */
export function translatorFromAppModel(loaded: LoadedAppModel<TranslateExtras>): Translator {
  const source = `${loaded.dir}/rnnkit.json`;
  let models: Seq2SeqModels | undefined;
  try {
    const { extras } = loaded;
    const srcVocab = Vocab.fromJSON(extras.srcVocab, `${source} (field "extras.srcVocab")`);
    const tgtVocab = Vocab.fromJSON(extras.tgtVocab, `${source} (field "extras.tgtVocab")`);
    checkSizesAgainstWeights(loaded.model, {
      'extras.model.embedDim': extras.model.embedDim, 'extras.model.units': extras.model.units,
      'extras.srcVocab (size)': srcVocab.size, 'extras.tgtVocab (size)': tgtVocab.size,
    }, source);
    models = buildTranslationModel(extras.model, srcVocab.size, tgtVocab.size);
    try {
      models.train.setWeights(loaded.model.getWeights());
    } catch (err) {
      throw new RnnkitError(`${source}: the saved weights do not fit extras.model and the vocabularies (${(err as Error).message.split('\n')[0]})`);
    }
    const translator = new Translator(models, srcVocab, tgtVocab, extras.text, extras.model, extras.data);
    models = undefined;
    return translator;
  } finally {
    if (models) disposeSeq2Seq(models);
    loaded.model.dispose();
  }
}

export type TranslatePredictor = Predictor<z.output<typeof inputSchema>, AppOutput>;

export function translatePredictor(translator: Translator): TranslatePredictor {
  type Input = z.output<typeof inputSchema>;
  const output = (input: Input, t: Translation): AppOutput => {
    const beam = resolveDecoding(input.decode).strategy === 'beam';
    return {
      translation: t.text,
      score: t.score,
      ...(beam ? { nBest: [{ translation: t.text, score: t.score }, ...t.alternatives.map((a) => ({ translation: a.text, score: a.score }))] } : {}),
      unknown: t.unknown,
      ...(input.attention
        ? { attention: { sourceTokens: t.sourceTokens, targetTokens: [...t.tokens, '<eos>'].slice(0, t.attention.length), weights: t.attention } }
        : {}),
    };
  };
  return createPredictor(
    APP_NAME,
    inputSchema,
    (input): AppOutput => output(input, translator.translate(input.text, input.decode)),
    () => translator.dispose(),
    {
      // A server's micro-batch: the sentences with the same decoding settings are decoded together (beam search too).
      runBatch: (inputs) => translator.translateMany(inputs).map((t, i) => output(inputs[i], t)),
    },
  );
}

/** The predictor of a model whose files a page fetched (`loadModelFromUrl` / `loadModelFromArtifacts`). */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): TranslatePredictor {
  return translatePredictor(translatorFromAppModel(appModelFromArtifacts(loaded, APP_NAME, extrasSchema)));
}
