#!/usr/bin/env node
import { Command } from 'commander';
import {
  addTrainingOptions, initBackend, intOption, runCli, saveModelDir, trainConfigFromFlags, type TrainingFlags,
} from '@rnnkit/core';
import { evaluateAccuracy, trainApp } from './train.js';

const program = new Command('rnnkit-__NAME__').description('__NAME__: an rnnkit app');

const trainCommand = program
  .command('train')
  .description('train the model and save it to --out')
  .option('--out <dir>', 'output directory', 'runs/__NAME__')
  .option('--examples <n>', 'training examples', intOption('--examples', { min: 10 }), 2000);
addTrainingOptions(trainCommand, { epochs: 15, batchSize: 32, lr: 1e-2, clipNorm: 5, patience: 3, seed: 1 })
  .action(async (opts: TrainingFlags & { out: string; examples: number }) => {
    await initBackend({ backend: opts.backend });
    const { model, config, test, result } = await trainApp({ training: trainConfigFromFlags(opts), examples: opts.examples, out: opts.out });
    await saveModelDir(`${opts.out}/model`, model, { config });
    console.log(`test accuracy ${(evaluateAccuracy(model, test) * 100).toFixed(1)}%; model saved to ${opts.out}/model`);
    if (result.interrupted) process.exitCode = 130;
  });

await runCli(() => program.parseAsync().then(() => undefined));
