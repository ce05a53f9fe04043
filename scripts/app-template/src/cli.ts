#!/usr/bin/env node
import { Command } from 'commander';
import { initBackend, intOption, runCli, saveModelDir } from '@rnnkit/core';
import { evaluateAccuracy, trainApp } from './train.js';

const program = new Command('rnnkit-__NAME__').description('__NAME__: an rnnkit app');

program
  .command('train')
  .description('train the model and save it to --out')
  .option('--out <dir>', 'output directory', 'runs/__NAME__')
  .option('--epochs <n>', 'training epochs', intOption('--epochs', { min: 1 }), 10)
  .option('--examples <n>', 'training examples', intOption('--examples', { min: 10 }), 2000)
  .option('--seed <n>', 'random seed', intOption('--seed'), 1)
  .option('--backend <name>', 'tensorflow or cpu')
  .action(async (opts) => {
    await initBackend({ backend: opts.backend });
    const { model, config, test } = await trainApp(opts);
    await saveModelDir(`${opts.out}/model`, model, { config });
    console.log(`test accuracy ${(evaluateAccuracy(model, test) * 100).toFixed(1)}%; model saved to ${opts.out}/model`);
  });

await runCli(() => program.parseAsync().then(() => undefined));
