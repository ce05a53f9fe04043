#!/usr/bin/env node
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  addBackendOption, addTrainingOptions, choiceOption, floatOption, heatmapSvg, initBackend, intOption, runCli, setSeed, writeFileAtomic,
  type BackendName, type TrainingFlags,
} from '@rnnkit/core';
import { Chatbot, DEFAULT_DECODE_SETTINGS, type DecodeSettings } from './chatbot.js';
import { DEFAULT_DATA_CONFIG, describeData, prepareData, type DataConfig, type Lang } from './data/index.js';
import { evaluateChatbot, formatReport } from './evaluate.js';
import { DEFAULT_MODEL_CONFIG, type ChatModelConfig } from './model.js';
import { runRepl } from './repl.js';
import { trainChatbot } from './train.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** The shared training flags (--epochs ... --backend) come from core's addTrainingOptions. */
interface TrainFlags extends TrainingFlags {
  data?: string;
  lang: Lang;
  history: number;
  maxContextLen?: number;
  maxResponseLen?: number;
  minCount: number;
  heldOut: number;
  embedDim: number;
  units: number;
  attention: 'dot' | 'general';
  dropout: number;
  out?: string;
}

/** Chinese is character-level, so its utterances are several times longer in tokens than English ones. */
function dataConfig(f: Pick<TrainFlags, 'lang' | 'history' | 'maxContextLen' | 'maxResponseLen' | 'minCount' | 'heldOut'>): DataConfig {
  const zh = f.lang === 'zh';
  return {
    ...DEFAULT_DATA_CONFIG,
    lang: f.lang,
    history: f.history,
    maxContextLen: f.maxContextLen ?? (zh ? 32 : DEFAULT_DATA_CONFIG.maxContextLen),
    maxResponseLen: f.maxResponseLen ?? (zh ? 32 : DEFAULT_DATA_CONFIG.maxResponseLen),
    minCount: f.minCount,
    heldOut: f.heldOut,
  };
}

/** Flags shared by train and demo; demo has the same training defaults but a temp run directory. */
function trainingCommand(name: string, description: string, d: Partial<TrainFlags> & { epochs: number }): Command {
  const cmd = new Command(name)
    .description(description)
    .option('--data <path>', 'ChatterBot folder or .yml file, or a folder with the Cornell movie_lines.txt + movie_conversations.txt (default $RNNKIT_DATA_DIR/dialogs/chatterbot/<lang>, else downloaded once)')
    .option('--lang <lang>', 'en (word tokens) or zh (character tokens)', choiceOption('--lang', ['en', 'zh'] as const), 'en')
    .option('--history <k>', 'previous turns the encoder sees, joined by <sep>', intOption('--history', { min: 1, max: 10 }), d.history ?? 1)
    .option('--max-context-len <n>', 'longest encoder input in tokens (default en 24, zh 32)', intOption('--max-context-len', { min: 1 }))
    .option('--max-response-len <n>', 'longest response in tokens (default en 20, zh 32)', intOption('--max-response-len', { min: 1 }))
    .option('--min-count <n>', 'words seen fewer times in training are unknown', intOption('--min-count', { min: 1 }), DEFAULT_DATA_CONFIG.minCount)
    .option('--held-out <f>', 'fraction of conversations held out (--patience watches their loss; 0 = no early stopping)', floatOption('--held-out', { min: 0, max: 0.9 }), DEFAULT_DATA_CONFIG.heldOut)
    .option('--embed-dim <n>', 'shared embedding size', intOption('--embed-dim', { min: 1 }), d.embedDim ?? DEFAULT_MODEL_CONFIG.embedDim)
    .option('--units <n>', 'GRU units per encoder direction (decoder: twice this)', intOption('--units', { min: 1 }), d.units ?? DEFAULT_MODEL_CONFIG.units)
    .option('--attention <score>', 'Luong score: dot or general', choiceOption('--attention', ['dot', 'general'] as const), DEFAULT_MODEL_CONFIG.attention)
    .option('--dropout <p>', 'dropout rate', floatOption('--dropout', { min: 0, max: 0.9 }), d.dropout ?? DEFAULT_MODEL_CONFIG.dropout)
    .option('--out <dir>', `run directory: model/, checkpoints/, metrics.jsonl, loss.svg${d.out ? '' : ' (default: a new temp dir)'}`, d.out);
  // Early stopping (--patience) watches the held-out loss and is off when nothing is held out.
  return addTrainingOptions(cmd, { epochs: d.epochs, batchSize: d.batchSize ?? 32, lr: d.lr ?? 5e-3, clipNorm: 5, patience: d.patience ?? 3 });
}

