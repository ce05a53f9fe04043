import { addDecodeFlags, decodeFromFlags, evaluateEncodingOption, printable, trainedEncoding, type AppDefinition } from '@rnnkit/core';
import { DEMO_CONFIG, textgenConfigSchema, type TextgenConfig } from './config.js';
import { evaluateCorpus, formatEvalTable } from './evaluate.js';
import { loadTextgenModel } from './load-model.js';
import { TEXTGEN_APP, TEXTGEN_DECODE_DEFAULTS, exampleInput, textgenPredictor, type TextgenInput, type TextgenOutput } from './predictor.js';
import { textgenDataPath, trainTextgen } from './train.js';
import { APP_VERSION } from './version.js';

const DECODE_FLAGS = ['strategy', 'temperature', 'topK', 'topP', 'maxLen', 'seed'] as const;
const decodeFlags = (cmd: Parameters<typeof addDecodeFlags>[0]) =>
  addDecodeFlags(cmd, [...DECODE_FLAGS], { ...TEXTGEN_DECODE_DEFAULTS, seed: 42 }, { strategy: ['greedy', 'sample'] });

async function evaluate(modelDir: string, data: string | undefined, encodingFlag?: string) {
  const encoding = await trainedEncoding(modelDir, encodingFlag);
  const loaded = await loadTextgenModel(modelDir);
  try {
    const file = await textgenDataPath(data);
    const { rows, coldWindow } = evaluateCorpus(loaded, file, 1, encoding);
    let text = `validation = last 10% of ${file}; every char after the first, given the validation text before it\n${formatEvalTable(rows)}`;
    if (coldWindow) {
      text +=
        `\nnanoGPT's protocol (non-overlapping ${coldWindow.window}-char windows, each from the zero state, mean over every position): ` +
        `${coldWindow.natsPerChar.toFixed(4)} nats/char, ${coldWindow.bitsPerChar.toFixed(4)} bits/char`;
    }
    return { report: { data: file, rows, coldWindow }, text };
  } finally {
    loaded.stepModel.dispose();
    loaded.model.dispose();
  }
}

/** textgen: character-level language model; the contract's text-in / text-out app. */
export const textgenApp: AppDefinition<TextgenConfig, TextgenInput, TextgenOutput> = {
  name: TEXTGEN_APP,
  version: APP_VERSION,
  description: 'Character-level text generation with stacked LSTM/GRU layers (tiny Shakespeare by default).',
  configSchema: textgenConfigSchema,
  train: trainTextgen,
  evaluate: {
    description: 'validation loss (nats/char, bits/char) of the model and of char n-gram baselines (orders 1-5)',
    options: (cmd) => cmd.option('--data <file>', 'the text the model was trained on (default as in train)')
      .addOption(evaluateEncodingOption()),
    run: (dir, flags) => evaluate(dir, flags.data as string | undefined, flags.encoding as string | undefined),
  },
  loadPredictor: async (dir) => textgenPredictor(await loadTextgenModel(dir)),
  predict: {
    inputHelp: 'the priming text the generation continues',
    options: decodeFlags,
    fromText: (text, flags) => ({ text, decode: decodeFromFlags(flags) }),
    // Generated text is made of corpus characters: terminal control characters in it are not printed.
    format: (output) => printable(output.text),
    example: exampleInput,
  },
  demo: {
    description: 'short training on tiny Shakespeare, then a sample and the evaluation table',
    defaults: DEMO_CONFIG,
    show: async (run, config, ctx) => {
      const predictor = await textgenApp.loadPredictor(run.modelDir);
      try {
        const { text } = await predictor.predict({ text: 'ROMEO:', decode: { maxLen: 300, temperature: 0.8, seed: config.seed } });
        ctx.out(`\nsample (temperature 0.8):\nROMEO:${printable(text)}\n`);
      } finally {
        predictor.dispose();
      }
      ctx.out((await evaluate(run.modelDir, config.data)).text);
      ctx.out('\nThis was a short demo run. The full-size run (2x256 LSTM), its command and measured figures: apps/textgen/README.md');
    },
  },
  commands: (h) => [
    h.action<Record<string, unknown> & { model: string; prime: string }>(
      decodeFlags(h.modelCommand('sample', 'generate text, streaming characters as they are sampled'))
        .option('--prime <text>', 'priming text the generation continues', '\n'),
      async (flags, ctx) => {
        const predictor = await textgenApp.loadPredictor(flags.model);
        try {
          const input = { text: flags.prime, decode: decodeFromFlags(flags) };
          if (ctx.json) {
            ctx.out(JSON.stringify(await predictor.predict(input)));
            return;
          }
          // Refuse bad options and characters the model does not know before printing the prime.
          await predictor.predict({ ...input, decode: { ...input.decode, maxLen: 1 } });
          process.stdout.write(printable(flags.prime));
          await predictor.stream!(input, (c) => process.stdout.write(printable(c)));
          process.stdout.write('\n');
        } finally {
          predictor.dispose();
        }
      },
    ),
  ],
  deprecatedFlags: { '--length': '--max-len' },
  deprecatedCommands: { eval: 'evaluate' },
};
