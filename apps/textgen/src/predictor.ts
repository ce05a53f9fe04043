import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  RnnkitError, Vocab, appModelFromArtifacts, checkSizesAgainstWeights, createPredictor, decodingRequestSchema, rng as sharedRng, seededRng,
  type LoadedAppModel, type LoadedModelArtifacts, type Predictor,
} from '@rnnkit/core/browser';
import { textgenExtrasSchema, type TextgenExtras } from './extras.js';
import { CharGenerator, type GenerateOptions } from './generate.js';
import { buildStepModel, type TextgenModelConfig } from './model.js';

/**
 * textgen's predictor, for the CLI, a server and a web page alike: no Node APIs here or in what it imports. A page
 * builds it with `predictorFromArtifacts(await loadModelFromUrl(url))`; Node reads a directory with
 * `loadTextgenModel` (load-model.ts). Both go through `textgenFromAppModel`.
 */

export const TEXTGEN_APP = 'textgen';

export interface LoadedTextgen {
  dir: string;
  model: tf.LayersModel;
  stepModel: tf.LayersModel;
  config: TextgenModelConfig;
  vocab: Vocab;
}

/**
 * A loaded textgen model (from a directory or from fetched files, its extras validated) with its step model built;
 * checks the sizes in rnnkit.json against the weights first. Disposes the model when a check fails.
 */
export function textgenFromAppModel(loaded: LoadedAppModel<TextgenExtras>): LoadedTextgen {
  const source = `${loaded.dir}/rnnkit.json`;
  const config = loaded.extras.model;
  try {
    checkSizesAgainstWeights(loaded.model, { 'extras.model.vocabSize': config.vocabSize, 'extras.model.embedDim': config.embedDim, 'extras.model.units': config.units }, source);
    const vocab = Vocab.fromJSON(loaded.extras.vocab, `${source} (field "extras.vocab")`);
    if (vocab.size !== config.vocabSize) throw new RnnkitError(`${source}: vocab has ${vocab.size} entries but extras.model.vocabSize is ${config.vocabSize}`);
    return { dir: loaded.dir, model: loaded.model, stepModel: buildStepModel(config, loaded.model), config, vocab };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
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

/** A small valid input (help, docs, the server's example, tests): 40 characters after "ROMEO:", sampled with seed 1. */
export const exampleInput: TextgenInput = { text: 'ROMEO:', decode: { maxLen: 40, temperature: 0.8, seed: 1 } };

/** The textgen predictor: priming text in, sampled continuation out, streamed character by character. */
export function textgenPredictor(loaded: LoadedTextgen): Predictor<z.output<typeof textgenInputSchema>, TextgenOutput> {
  const generator = new CharGenerator(loaded.stepModel, loaded.config, loaded.vocab);
  type Input = z.output<typeof textgenInputSchema>;
  const options = (input: Input, onToken?: (text: string) => void): GenerateOptions => {
    const d = input.decode ?? {};
    return {
      length: d.maxLen ?? TEXTGEN_DECODE_DEFAULTS.maxLen,
      temperature: d.strategy === 'greedy' ? 0 : (d.temperature ?? TEXTGEN_DECODE_DEFAULTS.temperature),
      topK: d.topK,
      topP: d.topP,
      rng: d.seed !== undefined ? seededRng(d.seed) : sharedRng(),
      onChar: onToken,
    };
  };
  return createPredictor(
    TEXTGEN_APP,
    textgenInputSchema,
    (input, onToken) => ({ text: generator.generate(input.text, options(input, onToken)) }),
    () => {
      loaded.stepModel.dispose();
      loaded.model.dispose();
    },
    {
      streams: true,
      // Every textgen request decodes greedily or by sampling: all of them can share steps.
      stepDecoding: {
        stepFunction: generator.stepFn,
        shares: () => true,
        start: (input, onToken) => {
          const { row, finish } = generator.startRow(input.text, options(input, onToken));
          return { row, finish: (result) => ({ text: finish(result) }) };
        },
      },
    },
  );
}

/**
 * The predictor of a model a page fetched (`loadModelFromUrl`) or read into memory (`loadModelFromArtifacts`):
 * refuses another app's model and invalid extras, disposing the model.
 */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor<z.output<typeof textgenInputSchema>, TextgenOutput> {
  return textgenPredictor(textgenFromAppModel(appModelFromArtifacts(loaded, TEXTGEN_APP, textgenExtrasSchema)));
}