async function runTraining(f: TrainFlags & { out: string }) {
  await initBackend({ backend: f.backend });
  const cfg = dataConfig(f);
  const { corpus, dataset } = await prepareData(f.data, cfg);
  say(describeData(corpus, dataset));
  const model: ChatModelConfig = { embedDim: f.embedDim, units: f.units, attention: f.attention, dropout: f.dropout };
  const { result, modelDir } = await trainChatbot(dataset, cfg, model, {
    out: f.out,
    epochs: f.epochs,
    batchSize: f.batchSize,
    learningRate: f.lr,
    clipNorm: f.clipNorm,
    patience: f.patience,
    seed: f.seed,
    resume: Boolean(f.resume),
    maxStepsPerEpoch: f.maxStepsPerEpoch,
    maxSeconds: f.maxSeconds,
  });
  say(`training ${result.stopReason} after ${result.history.length} epoch(s); best ${result.monitor} ${result.best?.toFixed(4)} at epoch ${result.bestEpoch}`);
  say(`model saved to ${modelDir}; loss curve ${join(f.out, 'loss.svg')}`);
  // 130 = stopped by a signal, as shells report it; `last` is saved and --resume continues from it.
  if (result.interrupted) process.exitCode = 130;
  return { result, modelDir, dataset };
}

function decodeOptions(cmd: Command): Command {
  cmd
    .option('--beam <n>', 'beam width (1 = greedy)', intOption('--beam', { min: 1, max: 64 }), DEFAULT_DECODE_SETTINGS.beam)
    .option('--temp <x>', 'sample at this temperature instead of beam search (0 = beam search)', floatOption('--temp', { min: 0, max: 10 }), 0)
    .option('--max-len <n>', 'longest reply in tokens', intOption('--max-len', { min: 1 }), DEFAULT_DECODE_SETTINGS.maxLen)
    .option('--seed <n>', 'random seed (sampling)', intOption('--seed'), 42);
  return addBackendOption(cmd);
}

interface DecodeFlags {
  beam: number;
  temp: number;
  maxLen: number;
  seed: number;
  backend?: BackendName;
}

async function loadBot(dir: string, f: DecodeFlags): Promise<{ bot: Chatbot; settings: DecodeSettings }> {
  await initBackend({ backend: f.backend });
  setSeed(f.seed);
  const bot = await Chatbot.load(dir);
  return { bot, settings: { ...DEFAULT_DECODE_SETTINGS, beam: f.beam, temperature: f.temp, maxLen: f.maxLen } };
}

const program = new Command('rnnkit-chatbot')
  .description('Seq2Seq chatbot (bidirectional GRU encoder, GRU decoder, Luong attention) on the ChatterBot corpus')
  .showHelpAfterError();

program.addCommand(
  trainingCommand('train', 'train a chatbot', { out: 'runs/chatbot', epochs: 20 }).action(async (f: TrainFlags & { out: string }) => {
    await runTraining(f);
  }),
);

