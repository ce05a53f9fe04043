import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RnnkitError, Vocab, checkSizesAgainstWeights, createPredictor, decodingRequestSchema, loadAppModel, rng as sharedRng, seededRng, type Predictor } from '@rnnkit/core';
import { CharGenerator } from './generate.js';
import { buildStepModel, type TextgenModelConfig } from './model.js';
import { textgenExtrasSchema } from './train.js';

export const TEXTGEN_APP = 'textgen';

export interface LoadedTextgen {
  dir: string;
  model: tf.LayersModel;
  stepModel: tf.LayersModel;
  config: TextgenModelConfig;
  vocab: Vocab;
}

/** Loads a textgen model directory (or a run directory holding model/) through core's one loader. */
export async function loadTextgenModel(dir: string): Promise<LoadedTextgen> {
  const loaded = await loadAppModel(dir, TEXTGEN_APP, textgenExtrasSchema);
  const source = `${loaded.dir}/rnnkit.json`;
  const config = loaded.extras.model;
  try {
    checkSizesAgainstWeights(loaded.model, { 'extras.model.vocabSize': config.vocabSize, 'extras.model.embedDim': config.embedDim, 'extras.model.units': config.units }, source);
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
  const vocab = Vocab.fromJSON(loaded.extras.vocab, `${source} (field "extras.vocab")`);
  if (vocab.size !== config.vocabSize) {
    loaded.model.dispose();
    throw new RnnkitError(`${source}: vocab has ${vocab.size} entries but extras.model.vocabSize is ${config.vocabSize}`);
  }
  return { dir: loaded.dir, model: loaded.model, stepModel: buildStepModel(config, loaded.model), config, vocab };
}

/** textgen's predictor input: the priming text and how to decode. Characters only (greedy or sampled). */
export const textgenInputSchema = z.strictObject({
  text: z.string().min(1).max(100_000),
  decode: decodingRequestSchema
    .refine((d) => d.strategy !== 'beam' && d.beamWidth === undefined && d.lengthPenalty === undefined, {
      message: 'textgen decodes greedily or by sampling; beam search options do not apply',
    })
    .optional(),
});
export type TextgenInput = z.input<typeof textgenInputSchema>;

export interface TextgenOutput {
  /** The generated continuation (without the priming text). */
  text: string;
}

/** Defaults of a request's decoding options. */
export const TEXTGEN_DECODE_DEFAULTS = { maxLen: 500, temperature: 0.8 } as const;

/** The textgen predictor: priming text in, sampled continuation out, streamed character by character. */
export function textgenPredictor(loaded: LoadedTextgen): Predictor<z.output<typeof textgenInputSchema>, TextgenOutput> {
  const generator = new CharGenerator(loaded.stepModel, loaded.config, loaded.vocab);
  return createPredictor(
    TEXTGEN_APP,
    textgenInputSchema,
    (input, onToken) => {
      const d = input.decode ?? {};
      const temperature = d.strategy === 'greedy' ? 0 : (d.temperature ?? TEXTGEN_DECODE_DEFAULTS.temperature);
      const text = generator.generate(input.text, {
        length: d.maxLen ?? TEXTGEN_DECODE_DEFAULTS.maxLen,
        temperature,
        topK: d.topK,
        topP: d.topP,
        rng: d.seed !== undefined ? seededRng(d.seed) : sharedRng(),
        onChar: onToken,
      });
      return { text };
    },
    () => {
      loaded.stepModel.dispose();
      loaded.model.dispose();
    },
    { streams: true },
  );
}
