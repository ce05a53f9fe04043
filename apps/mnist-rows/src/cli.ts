#!/usr/bin/env node
import * as path from 'node:path';
import { Command, Option } from 'commander';
import {
  addBackendOption, addTrainingOptions, choiceOption, floatOption, initBackend, intListOption, intOption, runCli,
  type BackendName, type TrainingFlags,
} from '@rnnkit/core';
import { CLASS_NAMES, DATASETS, DEFAULT_SPLIT, loadSplits, resolveFiles, type DatasetName, type SplitConfig } from './data.js';
import { evaluateAndReport } from './evaluate.js';
import { INPUT_MODES, type InputMode } from './images.js';
import { DEFAULT_MODEL, type ModelConfig } from './model.js';
import { asciiImage, loadClassifier, predictPng } from './predict.js';
import { INVERT_MODES, type InvertMode } from './png.js';
import { DEFAULT_TRAIN, modelDirOf, trainClassifier, type TrainOptions } from './train.js';

/** Thin command-line layer: flags → plain config objects → data.ts / train.ts / evaluate.ts / predict.ts. */

interface DataFlags {
  dataset: DatasetName;
  data?: string;
  download?: boolean;
}

/** `defaultDataset` is left out where the saved model says which dataset it belongs to. --backend is added separately. */
function addDataOptions(cmd: Command, defaultDataset?: DatasetName): Command {
  const dataset = new Option('--dataset <name>', 'mnist or fashion-mnist (folder under $RNNKIT_DATA_DIR)').argParser(
    choiceOption('--dataset', DATASETS),
  );
  return cmd
    .addOption(defaultDataset ? dataset.default(defaultDataset) : dataset)
    .option('--data <dir>', 'folder with the IDX files (overrides $RNNKIT_DATA_DIR/<dataset>)')
    .option('--download', 'download files missing from the local folder (e.g. the MNIST training images) into the cache');
}

async function start(flags: { backend?: BackendName }): Promise<void> {
  await initBackend({ backend: flags.backend });
}

/** The shared training flags (--epochs ... --backend) come from core's addTrainingOptions. */
interface TrainFlags extends DataFlags, TrainingFlags {
  out: string;
  mode: InputMode;
  cell: 'lstm' | 'gru';
  units: number[];
  bidirectional?: boolean;
  dropout: number;
  valFraction: number;
  testFraction: number;
  splitSeed: number;
  maxTrain?: number;
  /** mnist's own budget flag, kept next to the shared --max-seconds; the tighter of the two applies. */
  maxMinutes?: number;
}

function maxSecondsOf(flags: Pick<TrainFlags, 'maxSeconds' | 'maxMinutes'>): number | undefined {
  const budgets = [flags.maxSeconds, flags.maxMinutes !== undefined ? flags.maxMinutes * 60 : undefined].filter((s) => s !== undefined);
  return budgets.length > 0 ? Math.min(...budgets) : undefined;
}

