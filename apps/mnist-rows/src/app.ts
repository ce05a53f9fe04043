import * as path from 'node:path';
import { Option } from 'commander';
import { choiceOption, type AppDefinition, type CommandContext } from '@rnnkit/core';
import { DEMO_CONFIG, mnistConfigSchema, type MnistConfig } from './config.js';
import { loadSplits, resolveFiles, type SplitConfig } from './data.js';
import { DATASETS, type DatasetName } from './datasets.js';
import { evaluateAndWrite, type EvaluationReport } from './evaluate.js';
import { describePreparedImage, pngInput, readMnistExtras } from './predict.js';
import { INVERT_MODES, type InvertMode } from './png.js';
import { loadMnistModel } from './load-model.js';
import { MNIST_APP, exampleInput, formatPrediction, mnistPredictor, type MnistInput, type MnistOutput } from './predictor.js';
import { trainMnist, type MnistRun } from './train.js';
import { APP_VERSION } from './version.js';

interface EvaluateFlags {
  dataset?: DatasetName;
  data?: string;
  download?: boolean;
  out?: string;
}

/**
 * Scores the model on the test split recorded at training time: a model trained on part of the test set is only
 * ever tested on the rest. Writes evaluation.json, confusion.svg and misclassified.png.
 */
async function evaluateModel(modelDir: string, flags: EvaluateFlags): Promise<{ report: EvaluationReport; text: string }> {
  const loaded = await loadMnistModel(modelDir);
  try {
    const { extras } = loaded;
    const split: SplitConfig = { ...extras.split, holdOutFromTestSet: extras.trainedOnTestSet };
    const files = await resolveFiles({ dataset: flags.dataset ?? extras.dataset, dir: flags.data, download: flags.download });
    const splits = loadSplits(files, split);
    const { report, text } = await evaluateAndWrite(loaded.model, splits.test, {
      mode: extras.model.mode,
      classNames: extras.classNames,
      outDir: flags.out ?? path.dirname(loaded.dir),
      dataDescription: splits.description,
    });
    return { report, text: `${splits.description}\n${text}` };
  } finally {
    loaded.model.dispose();
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
    description: 'test accuracy, per-class accuracy, confusion matrix, misclassified images',
    options: (cmd) =>
      cmd
        .addOption(new Option('--dataset <name>', "mnist or fashion-mnist (default: the model's)").argParser(choiceOption('--dataset', DATASETS)))
        .option('--data <dir>', 'folder with the IDX files (overrides $RNNKIT_DATA_DIR/<dataset>)')
        .option('--download', 'download files missing from the local folder (e.g. the MNIST training images) into the cache')
        .option('--out <dir>', 'where to write evaluation.json, confusion.svg, misclassified.png (default: next to the model)'),
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