program.addCommand(
  decodeOptions(new Command('evaluate'))
    .description('held-out perplexity vs unigram/bigram baselines, BLEU-4, distinct-1/2 and sample exchanges')
    .requiredOption('--model <dir>', 'model directory (or a train --out directory)')
    .option('--data <path>', 'the corpus the model was trained on (default as in train)')
    .option('--max-replies <n>', 'generate replies for at most this many held-out pairs', intOption('--max-replies', { min: 1 }))
    .option('--json <file>', 'also write the report as JSON')
    .action(async (f: DecodeFlags & { model: string; data?: string; maxReplies?: number; json?: string }) => {
      const { bot, settings } = await loadBot(f.model, f);
      try {
        const { corpus, dataset } = await prepareData(f.data, bot.data, bot.vocab);
        say(describeData(corpus, dataset));
        const report = evaluateChatbot(bot, dataset, { settings, maxReplies: f.maxReplies });
        say(formatReport(report));
        if (f.json) await writeFileAtomic(f.json, JSON.stringify(report, null, 2) + '\n');
      } finally {
        bot.dispose();
      }
    }),
);

program.addCommand(
  decodeOptions(new Command('chat'))
    .description('interactive chat (also reads a script from piped stdin); /reset, /temp X, /beam N, /quit')
    .requiredOption('--model <dir>', 'model directory (or a train --out directory)')
    .action(async (f: DecodeFlags & { model: string }) => {
      const { bot, settings } = await loadBot(f.model, f);
      try {
        process.exitCode = await runRepl({ bot, settings, input: process.stdin, output: process.stdout });
      } finally {
        bot.dispose();
      }
    }),
);

program.addCommand(
  decodeOptions(new Command('reply'))
    .description('one reply for scripts; several arguments are earlier turns of the conversation, the last is the user\'s')
    .requiredOption('--model <dir>', 'model directory (or a train --out directory)')
    .option('--json', 'print {reply, score, alternatives, unknown} as JSON')
    .option('--attention <file.svg>', 'save the attention of each reply token over the input as an SVG heatmap')
    .argument('<turns...>', 'the conversation so far, oldest first')
    .action(async (turns: string[], f: DecodeFlags & { model: string; json?: boolean; attention?: string }) => {
      const { bot, settings } = await loadBot(f.model, f);
      try {
        const r = bot.reply(turns, settings);
        if (f.attention && r.attention.length > 0) {
          // The last row is the attention of the step that produced EOS.
          const rows = [...r.tokens, '<eos>'].slice(0, r.attention.length);
          await writeFileAtomic(f.attention, heatmapSvg({
            rows, cols: r.contextTokens, values: r.attention, title: 'attention: reply token (row) over input token (column)',
          }));
          process.stderr.write(`attention heatmap written to ${f.attention}\n`);
        }
        if (f.json) {
          say(JSON.stringify({ reply: r.text, score: r.score, alternatives: r.alternatives, unknown: r.unknown }));
        } else {
          if (r.unknown.length > 0) process.stderr.write(`(not understood: ${r.unknown.join(', ')})\n`);
          say(r.text);
        }
      } finally {
        bot.dispose();
      }
    }),
);

program.addCommand(
  // train's settings (up to 20 epochs, early stopping with patience 3, best weights kept): ~40 s on 2 cores when quiet.
  trainingCommand('demo', 'short training on the English corpus (early stopping), then held-out figures and a few replies', {
    epochs: 20,
  }).action(async (f: TrainFlags) => {
    const { result, modelDir, dataset } = await runTraining({ ...f, out: f.out ?? mkdtempSync(join(tmpdir(), 'rnnkit-chatbot-demo-')) });
    if (result.interrupted) return;
    const bot = await Chatbot.load(modelDir);
    try {
      say(formatReport(evaluateChatbot(bot, dataset, { settings: DEFAULT_DECODE_SETTINGS, maxReplies: 60 })));
      for (const line of ['Hello', 'How are you?', 'What is your name?', 'Do you like music?']) {
        say(`user: ${line}\n bot: ${bot.reply([line]).text}`);
      }
    } finally {
      bot.dispose();
    }
    say('Full-size run, its figures and commands: apps/chatbot/README.md');
  }),
);

void runCli(async () => {
  await program.parseAsync(process.argv);
});
