import * as tf from '@tensorflow/tfjs';
import { RnnkitError, SPECIAL_TOKENS, runModel, rng as sharedRng, sampleNext } from '@rnnkit/core';
import type { Rng, SampleOptions, Vocab } from '@rnnkit/core';
import { encodeText } from './data.js';
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
 * Samples text from a step model (see model.ts) with the recurrent state carried between calls:
 * one call reads the whole priming text, then one call per new character feeds just that character.
 * Generating n characters therefore costs n model calls of one timestep each, whatever the prefix length.
 */
export class CharGenerator {
  constructor(
    private readonly stepModel: tf.LayersModel,
    private readonly config: TextgenModelConfig,
    private readonly vocab: Vocab,
  ) {}

  generate(prime: string, opts: GenerateOptions): string {
    if (prime.length === 0) throw new RnnkitError('the priming text must contain at least one character');
    if (!Number.isInteger(opts.length) || opts.length < 0) throw new RnnkitError(`the length must be an integer >= 0, got ${opts.length}`);
    const ids = encodeText(this.vocab, prime, 'input field "text"');
    const rng = opts.rng ?? sharedRng();
    let states: tf.Tensor[] = zeroStates(this.config, 1);
    const out: string[] = [];
    try {
      let input = ids;
      for (let i = 0; i < opts.length; i++) {
        const { logProbs, next } = this.feed(input, states);
        states.forEach((s) => s.dispose());
        states = next;
        // The reserved ids (<pad>, <unk>, ...) never occur in text; never emit them.
        for (let id = 0; id < SPECIAL_TOKENS.length; id++) logProbs[id] = -Infinity;
        const id = sampleNext(logProbs, opts, rng);
        const char = this.vocab.tokenOf(id);
        out.push(char);
        opts.onChar?.(char);
        input = Int32Array.of(id);
      }
    } finally {
      states.forEach((s) => s.dispose());
    }
    return out.join('');
  }

  /** Runs the step model on `ids` (batch 1) from `states`; returns the next-char log-probabilities and new states. */
  private feed(ids: Int32Array, states: tf.Tensor[]): { logProbs: Float32Array; next: tf.Tensor[] } {
    const [logits, ...next] = tf.tidy(() => {
      const tokens = tf.tensor2d(ids, [1, ids.length], 'int32');
      const [allLogits, ...newStates] = runModel(this.stepModel, [tokens, ...states]);
      const last = allLogits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1]);
      return [tf.logSoftmax(last), ...newStates];
    });
    const logProbs = logits.dataSync().slice() as Float32Array;
    logits.dispose();
    return { logProbs, next };
  }
}
