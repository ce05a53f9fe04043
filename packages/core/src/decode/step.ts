import type * as tf from '@tensorflow/tfjs';

/** What one decoding step returns. The decoder takes ownership of every tensor in it. */
export interface StepOutput {
  /** Log-probabilities of the next token, [N, V]. */
  logProbs: tf.Tensor2D;
  /** New recurrent states, batch-first ([N, ...]); may include constant context passed through unchanged. */
  states: tf.Tensor[];
  /** Optional per-row output to keep with each hypothesis (e.g. attention weights [N, S]). */
  extras?: tf.Tensor;
}

/**
 * One step of a left-to-right model: feed token ids [N] with states, get next-token log-probabilities.
 * A char LM and a Seq2Seq decoder both implement this, so every decoding strategy works with both.
 */
export interface StepFunction {
  step(tokens: Int32Array, states: tf.Tensor[]): StepOutput;
  /**
   * Optional: the states of rows `rows` of `states` (beam search keeps each surviving beam's parent row). Without it
   * the decoder gathers every state tensor. A step function whose states hold constant context (a Seq2Seq's encoder
   * outputs) can hand back a context tensor itself when the selected rows hold the same values as its rows already
   * do, instead of copying it at every step. The decoder owns the result like a step's states.
   */
  selectRows?(states: tf.Tensor[], rows: number[]): tf.Tensor[];
}

/** Options shared by all decoding strategies. */
export interface DecodeOptions {
  /** Start token fed first (ignored when `prompt` is given). */
  bos?: number;
  /** Tokens fed before generation starts (e.g. a char LM's priming text); default [bos]. */
  prompt?: number[];
  /** Generation stops when this token is produced; it is not included in `tokens`. */
  eos?: number;
  /** Maximum number of generated tokens (EOS included). */
  maxLen: number;
  /** EOS is forbidden before this many tokens have been generated. */
  minLen?: number;
  /** Forbid any token that would repeat an n-gram of this size already in the sequence (prompt included). */
  noRepeatNgram?: number;
  /** Tokens never to generate (e.g. PAD, BOS, UNK). */
  bannedTokens?: number[];
  /**
   * Forbid generating a token already generated in this sequence (the prompt does not count), unless it is in
   * `repeatableTokens`. Blocks the unigram repeats ("delhi delhi delhi") that n-gram blocking lets through.
   */
  noRepeatTokens?: boolean;
  /** With `noRepeatTokens`: tokens that may repeat (stop words, punctuation, EOS need not be listed). */
  repeatableTokens?: ReadonlySet<number>;
  /**
   * Greedy/sampling only: called with each generated token (EOS excluded) as soon as it is chosen, for streaming,
   * with its row of the step's `extras` when the step function gives them (a copy-attention's weights).
   */
  onToken?: (token: number, row: number, extras?: Float32Array) => void;
}

export interface DecodeResult {
  /** Generated tokens, without the prompt and without EOS. */
  tokens: number[];
  /** Ranking score: the log-probability, length-normalized for beam search when lengthPenalty != 0. */
  score: number;
  /** Sum of log-probabilities of the generated tokens (EOS included). */
  logProb: number;
  /** Whether EOS was produced (false: stopped at maxLen). */
  finished: boolean;
  /** Per generated token, the step's `extras` row flattened (e.g. one attention distribution per output token). */
  extras?: number[][];
}
