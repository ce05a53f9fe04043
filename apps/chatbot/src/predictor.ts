import { z } from 'zod';
import {
  appModelFromArtifacts, checkSizesAgainstWeights, RnnkitError, Vocab, createPredictor, decodingRequestSchema, disposeSeq2Seq,
  type LoadedAppModel, type LoadedModelArtifacts, type Predictor, type Seq2SeqModels,
} from '@rnnkit/core/browser';
import { CHATBOT_DECODE_DEFAULTS, Chatbot, resolveDecoding, type Reply } from './chatbot.js';
import { chatbotExtrasSchema, type ChatbotExtras } from './extras.js';
import { buildChatModel } from './model.js';

/**
 * chatbot's predictor, for the CLI, a server and a web page alike: no Node APIs here or in what it imports. A page
 * builds it with `predictorFromArtifacts(await loadModelFromUrl(url))`; Node reads a directory with `loadChatbot`
 * (load-model.ts). Both go through `chatbotFromAppModel`.
 */

export const CHATBOT_APP = 'chatbot';

/**
 * The chatbot of a loaded model (from a directory or from fetched files, its extras validated): the Seq2Seq models
 * rebuilt from extras.model and extras.vocab, checked against the saved weights, which they then take. The loaded
 * model is disposed in every case (its weights are copied).
 */
export function chatbotFromAppModel(loaded: LoadedAppModel<ChatbotExtras>): Chatbot {
  const source = `${loaded.dir}/rnnkit.json`;
  let models: Seq2SeqModels | undefined;
  try {
    const { extras } = loaded;
    const vocab = Vocab.fromJSON(extras.vocab, `${source} (field "extras.vocab")`);
    checkSizesAgainstWeights(loaded.model, { 'extras.model.units': extras.model.units, 'extras.model.embedDim': extras.model.embedDim, 'extras.vocab (size)': vocab.size }, source);
    models = buildChatModel(extras.model, vocab.size);
    // The step models share layers with the training model, so copying its weights sets up all three.
    try {
      models.train.setWeights(loaded.model.getWeights());
    } catch (err) {
      throw new RnnkitError(`${source}: the saved weights do not fit extras.model and extras.vocab (${(err as Error).message.split('\n')[0]})`);
    }
    const bot = new Chatbot(models, vocab, extras.text, extras.model);
    models = undefined;
    return bot;
  } finally {
    if (models) disposeSeq2Seq(models);
    loaded.model.dispose();
  }
}

/** Earlier turns beyond this many are refused (the encoder sees at most 10: `--history`'s limit). */
export const MAX_HISTORY_TURNS = 20;
const MAX_TURN_CHARS = 10_000;

/**
 * chatbot's predictor input: the user's message, the conversation before it, how to decode, and whether to return
 * the attention weights.
 */
export const chatbotInputSchema = z.strictObject({
  message: z.string().min(1).max(MAX_TURN_CHARS),
  /** Previous turns, oldest first (user and bot alternating, the bot's reply to the user last). */
  history: z.array(z.string().max(MAX_TURN_CHARS)).max(MAX_HISTORY_TURNS).optional(),
  decode: decodingRequestSchema
    .refine((d) => (d.minLen ?? CHATBOT_DECODE_DEFAULTS.minLen) <= (d.maxLen ?? CHATBOT_DECODE_DEFAULTS.maxLen), {
      message: `must not exceed maxLen (default ${CHATBOT_DECODE_DEFAULTS.maxLen})`,
      path: ['minLen'],
    })
    .optional(),
  /** Include each reply token's attention over the encoder input (for heatmaps). */
  attention: z.boolean().optional(),
});
export type ChatbotInput = z.input<typeof chatbotInputSchema>;

/** A small valid input, for tests and docs. */
export const exampleInput = {
  message: 'What is your name?',
  history: ['Hello', 'Hi'],
  decode: { beamWidth: 3, maxLen: 12 },
} satisfies ChatbotInput;

/** What the predictor returns (exported for servers' docs and tests: every output satisfies it). */
export const chatbotOutputSchema = z.strictObject({
  /** The bot's next utterance. */
  reply: z.string(),
  /** Its tokens (words and punctuation; characters for Chinese). */
  tokens: z.array(z.string()),
  /** Ranking score: the log-probability, length-normalized for beam search. */
  score: z.number(),
  /** Beam search only: the other finished hypotheses, best first. */
  alternatives: z.array(z.strictObject({ reply: z.string(), score: z.number() })).optional(),
  /** Words of the message that are not in the vocabulary (encoded as <unk>; the bot answers anyway). */
  unknown: z.array(z.string()),
  /** With `attention: true`: per reply token (and the closing <eos>), its attention over the encoder input tokens. */
  attention: z.strictObject({ inputTokens: z.array(z.string()), replyTokens: z.array(z.string()), weights: z.array(z.array(z.number())) }).optional(),
});
export type ChatbotOutput = z.output<typeof chatbotOutputSchema>;

/** The chatbot's predictor, plus a vocabulary check the chat REPL uses to warn before a streamed reply. */
export type ChatbotPredictor = Predictor<z.output<typeof chatbotInputSchema>, ChatbotOutput> & {
  stream(input: unknown, onToken: (text: string) => void): Promise<ChatbotOutput>;
  unknownWords(message: string): string[];
};

/** The chatbot predictor: a conversation in, the next reply out; greedy and sampled replies stream word by word. */
export function chatbotPredictor(bot: Chatbot): ChatbotPredictor {
  type Input = z.output<typeof chatbotInputSchema>;
  const output = (input: Input, r: Reply): ChatbotOutput => {
    const beam = resolveDecoding(input.decode).strategy === 'beam';
    return {
      reply: r.text,
      tokens: r.tokens,
      score: r.score,
      ...(beam ? { alternatives: r.alternatives.map((a) => ({ reply: a.text, score: a.score })) } : {}),
      unknown: r.unknown,
      ...(input.attention
        ? {
          // The last row, when there is one more than the reply's tokens, is the attention of the step that produced EOS.
          attention: { inputTokens: r.contextTokens, replyTokens: [...r.tokens, '<eos>'].slice(0, r.attention.length), weights: r.attention },
        }
        : {}),
    };
  };
  const turns = (input: Input) => [...(input.history ?? []), input.message];
  const hooks = (onToken?: (text: string) => void) => (onToken ? { onText: onToken } : {});
  const predictor = createPredictor(
    CHATBOT_APP,
    chatbotInputSchema,
    (input, onToken): ChatbotOutput => output(input, bot.reply(turns(input), input.decode, hooks(onToken))),
    () => bot.dispose(),
    {
      streams: true,
      // Greedy and sampled replies share decoding steps with other requests; beam search runs whole.
      stepDecoding: {
        stepFunction: bot.stepFn,
        shares: (input) => resolveDecoding(input.decode).strategy !== 'beam',
        start: (input, onToken) => {
          const { row, finish } = bot.startReply(turns(input), input.decode, hooks(onToken));
          return { row, finish: (result) => output(input, finish(result)) };
        },
      },
    },
  );
  return { ...predictor, stream: predictor.stream!, unknownWords: (message: string) => bot.unknownWords(message) };
}

/**
 * The predictor of a model a page fetched (`loadModelFromUrl`) or read into memory (`loadModelFromArtifacts`):
 * refuses another app's model and invalid extras, disposing the model.
 */
export function predictorFromArtifacts(loaded: LoadedModelArtifacts): ChatbotPredictor {
  return chatbotPredictor(chatbotFromAppModel(appModelFromArtifacts(loaded, CHATBOT_APP, chatbotExtrasSchema)));
}
