import { z } from 'zod';
import type { SharedRow } from '../decode/shared.js';
import type { DecodeResult, StepFunction } from '../decode/step.js';
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
  /**
   * The validation half of `predict`: `input` checked against `inputSchema` (a one-line RnnkitError naming the field,
   * after `where`, default "input"), returned as `run` takes it. A server validates each request once, on arrival,
   * and then calls `run`/`runBatch`; `predict` is `run(parse(input))`.
   */
  parse?(input: unknown, where?: string): I;
  /** `predict` (with `onToken`: `stream`) on an input `parse` returned, without validating it again. */
  run?(input: I, onToken?: (text: string) => void): Promise<O>;
  /** `predictBatch` on inputs `parse` returned, without validating them again. */
  runBatch?(inputs: I[]): Promise<O[]>;
  /** Token-generating apps: how concurrent requests share decoding steps (a server's batched decoding). */
  stepDecoding?: StepDecoding<I, O>;
  /** Frees the model's tensors. */
  dispose(): void;
}

/**
 * A predictor's requests as rows of core's SharedDecoder: the greedy and sampled ones of one model step together,
 * joining and leaving the batch independently, each with the output `run` gives it alone.
 */
export interface StepDecoding<I, O> {
  /** The model's one-token step (the decoder of every shared batch of this predictor). */
  readonly stepFunction: StepFunction;
  /** Whether `input` (from `parse`) decodes greedily or by sampling; beam search runs whole through `run`. */
  shares(input: I): boolean;
  /**
   * Starts `input`'s decoding (reads its priming text or runs the encoder, one model call): its row for the decoder
   * and how to turn the row's result into the output. `onToken` gets the text pieces `stream` would give.
   */
  start(input: I, onToken?: (text: string) => void): SharedRequest<O>;
}

/** One request's row of a SharedDecoder and its output once decoded. */
export interface SharedRequest<O> {
  row: SharedRow;
  /** The output for the row's result (the same as `run`'s); streams any text still held back to `onToken`. */
  finish(result: DecodeResult): O;
}

/**
 * Builds a Predictor from a schema and a function of the validated input. Options: `streams` (run takes onToken),
 * `runBatch` (predictBatch), `stepDecoding`, and `fastPath`: for inputs of thousands of numbers (an image's pixels),
 * where the schema checks each number by itself (~0.1 ms per 784), a loop that returns true only for inputs the
 * schema accepts and returns unchanged; those skip the schema, everything else (every invalid input among them)
 * goes through it and gets its error message.
 */
export function createPredictor<S extends z.ZodType, O>(
  app: string,
  inputSchema: S,
  run: (input: z.output<S>, onToken?: (text: string) => void) => O | Promise<O>,
  dispose: () => void,
  opts: {
    streams?: boolean;
    runBatch?: (inputs: z.output<S>[]) => O[] | Promise<O[]>;
    stepDecoding?: StepDecoding<z.output<S>, O>;
    fastPath?: (input: unknown) => boolean;
  } = {},
): Predictor<z.output<S>, O> {
  const fastPath = opts.fastPath;
  const parse = (input: unknown, where = 'input'): z.output<S> =>
    fastPath?.(input) ? (input as z.output<S>) : parseWithSchema(inputSchema, input, where);
  const runBatch = opts.runBatch;
  return {
    app,
    inputSchema: inputSchema as unknown as z.ZodType<z.output<S>>,
    predict: async (input: unknown) => run(parse(input)),
    ...(opts.streams ? { stream: async (input: unknown, onToken: (text: string) => void) => run(parse(input), onToken) } : {}),
    ...(runBatch ? { predictBatch: async (inputs: unknown[]) => runBatch(inputs.map((x, i) => parse(x, `input[${i}]`))) } : {}),
    parse,
    run: async (input: z.output<S>, onToken?: (text: string) => void) => run(input, opts.streams ? onToken : undefined),
    ...(runBatch ? { runBatch: async (inputs: z.output<S>[]) => runBatch(inputs) } : {}),
    ...(opts.stepDecoding ? { stepDecoding: opts.stepDecoding } : {}),
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
