import { z } from 'zod';
import { parseWithSchema } from '../schema.js';

/**
 * The inference half of an app: a loaded model behind a typed, JSON-serializable input and output. The same object
 * serves the CLI's `predict`, an HTTP server and a web page, so this module and every predictor's inference code
 * use no Node APIs; reading the model directory from disk is a thin layer in front of it (`loadAppModel`).
 */
export interface Predictor<I = unknown, O = unknown> {
  /** The app whose model this is. */
  readonly app: string;
  /** Strict schema of the input: unknown fields are rejected, errors name the field. */
  readonly inputSchema: z.ZodType<I>;
  /** Validates `input` against `inputSchema`, then predicts. The output is plain JSON data. */
  predict(input: unknown): Promise<O>;
  /**
   * For apps that generate text token by token: like predict, calling `onToken` with each piece of text as soon as
   * it is decoded (greedy and sampled decoding; beam search delivers its result whole).
   */
  stream?(input: unknown, onToken: (text: string) => void): Promise<O>;
  /**
   * Several inputs in one model call (a server's micro-batching), when the app supports it: the same outputs as
   * `predict` on each input (probabilities within float tolerance). Each input is validated; a bad one rejects the
   * whole call, naming its index.
   */
  predictBatch?(inputs: unknown[]): Promise<O[]>;
  /** Frees the model's tensors. */
  dispose(): void;
}

/** Builds a Predictor from a schema and a function of the validated input. */
export function createPredictor<S extends z.ZodType, O>(
  app: string,
  inputSchema: S,
  run: (input: z.output<S>, onToken?: (text: string) => void) => O | Promise<O>,
  dispose: () => void,
  opts: { streams?: boolean; runBatch?: (inputs: z.output<S>[]) => O[] | Promise<O[]> } = {},
): Predictor<z.output<S>, O> {
  const parse = (input: unknown, where = 'input') => parseWithSchema(inputSchema, input, where);
  const runBatch = opts.runBatch;
  return {
    app,
    inputSchema: inputSchema as unknown as z.ZodType<z.output<S>>,
    predict: async (input: unknown) => run(parse(input)),
    ...(opts.streams ? { stream: async (input: unknown, onToken: (text: string) => void) => run(parse(input), onToken) } : {}),
    ...(runBatch ? { predictBatch: async (inputs: unknown[]) => runBatch(inputs.map((x, i) => parse(x, `input[${i}]`))) } : {}),
    dispose,
  };
}

/**
 * Decoding options shared by every app that generates tokens (textgen, summarize, chatbot): one set of names for
 * the CLI flags, the predictor input and the server. Apps use the fields that apply to them and default the rest.
 */
export const decodingRequestSchema = z.strictObject({
  /** greedy: the most likely token each step; sample: draw from the (tempered, truncated) distribution; beam: beam search. */
  strategy: z.enum(['greedy', 'sample', 'beam']).optional(),
  temperature: z.number().min(0).max(10).optional(),
  topK: z.number().int().min(1).optional(),
  topP: z.number().gt(0).max(1).optional(),
  beamWidth: z.number().int().min(1).max(64).optional(),
  lengthPenalty: z.number().min(0).max(10).optional(),
  /** Longest output, in the app's tokens (characters for textgen, words for the Seq2Seq apps). */
  maxLen: z.number().int().min(1).max(10_000).optional(),
  minLen: z.number().int().min(0).max(10_000).optional(),
  /** Forbid repeating n-grams of this size (0 = off). */
  noRepeatNgram: z.number().int().min(0).max(10).optional(),
  /** Seeds sampling, so the same input and seed give the same output. */
  seed: z.number().int().optional(),
});

export type DecodingRequest = z.infer<typeof decodingRequestSchema>;
