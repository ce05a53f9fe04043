import type { Command } from 'commander';
import {
  RnnkitError, addDecodeFlags, decodeFromFlags, evaluateEncodingOption, heatmapSvg, intOption, printable, setSeed, trainedEncoding, writeFileAtomic, type AppDefinition, type CommandContext, type DecodingRequest,
} from '@rnnkit/core';
import { CHATBOT_DECODE_DEFAULTS } from './chatbot.js';
import { DEMO_CONFIG, chatbotConfigSchema, type ChatbotConfig } from './config.js';
import { describeData, prepareData } from './data/index.js';
import { evaluateChatbot, formatReport } from './evaluate.js';
import { loadChatbot } from './load-model.js';
import {
  CHATBOT_APP, MAX_HISTORY_TURNS, chatbotPredictor, exampleInput, type ChatbotInput, type ChatbotOutput, type ChatbotPredictor,
} from './predictor.js';
import { runRepl } from './repl.js';
import { trainChatbot } from './train.js';
import { APP_VERSION } from './version.js';

const DECODE_FIELDS = ['strategy', 'temperature', 'topK', 'topP', 'beamWidth', 'lengthPenalty', 'maxLen', 'minLen', 'noRepeatNgram', 'seed'] as const;
const DECODE_HELP = `
Decoding: beam search, ${CHATBOT_DECODE_DEFAULTS.beamWidth} beams, unless --strategy says otherwise. Without --strategy, --beam-width N > 1
means beam search, --temperature > 0 (or --top-k / --top-p) sampling, at temperature ${CHATBOT_DECODE_DEFAULTS.temperature} unless given,
and --beam-width 1 greedy decoding. Greedy and sampled replies stream word by word in chat; beam
search replies arrive whole, with the other finished beams as alternatives (predict --json).`;

function decodeFlags(cmd: Command): Command {
  // --beam-width and --temperature get no value by default: which of them is given decides the strategy (see
  // DECODE_HELP); their help shows the defaults the predictor applies.
  const { maxLen, minLen, lengthPenalty, noRepeatNgram, beamWidth, temperature } = CHATBOT_DECODE_DEFAULTS;
  return addDecodeFlags(cmd, [...DECODE_FIELDS], { maxLen, minLen, lengthPenalty, noRepeatNgram, seed: 42 }, undefined, { beamWidth, temperature })
    .addHelpText('after', DECODE_HELP);
}

/**
 * The decoding flags without their seed, after seeding core's shared generator with it: sampled replies of a chat
 * or an evaluation then draw one reproducible stream (a fixed per-request seed would restart it for every reply).
 */
function sharedSeedDecode(flags: Record<string, unknown>): DecodingRequest {
  const { seed, ...decode } = decodeFromFlags(flags);
  setSeed(seed ?? 42);
  return decode;
}

async function evaluate(
  modelDir: string, opts: { data?: string; encoding?: string; decode?: DecodingRequest; maxReplies?: number }, info: (line: string) => void,
) {
  const encoding = await trainedEncoding(modelDir, opts.encoding);
  const bot = await loadChatbot(modelDir);
  try {
    const { corpus, dataset } = await prepareData(opts.data, bot.data, bot.vocab, encoding);
    info(describeData(corpus, dataset));
    const report = evaluateChatbot(bot, dataset, { decode: opts.decode, maxReplies: opts.maxReplies });
    return { report, text: formatReport(report) };
  } finally {
    bot.dispose();
  }
}

/** One turn per line, oldest first; the last is the user's message. */
function conversationFromText(text: string): { message: string; history?: string[] } {
  const turns = text.split(/\r?\n/).map((t) => t.trim()).filter((t) => t !== '');
  const message = turns.pop();
  if (message === undefined) throw new RnnkitError('no message: the input text is empty');
  // The predictor takes at most MAX_HISTORY_TURNS earlier turns (the encoder itself sees only the last --history of them).
  const history = turns.slice(-MAX_HISTORY_TURNS);
  return history.length > 0 ? { message, history } : { message };
}

/** `predict --attention-svg FILE`: the reply's attention over the input, as an SVG heatmap. */
async function writeAttentionSvg(output: ChatbotOutput, file: string, ctx: CommandContext): Promise<void> {
  const { attention } = output;
  if (!attention || attention.weights.length === 0) return;
  await writeFileAtomic(file, heatmapSvg({
    rows: attention.replyTokens, cols: attention.inputTokens, values: attention.weights, title: 'attention: reply token (row) over input token (column)',
  }));
  ctx.info(`attention heatmap written to ${file}`);
}

