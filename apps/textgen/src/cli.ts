#!/usr/bin/env node
import { Command } from 'commander';
import {
  addBackendOption, addTrainingOptions, choiceOption, floatOption, initBackend, intListOption, intOption, resolveDataPath, runCli, setSeed,
  type BackendName, type TrainingFlags,
} from '@rnnkit/core';
import { TINY_SHAKESPEARE } from './data.js';
import { evaluateOnCorpus, formatEvalTable } from './evaluate.js';
import { CharGenerator } from './generate.js';
import { loadTextgenModel } from './load.js';
import { trainTextgen } from './train.js';
import type { TextgenCell } from './model.js';

const out = (line: string) => process.stdout.write(`${line}\n`);

const dataPath = (flag: string | undefined) =>
  resolveDataPath(flag, TINY_SHAKESPEARE.relativePath, { url: TINY_SHAKESPEARE.url, cacheName: TINY_SHAKESPEARE.cacheName });

/** The shared training flags (--epochs ... --backend) come from core's addTrainingOptions. */
interface TrainFlags extends TrainingFlags {
  data?: string;
  out: string;
  cell: TextgenCell;
  units: number[];
  embedDim: number;
  dropout: number;
  seqLen: number;
  sampleLength: number;
}

/**
 * Flags shared by train and demo; demo only changes their defaults. The shared --max-steps-per-epoch and --max-seconds
 * have no default here (demo applies its step cap in its action).
 */
function trainingCommand(
  name: string, description: string, defaults: Partial<Omit<TrainFlags, 'maxStepsPerEpoch' | 'maxSeconds'>> & { out: string },
): Command {
  const cmd = new Command(name)
    .description(description)
    .option('--data <file>', `UTF-8 text file (default $RNNKIT_DATA_DIR/${TINY_SHAKESPEARE.relativePath}, else downloaded once)`)
    .option('--out <dir>', 'run directory: model/, checkpoints/, metrics.jsonl, loss.svg', defaults.out)
    .option('--cell <cell>', 'lstm or gru', choiceOption('--cell', ['lstm', 'gru'] as const), defaults.cell ?? 'lstm')
    .option('--units <list>', 'units per recurrent layer, e.g. 256,256', intListOption('--units'), defaults.units ?? [256, 256])
    .option('--embed-dim <n>', 'character embedding size', intOption('--embed-dim', { min: 1 }), defaults.embedDim ?? 64)
    .option('--dropout <p>', 'dropout on recurrent inputs and outputs', floatOption('--dropout', { min: 0, max: 0.95 }), defaults.dropout ?? 0.2)
    .option('--seq-len <n>', 'characters per training window (truncated BPTT length)', intOption('--seq-len', { min: 1 }), defaults.seqLen ?? 100)
    .option('--sample-length <n>', 'characters sampled after each epoch (0: none)', intOption('--sample-length', { min: 0 }), defaults.sampleLength ?? 200);
  // --batch-size counts windows; --patience watches the validation loss.
  return addTrainingOptions(cmd, {
    epochs: defaults.epochs ?? 30, batchSize: defaults.batchSize ?? 64, lr: defaults.lr ?? 2e-3, clipNorm: defaults.clipNorm ?? 5, patience: defaults.patience ?? 3,
  });
}

async function runTraining(flags: TrainFlags) {
  await initBackend({ backend: flags.backend });
  return trainTextgen({
    dataPath: await dataPath(flags.data),
    outDir: flags.out,
    model: { cell: flags.cell, units: flags.units, embedDim: flags.embedDim, dropout: flags.dropout },
    seqLen: flags.seqLen,
    batchSize: flags.batchSize,
    epochs: flags.epochs,
    learningRate: flags.lr,
    clipNorm: flags.clipNorm,
    patience: flags.patience,
    maxStepsPerEpoch: flags.maxStepsPerEpoch,
    maxSeconds: flags.maxSeconds,
    resume: flags.resume,
    seed: flags.seed,
    sampleLength: flags.sampleLength,
    log: out,
  });
}

function printEval(rows: ReturnType<typeof evaluateOnCorpus>, dataFile: string) {
  out(`validation = last 10% of ${dataFile}; every char after the first, given the validation text before it`);
  out(formatEvalTable(rows));
}

const program = new Command('rnnkit-textgen')
  .description('Character-level text generation with stacked LSTM/GRU layers (tiny Shakespeare by default).')
  .showHelpAfterError();

