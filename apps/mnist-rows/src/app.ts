import * as path from 'node:path';
import { Option } from 'commander';
import { checkEnsembleMember, choiceOption, type AppDefinition, type CommandContext } from '@rnnkit/core';
import { TTA_MODES, type Tta } from './augment.js';
import { DEMO_CONFIG, mnistConfigSchema, type MnistConfig } from './config.js';
import { loadSplits, resolveFiles, type SplitConfig } from './data.js';
import { DATASETS, type DatasetName } from './datasets.js';
import { evaluateAndWrite, type EvaluationReport } from './evaluate.js';
import { describePreparedImage, pngInput, readMnistExtras } from './predict.js';
import { INVERT_MODES, type InvertMode } from './png.js';
import { loadMnistModel } from './load-model.js';
import { MNIST_APP, exampleInput, formatPrediction, mnistPredictor, type LoadedMnist, type MnistInput, type MnistOutput } from './predictor.js';
import { trainMnist, type MnistRun } from './train.js';
import { APP_VERSION } from './version.js';

interface EvaluateFlags {
  dataset?: DatasetName;
  data?: string;
  download?: boolean;
  out?: string;
  tta?: Tta;
  ensemble?: string[];
}

/**
 * Refuses an ensemble member whose validation or test images would not be those of the first model: another
 * dataset, split, or a model trained on part of the test set next to one that was not.
 */
function checkSameSplit(first: LoadedMnist, member: LoadedMnist): void {
  const a = first.extras;
  const b = member.extras;
  // maxTrain only shortens the training part; testFraction only matters when the test part is cut from the test set.
  const keys = a.trainedOnTestSet ? (['valFraction', 'splitSeed', 'testFraction'] as const) : (['valFraction', 'splitSeed'] as const);
  checkEnsembleMember(first, member, {
    dataset: [a.dataset, b.dataset],
    classes: [a.classNames, b.classNames],
    'image size': [[a.model.rows, a.model.cols], [b.model.rows, b.model.cols]],
    trainedOnTestSet: [a.trainedOnTestSet, b.trainedOnTestSet],
    ...Object.fromEntries(keys.map((key) => [`split.${key}`, [a.split[key], b.split[key]]])),
  });
}

/**
 * Scores the model on the test split recorded at training time: a model trained on part of the test set is only
 * ever tested on the rest. With --ensemble, the mean of several models' class probabilities; with --tta flip, each
 * image and its mirror image. Writes evaluation.json, confusion.svg and misclassified.png.
 */
async function evaluateModel(modelDir: string, flags: EvaluateFlags): Promise<{ report: EvaluationReport; text: string }> {
  const loaded = await loadMnistModel(modelDir);
  const others: LoadedMnist[] = [];
  try {
    // Every member is loaded and checked before the data is read, so that a wrong directory fails first.
    for (const dir of flags.ensemble ?? []) {
      const member = await loadMnistModel(dir);
      others.push(member);
      checkSameSplit(loaded, member);
    }
    const { extras } = loaded;
    const split: SplitConfig = { ...extras.split, holdOutFromTestSet: extras.trainedOnTestSet };
    const files = await resolveFiles({ dataset: flags.dataset ?? extras.dataset, dir: flags.data, download: flags.download });
    const splits = loadSplits(files, split);
    const models = [loaded, ...others].map((m) => ({ name: m.dir, model: m.model, mode: m.extras.model.mode }));
    const { report, text } = await evaluateAndWrite(models, splits, {
      classNames: extras.classNames,
      outDir: flags.out ?? path.dirname(loaded.dir),
      dataDescription: splits.description,
      tta: flags.tta ?? 'off',
    });
    return { report, text: `${splits.description}\n${text}` };
  } finally {
    loaded.model.dispose();
    for (const m of others) m.model.dispose();
  }
}

async function showDemo(_run: MnistRun, ctx: CommandContext): Promise<void> {
  // The test figures were printed by training (its evaluation); under --json core prints the run's summary.
  ctx.out('Full-size runs and measured figures: apps/mnist-rows/README.md');
}

/** mnist-rows: MNIST / Fashion-MNIST images read row by row by an RNN; the contract's image-in / class-out app. */
export const mnistApp: AppDefinition<MnistConfig, MnistInput, MnistOutput> = {
  name: MNIST_APP,
  bin: 'rnnkit-mnist',
  version: APP_VERSION,
  description: 'Classify MNIST / Fashion-MNIST images with an RNN reading them row by row (or pixel by pixel).',
  configSchema: mnistConfigSchema,
  train: trainMnist,
  evaluate: {
    description: 'test and validation accuracy (optionally with test-time augmentation or of an ensemble), per-class accuracy, confusion matrix, misclassified images',
    options: (cmd) =>
      cmd
        .addOption(new Option('--dataset <name>', "mnist or fashion-mnist (default: the model's)").argParser(choiceOption('--dataset', DATASETS)))
        .option('--data <dir>', 'folder with the IDX files (overrides $RNNKIT_DATA_DIR/<dataset>)')
        .option('--download', 'download files missing from the local folder (e.g. the MNIST training images) into the cache')
        .option('--out <dir>', 'where to write evaluation.json, confusion.svg, misclassified.png (default: next to the model)')
        .addOption(
          new Option('--tta <mode>', 'test-time augmentation: flip = average the class probabilities of each image and its mirror image (the figures without it are printed too)')
            .argParser(choiceOption('--tta', TTA_MODES))
            .default('off'),
        )
        .option('--ensemble <dirs...>', 'score the mean class probabilities of --model and these models (same dataset and split) instead of --model alone'),
    run: (dir, flags) => evaluateModel(dir, flags as EvaluateFlags),
  },
  loadPredictor: async (dir) => mnistPredictor(await loadMnistModel(dir)),
  predict: {
    inputHelp: 'a PNG file (any size; resized to 28×28)',
    inputIsPath: true,
    options: (cmd) =>
      cmd
        .addOption(
          new Option('--invert <when>', 'auto: invert when the border is light (dark ink on white); yes; no')
            .argParser(choiceOption('--invert', INVERT_MODES))
            .default('auto'),
        )
        .option('--no-center', 'do not crop to the content and center it like the training images; only pad and resize'),
    fromText: async (text, flags, ctx) => {
      // A path from stdin ends with a newline.
      const file = text.replace(/\r?\n$/, '');
      const model = await readMnistExtras(String(flags.model));
      const { input, image } = pngInput(file, model, { invert: flags.invert as InvertMode, center: flags.center !== false });
      ctx.info(describePreparedImage(file, image));
      return input;
    },
    format: formatPrediction,
    example: exampleInput,
  },
  demo: {
    description: 'short training on the default data (~1 min), then the test accuracy',
    defaults: DEMO_CONFIG,
    show: (run, _config, ctx) => showDemo(run as MnistRun, ctx),
  },
  removedFlags: { '--max-minutes': '--max-seconds (the time budget is in seconds now)' },
};
