import * as tf from '@tensorflow/tfjs';
import { RnnkitError, SPECIAL_TOKENS, decode, fusedStepFunction, runModel, rng as sharedRng } from '@rnnkit/core/browser';
import type { DecodeRequest, DecodeResult, Rng, SampleOptions, SharedRow, StepFunction, StepOutput, Vocab } from '@rnnkit/core/browser';
import { encodeText } from './chars.js';
import { zeroStates, type TextgenModelConfig } from './model.js';

export interface GenerateOptions extends SampleOptions {
  /** Number of characters to generate after the priming text. */
  length: number;
  /** Default: core's shared seeded generator (see setSeed). */
  rng?: Rng;
  /** Called with each character as soon as it is sampled (the CLI streams them to stdout). */
  onChar?: (char: string) => void;
}

/**
 * The step model as core's StepFunction: token ids [N] and states in, next-character log-probabilities [N, V] and
 * new states out. Core's decoding (greedy, sampling, beam) runs on it like on a Seq2Seq decoder.
 */
export class CharStepFunction implements StepFunction {
  constructor(private readonly stepModel: tf.LayersModel) {}

  step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
    return tf.tidy(() => {
      const [logits, ...next] = runModel(this.stepModel, [tf.tensor2d(tokens, [tokens.length, 1], 'int32'), ...states]);
      return { logProbs: tf.logSoftmax(logits.reshape([tokens.length, -1])) as tf.Tensor2D, states: next };
    });
  }
}

/**
 * Generates text from a step model (see model.ts) through core's decoding: the priming text is read in one call,
 * then core's greedy/sampling loop feeds one character per step, carrying the recurrent state, so n characters cost
 * n one-timestep calls whatever the prefix length. The reserved ids (<pad>, <unk>, ...) are banned tokens.
 */
export class CharGenerator {
  /**
   * The one-character step (shared by every request of a server's batched decoding): one native call per step when
   * @rnnkit/native is active (core's fusedStepFunction), else the step model through tfjs.
   */
  readonly stepFn: StepFunction;

  constructor(
    private readonly stepModel: tf.LayersModel,
    private readonly config: TextgenModelConfig,
    private readonly vocab: Vocab,
  ) {
    this.stepFn = fusedStepFunction(stepModel, new CharStepFunction(stepModel));
  }

  generate(prime: string, opts: GenerateOptions): string {
    const { ids, request } = this.request(prime, opts);
    if (opts.length === 0) return '';
    // All but the last priming character in one call; decoding starts by feeding the last one.
    const states = this.primeStates(ids.subarray(0, ids.length - 1));
    let result: DecodeResult;
    try {
      [result] = decode(this.stepFn, states, request);
    } finally {
      tf.dispose(states); // decoding owns only the states it creates
    }
    return this.text(result);
  }

  /**
   * `generate` as a row of core's SharedDecoder (requests that step together): its primed states and options, and
   * the text of its result: the same characters as `generate` with the same options.
   */
  startRow(prime: string, opts: GenerateOptions): { row: SharedRow; finish(result: DecodeResult): string } {
    const { ids, request } = this.request(prime, opts);
    if (opts.length === 0) throw new RnnkitError('a shared decoding row needs a length >= 1');
    const states = this.primeStates(ids.subarray(0, ids.length - 1));
    return { row: { states, opts: request }, finish: (result) => this.text(result) };
  }

  /** Checks the priming text and options; the decoding request that continues the text. */
  private request(prime: string, opts: GenerateOptions): { ids: Int32Array; request: DecodeRequest & { strategy: 'greedy' | 'sample' } } {
    if (prime.length === 0) throw new RnnkitError('the priming text must contain at least one character');
    if (!Number.isInteger(opts.length) || opts.length < 0) throw new RnnkitError(`the length must be an integer >= 0, got ${opts.length}`);
    const ids = encodeText(this.vocab, prime, 'input: field "text"');
    const temperature = opts.temperature ?? 1;
    const request = {
      strategy: temperature === 0 ? ('greedy' as const) : ('sample' as const),
      prompt: [ids[ids.length - 1]],
      maxLen: opts.length,
      bannedTokens: SPECIAL_IDS,
      temperature,
      topK: opts.topK,
      topP: opts.topP,
      rng: opts.rng ?? sharedRng(),
      onToken: opts.onChar ? (id: number) => opts.onChar!(this.vocab.tokenOf(id)) : undefined,
    };
    return { ids, request };
  }

  private text(result: DecodeResult): string {
    return result.tokens.map((id) => this.vocab.tokenOf(id)).join('');
  }

  /** The recurrent states after reading `ids` from zero states (zero states for no ids). */
  private primeStates(ids: Int32Array): tf.Tensor[] {
    const zeros = zeroStates(this.config, 1);
    if (ids.length === 0) return zeros;
    const next = tf.tidy(() => {
      const [, ...states] = runModel(this.stepModel, [tf.tensor2d(ids, [1, ids.length], 'int32'), ...zeros]);
      return states;
    });
    tf.dispose(zeros);
    return next;
  }
}

/** The reserved ids (<pad>, <unk>, ...) never occur in text; decoding never emits them. */
const SPECIAL_IDS = SPECIAL_TOKENS.map((_, id) => id);