program.addCommand(
  trainingCommand('train', 'train a character language model', { out: 'runs/textgen' }).action(async (flags: TrainFlags) => {
    const run = await runTraining(flags);
    out(`model saved to ${run.modelDir} (best epoch ${run.result.bestEpoch}, stop: ${run.result.stopReason})`);
    if (run.result.interrupted) process.exitCode = 130;
  }),
);

program.addCommand(
  addBackendOption(new Command('sample'))
    .description('generate text, streaming characters as they are sampled')
    .requiredOption('--model <dir>', 'saved model directory (or the training --out directory)')
    .option('--prime <text>', 'priming text the generation continues', '\n')
    .option('--length <n>', 'characters to generate', intOption('--length', { min: 0 }), 500)
    .option('--temperature <t>', 'softmax temperature (0 = always the most likely char)', floatOption('--temperature', { min: 0 }), 0.8)
    .option('--top-k <k>', 'sample only among the k most likely chars', intOption('--top-k', { min: 1 }))
    .option('--top-p <p>', 'nucleus sampling: smallest set of chars with this much probability', floatOption('--top-p', { min: 0, max: 1 }))
    .option('--seed <n>', 'random seed', intOption('--seed'), 42)
    .action(async (flags: { model: string; prime: string; length: number; temperature: number; topK?: number; topP?: number; seed: number; backend?: BackendName }) => {
      await initBackend({ backend: flags.backend });
      const loaded = await loadTextgenModel(flags.model);
      // Seeded after loading, so the sampled text depends only on the seed (building layers draws seeds too).
      setSeed(flags.seed);
      const generator = new CharGenerator(loaded.stepModel, loaded.config, loaded.vocab);
      // Validate the prime (unknown characters) before printing anything.
      generator.generate(flags.prime, { length: 0 });
      process.stdout.write(flags.prime);
      generator.generate(flags.prime, {
        length: flags.length,
        temperature: flags.temperature,
        topK: flags.topK,
        topP: flags.topP,
        onChar: (c) => process.stdout.write(c),
      });
      process.stdout.write('\n');
    }),
);

program.addCommand(
  addBackendOption(new Command('eval'))
    .description('validation loss (nats/char, bits/char) of the model and of char n-gram baselines (orders 1-5)')
    .requiredOption('--model <dir>', 'saved model directory (or the training --out directory)')
    .option('--data <file>', `UTF-8 text file (default $RNNKIT_DATA_DIR/${TINY_SHAKESPEARE.relativePath})`)
    .action(async (flags: { model: string; data?: string; backend?: BackendName }) => {
      await initBackend({ backend: flags.backend });
      const loaded = await loadTextgenModel(flags.model);
      const file = await dataPath(flags.data);
      printEval(evaluateOnCorpus(loaded, file), file);
    }),
);

/** The demo's step cap per epoch, unless --max-steps-per-epoch is given (3 epochs: 1,200 steps). */
const DEMO_STEPS_PER_EPOCH = 400;

program.addCommand(
  trainingCommand('demo', `short training on tiny Shakespeare (${DEMO_STEPS_PER_EPOCH} steps per epoch unless --max-steps-per-epoch), then a sample and the eval table`, {
    // ~80 s of training on 2 cores with the native kernels (when quiet): enough to beat the 5-gram baseline.
    out: 'runs/textgen-demo',
    units: [256],
    embedDim: 32,
    seqLen: 64,
    batchSize: 32,
    epochs: 3,
    lr: 5e-3,
    dropout: 0,
    sampleLength: 0,
  }).action(async (flags: TrainFlags) => {
    const run = await runTraining({ ...flags, maxStepsPerEpoch: flags.maxStepsPerEpoch ?? DEMO_STEPS_PER_EPOCH });
    const file = await dataPath(flags.data);
    const loaded = await loadTextgenModel(run.modelDir);
    out('\nsample (temperature 0.8):');
    out(`ROMEO:${new CharGenerator(loaded.stepModel, loaded.config, loaded.vocab).generate('ROMEO:', { length: 300, temperature: 0.8 })}`);
    out('');
    printEval(evaluateOnCorpus(loaded, file), file);
    out('\nThis was a short demo run. The full-size run (2x256 LSTM), its command and measured figures: apps/textgen/README.md');
  }),
);

await runCli(async () => {
  await program.parseAsync(process.argv);
});