/** chatbot: Seq2Seq with attention on the ChatterBot corpus; the contract's conversation-in / reply-out app. */
export const chatbotApp: AppDefinition<ChatbotConfig, ChatbotInput, ChatbotOutput> = {
  name: CHATBOT_APP,
  version: APP_VERSION,
  description: 'Seq2Seq chatbot (bidirectional GRU encoder, GRU decoder, Luong attention) on the ChatterBot corpus',
  configSchema: chatbotConfigSchema,
  train: (config, ctx) => trainChatbot(config, ctx),
  evaluate: {
    description: 'held-out perplexity vs unigram/bigram baselines, BLEU-4, distinct-1/2 and sample exchanges',
    options: (cmd) =>
      decodeFlags(cmd)
        .option('--data <path>', 'the corpus the model was trained on (default as in train)')
        .addOption(evaluateEncodingOption())
        .option('--max-replies <n>', 'generate replies for at most this many held-out pairs (default: all)', intOption('--max-replies', { min: 1 })),
    run: (dir, flags, ctx) =>
      evaluate(dir, { data: flags.data as string | undefined, encoding: flags.encoding as string | undefined, decode: sharedSeedDecode(flags), maxReplies: flags.maxReplies as number | undefined }, ctx.info),
  },
  loadPredictor: async (dir): Promise<ChatbotPredictor> => chatbotPredictor(await loadChatbot(dir)),
  predict: {
    example: exampleInput,
    inputHelp: "the user's message; earlier turns of the conversation, if any, on the lines before it (oldest first)",
    options: (cmd) => decodeFlags(cmd).option('--attention-svg <file>', 'also save the attention of each reply token over the input as an SVG heatmap'),
    fromText: (text, flags) => ({
      ...conversationFromText(text),
      decode: decodeFromFlags(flags),
      ...(typeof flags.attentionSvg === 'string' ? { attention: true } : {}),
    }),
    format: (output) => printable(output.reply),
    after: async (output, flags, ctx) => {
      // Scripts read the reply from stdout; the note about unknown words goes to stderr.
      if (output.unknown.length > 0 && !ctx.json) process.stderr.write(`(not understood: ${output.unknown.join(', ')})\n`);
      if (typeof flags.attentionSvg === 'string') await writeAttentionSvg(output, flags.attentionSvg, ctx);
    },
  },
  demo: {
    description: 'short training on the English corpus (early stopping), then held-out figures and a few replies',
    defaults: DEMO_CONFIG,
    show: async (run, config, ctx) => {
      if (run.result.stopReason === 'interrupted') return;
      ctx.out((await evaluate(run.modelDir, { data: config.data, maxReplies: 60 }, ctx.info)).text);
      const predictor = await chatbotApp.loadPredictor(run.modelDir);
      try {
        for (const message of ['Hello', 'How are you?', 'What is your name?', 'Do you like music?']) {
          ctx.out(`user: ${message}\n bot: ${(await predictor.predict({ message })).reply}`);
        }
      } finally {
        predictor.dispose();
      }
      ctx.out('Full-size run, its figures and commands: apps/chatbot/README.md');
    },
  },
  commands: (h) => [
    h.action<Record<string, unknown> & { model: string }>(
      decodeFlags(h.modelCommand('chat', 'interactive chat (also reads a script from piped stdin); /reset, /temp X, /beam N, /quit')),
      async (flags, ctx) => {
        if (ctx.json) throw new RnnkitError('--json does not apply to chat (an interactive session); use predict --json for one reply as JSON');
        const decode = sharedSeedDecode(flags);
        const predictor = chatbotPredictor(await loadChatbot(flags.model));
        try {
          return await runRepl({ bot: predictor, decode, input: process.stdin, output: process.stdout });
        } finally {
          predictor.dispose();
        }
      },
    ),
  ],
  deprecatedFlags: { '--temp': '--temperature', '--beam': '--beam-width' },
  deprecatedCommands: { reply: 'predict' },
  deprecatedCommandFlags: { predict: { '--attention': '--attention-svg' } },
};