async function runTraining(flags: TrainFlags): Promise<void> {
  await start(flags);
  const split: SplitConfig = {
    valFraction: flags.valFraction,
    testFraction: flags.testFraction,
    splitSeed: flags.splitSeed,
    maxTrain: flags.maxTrain,
  };
  const splits = loadSplits(await resolveFiles(flags), split);
  process.stdout.write(`${splits.description}\n`);
  const modelCfg: ModelConfig = {
    ...DEFAULT_MODEL,
    mode: flags.mode,
    rows: splits.train.rows,
    cols: splits.train.cols,
    cell: flags.cell,
    units: flags.units,
    bidirectional: Boolean(flags.bidirectional),
    dropout: flags.dropout,
  };
  const opts: TrainOptions = {
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    learningRate: flags.lr,
    clipNorm: flags.clipNorm,
    patience: flags.patience,
    seed: flags.seed,
    outDir: flags.out,
    resume: flags.resume,
    maxStepsPerEpoch: flags.maxStepsPerEpoch,
    maxSeconds: maxSecondsOf(flags),
  };
  const started = Date.now();
  const { model, result } = await trainClassifier(splits, modelCfg, opts, {
    dataset: flags.dataset,
    classNames: CLASS_NAMES[flags.dataset],
    split,
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  process.stdout.write(
    `training stopped (${result.stopReason}) after ${result.history.length} epochs, ${minutes} min; ` +
      `best epoch ${result.bestEpoch} (${result.monitor} ${result.best?.toFixed(4)}); model saved to ${modelDirOf(flags.out)}\n`,
  );
  if (result.interrupted) {
    process.stdout.write(`interrupted: continue with the same command plus --resume\n`);
    process.exitCode = 130;
    return;
  }
  await evaluateAndReport(model, splits.test, {
    mode: modelCfg.mode,
    classNames: CLASS_NAMES[flags.dataset],
    outDir: flags.out,
    dataDescription: splits.description,
  });
  if (splits.trainedOnTestSet) {
    process.stdout.write(
      `note: no training images: trained on part of the official test set, tested on the disjoint rest (see the first line)\n`,
    );
  }
}

interface TrainDefaults {
  epochs: number;
  cell: 'lstm' | 'gru';
  units: number[];
  lr: number;
  out: string;
}

function trainCommand(name: string, description: string, defaults: TrainDefaults): Command {
  const cmd = new Command(name).description(description);
  addDataOptions(cmd, 'mnist')
    .option('--out <dir>', 'run directory (model/, checkpoints/, metrics.jsonl, loss.svg, evaluation files)', defaults.out)
    .addOption(new Option('--mode <mode>', 'rows: 28 steps × 28 pixels; pixels: 784 steps × 1').argParser(choiceOption('--mode', INPUT_MODES)).default('rows'))
    .addOption(new Option('--cell <cell>', 'lstm or gru').argParser(choiceOption('--cell', ['lstm', 'gru'] as const)).default(defaults.cell))
    .option('--units <list>', 'units per recurrent layer, e.g. 128 or 128,128', intListOption('--units'), defaults.units)
    .option('--bidirectional', 'read each image forwards and backwards')
    .option('--dropout <rate>', 'input dropout of the recurrent layers', floatOption('--dropout', { min: 0, max: 0.9 }), DEFAULT_MODEL.dropout);
  // --patience counts epochs without a better validation accuracy (val_acc), not val_loss: see train.ts.
  addTrainingOptions(cmd, {
    epochs: defaults.epochs,
    batchSize: DEFAULT_TRAIN.batchSize,
    lr: defaults.lr,
    clipNorm: DEFAULT_TRAIN.clipNorm,
    patience: DEFAULT_TRAIN.patience,
    seed: DEFAULT_TRAIN.seed,
  })
    .option('--val-fraction <f>', 'part of the training images held out for validation (--patience watches its accuracy)', floatOption('--val-fraction', { min: 0.001, max: 0.5 }), DEFAULT_SPLIT.valFraction)
    .option('--test-fraction <f>', 'without training images only: part of the test set held out for testing', floatOption('--test-fraction', { min: 0.01, max: 0.9 }), DEFAULT_SPLIT.testFraction)
    .option('--split-seed <n>', 'seed of the train/validation/test split', intOption('--split-seed'), DEFAULT_SPLIT.splitSeed)
    .option('--max-train <n>', 'use at most this many training images', intOption('--max-train', { min: 1 }))
    .option('--max-minutes <n>', 'wall-clock budget in minutes: stop (and evaluate) once exceeded (with --max-seconds, the tighter applies)', floatOption('--max-minutes', { min: 0.1 }));
  return cmd;
}

async function runEvaluate(flags: Partial<DataFlags> & { model: string; out?: string; backend?: BackendName }): Promise<void> {
  await start(flags);
  const clf = await loadClassifier(flags.model);
  const { info } = clf;
  // The split recorded at training time: a model trained on part of the test set is only ever tested on the rest.
  const split: SplitConfig = { ...info.split, holdOutFromTestSet: info.trainedOnTestSet };
  const splits = loadSplits(await resolveFiles({ dataset: flags.dataset ?? info.dataset, dir: flags.data, download: flags.download }), split);
  process.stdout.write(`${splits.description}\n`);
  await evaluateAndReport(clf.model, splits.test, {
    mode: info.model.mode,
    classNames: info.classNames,
    outDir: flags.out ?? path.dirname(clf.dir),
    dataDescription: splits.description,
  });
}

async function runPredict(
  image: string,
  flags: { model: string; invert: InvertMode; center: boolean; backend?: BackendName },
): Promise<void> {
  await start(flags);
  const clf = await loadClassifier(flags.model);
  const { image: prepared, ranked } = predictPng(clf, image, { invert: flags.invert, center: flags.center });
  const resized = prepared.originalWidth !== prepared.width || prepared.originalHeight !== prepared.height;
  process.stdout.write(
    `${image}: ${prepared.originalWidth}×${prepared.originalHeight}` +
      `${resized ? ` resized to ${prepared.width}×${prepared.height}` : ''}` +
      `${prepared.inverted ? ', inverted (light background)' : ''}\n${asciiImage(prepared)}\n\n`,
  );
  for (const r of ranked) {
    process.stdout.write(`  ${r.name.padEnd(12)} ${(100 * r.probability).toFixed(2).padStart(6)}%\n`);
  }
  process.stdout.write(`prediction: ${ranked[0].name}\n`);
}

export function buildProgram(): Command {
  const program = new Command('rnnkit-mnist')
    .description('Classify MNIST / Fashion-MNIST images with an RNN reading them row by row (or pixel by pixel).')
    .showHelpAfterError();
  program.addCommand(
    trainCommand('train', 'train a classifier, then evaluate it on the test split', {
      epochs: DEFAULT_TRAIN.epochs,
      cell: DEFAULT_MODEL.cell,
      units: DEFAULT_MODEL.units,
      lr: DEFAULT_TRAIN.learningRate,
      out: 'runs/mnist',
    }).action((flags: TrainFlags) => runTraining(flags)),
  );
  program.addCommand(
    // Small and fast on purpose: a 64-unit GRU with a high learning rate gets past 90% in about a minute.
    trainCommand('demo', 'short training on the default data (~1 min), then the test accuracy', {
      epochs: 3,
      cell: 'gru',
      units: [64],
      lr: 5e-3,
      out: 'runs/mnist-demo',
    }).action(async (flags: TrainFlags) => {
      await runTraining(flags);
      process.stdout.write('Full-size runs and measured figures: apps/mnist-rows/README.md\n');
    }),
  );
  program.addCommand(
    addBackendOption(addDataOptions(new Command('evaluate').description('test accuracy, per-class accuracy, confusion matrix, misclassified images')))
      .requiredOption('--model <dir>', 'model directory (or the run directory holding model/)')
      .option('--out <dir>', 'where to write evaluation.json, confusion.svg, misclassified.png (default: next to the model)')
      .action((flags) => runEvaluate(flags)),
  );
  program.addCommand(
    addBackendOption(new Command('predict'))
      .description('class probabilities for your own PNG (any size; resized to 28×28)')
      .argument('<image>', 'PNG file')
      .requiredOption('--model <dir>', 'model directory (or the run directory holding model/)')
      .addOption(
        new Option('--invert <when>', 'auto: invert when the border is light (dark ink on white); yes; no')
          .argParser(choiceOption('--invert', INVERT_MODES))
          .default('auto'),
      )
      .option('--no-center', 'do not crop to the content and center it like the training images; only pad and resize')
      .action((image: string, flags) => runPredict(image, flags)),
  );
  return program;
}

await runCli(async () => {
  await buildProgram().parseAsync(process.argv);
});
