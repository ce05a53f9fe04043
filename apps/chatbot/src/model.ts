import { z } from 'zod';
import { buildSeq2Seq, sharedVocabSeq2SeqConfig, type Seq2SeqConfig, type Seq2SeqModels } from '@rnnkit/core/browser';

/**
 * The chatbot network, read top to bottom:
 *   1. one embedding table shared by the encoder and the decoder (user and bot speak the same language, and a
 *      ~2k-pair corpus is too small to learn two tables);
 *   2. a bidirectional GRU encoder over the context, giving one vector per context token (forward ++ backward);
 *   3. a GRU decoder over the response so far (teacher forcing: the true previous token during training), started
 *      from the encoder's final states;
 *   4. Luong attention: each decoder output scores every encoder output (dot product, or through a learned matrix
 *      for 'general'), and the weighted sum of encoder outputs is concatenated with the decoder output;
 *   5. a tanh dense layer and a softmax over the vocabulary.
 * The decoder is twice as wide as each encoder direction so that 'dot' attention compares vectors of equal size.
 * Building and wiring is core's buildSeq2Seq; this file only fixes the choices above.
 */

/** The network's settings, as recorded in the model directory (extras.model). */
export const chatModelConfigSchema = z.strictObject({
  embedDim: z.number().int().min(1),
  /** Units per encoder direction; the decoder has 2 × units. */
  units: z.number().int().min(1),
  attention: z.enum(['dot', 'general']),
  dropout: z.number().min(0).max(0.95),
});
export type ChatModelConfig = z.output<typeof chatModelConfigSchema>;

// ~1.6k training pairs are memorized within a few epochs, so early stopping picks the epoch; this wider model with
// light dropout reached a lower held-out perplexity than embed/units 64 with dropout 0.4 (README, "Measured figures").
export const DEFAULT_MODEL_CONFIG: ChatModelConfig = { embedDim: 128, units: 128, attention: 'general', dropout: 0.2 };

export function seq2seqConfig(cfg: ChatModelConfig, vocabSize: number, seed?: number): Seq2SeqConfig {
  return sharedVocabSeq2SeqConfig({ vocabSize, embedDim: cfg.embedDim, cell: 'gru', units: cfg.units, attention: cfg.attention, dropout: cfg.dropout, seed });
}

export function buildChatModel(cfg: ChatModelConfig, vocabSize: number, seed?: number): Seq2SeqModels {
  return buildSeq2Seq(seq2seqConfig(cfg, vocabSize, seed));
}
