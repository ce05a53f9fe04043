#!/usr/bin/env node
/** rnnkit-stocks: train (walk-forward backtest + final model), evaluate, forecast, demo. */
import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  addBackendOption, addTrainingOptions, choiceOption, floatOption, initBackend, RnnkitError, intListOption, intOption, lossCurveSvg, runCli,
  setSeed, writeFileAtomic, type BackendName, type TrainingFlags,
} from '@rnnkit/core';
import { DEFAULT_TICKERS, loadSeries } from './data/load.js';
import { backtestChartSvg, evaluateBacktest, formatReport } from './evaluate.js';
import { forecastTicker, formatForecast } from './forecast.js';
import { loadBacktest, loadTrained, trainAndSave } from './pipeline.js';
import { DEFAULT_CONFIG, type Backtest, type StocksConfig } from './train.js';

const D = DEFAULT_CONFIG;

/** A flag restricted to a fixed set of values (commander Option, so the default shows in --help). */
function choice<T extends string>(flag: string, help: string, choices: readonly T[], fallback?: T): Option {
  const option = new Option(`${flag} <name>`, `${help}: ${choices.join(' or ')}`).argParser(choiceOption(flag, choices));
  return fallback === undefined ? option : option.default(fallback);
}

const positive = (flag: string) => intOption(flag, { min: 1 });
const tickerList = (v: string) => v.split(',').map((t) => t.trim()).filter(Boolean);

/**
 * The shared training flags (--epochs ... --seed, --backend) come from core's addTrainingOptions. Here --epochs is the
 * first fold's maximum and --patience its early stopping (later folds and the final fit have no validation data).
 */
function addTrainOptions(cmd: Command, defaults: StocksConfig, tickers: string[]): Command {
  cmd
    .option('--data <path>', 'folder of price CSVs (or one CSV); default $RNNKIT_DATA_DIR/stocks/..., then download')
    .option('--out <dir>', 'run directory (model, checkpoints, metrics.jsonl)', 'runs/stocks')
    .option('--tickers <list>', 'comma-separated tickers', tickerList, tickers)
    .option('--lookback <n>', 'days of features per input window', positive('--lookback'), defaults.lookback)
    .option('--horizon <n>', 'days forecast per window (forecast --days <= this)', positive('--horizon'), defaults.horizon)
    .option('--folds <n>', 'walk-forward folds', positive('--folds'), defaults.folds)
    .option(
      '--test-fraction <f>', 'share of each series tested walk-forward',
      floatOption('--test-fraction', { min: 0.01, max: 0.9 }), defaults.testFraction,
    )
    .addOption(choice('--cell', 'recurrent cell', ['gru', 'lstm'] as const, defaults.cell))
    .option('--units <list>', 'units per recurrent layer, e.g. 64,32', intListOption('--units'), defaults.units)
    .addOption(choice('--loss', 'loss on scaled returns', ['mae', 'mse'] as const, defaults.loss))
    .option('--dropout <f>', 'input dropout of the recurrent layers', floatOption('--dropout', { min: 0, max: 0.9 }), defaults.dropout)
    .option('--fine-tune-epochs <n>', 'epochs per later fold and for the final model (--epochs and --patience: the first fold)', positive('--fine-tune-epochs'), defaults.fineTuneEpochs);
  return addTrainingOptions(cmd, {
    epochs: defaults.epochs, batchSize: defaults.batchSize, lr: defaults.learningRate, clipNorm: defaults.clipNorm,
    patience: defaults.patience, seed: defaults.seed,
  }).option('--plot <file.svg>', 'write actual vs model vs naive closes of the first ticker');
}

interface TrainFlags extends TrainingFlags {
  data?: string; out: string; tickers: string[];
  lookback: number; horizon: number; folds: number; testFraction: number; cell: 'gru' | 'lstm'; units: number[];
  loss: 'mae' | 'mse'; dropout: number; fineTuneEpochs: number; plot?: string;
}

/** `base`: the command's defaults; its maxStepsPerEpoch (the demo's cap) applies unless --max-steps-per-epoch is given. */
function configFrom(f: TrainFlags, base: StocksConfig): StocksConfig {
  // The walk-forward is several trainings (one per fold, then the final fit), so one run-wide --max-seconds does not map onto it.
  if (f.maxSeconds !== undefined) throw new RnnkitError('--max-seconds is not supported by stocks; cap the run with --max-steps-per-epoch');
  return {
    ...base,
    lookback: f.lookback, horizon: f.horizon, folds: f.folds, testFraction: f.testFraction, cell: f.cell,
    units: f.units, loss: f.loss, dropout: f.dropout, epochs: f.epochs, fineTuneEpochs: f.fineTuneEpochs, batchSize: f.batchSize,
    learningRate: f.lr, clipNorm: f.clipNorm, patience: f.patience, seed: f.seed, maxStepsPerEpoch: f.maxStepsPerEpoch ?? base.maxStepsPerEpoch,
  };
}

async function writePlot(file: string, backtest: Backtest, ticker?: string): Promise<void> {
  const t = ticker ? backtest.tickers.find((b) => b.ticker === ticker.toUpperCase()) : backtest.tickers[0];
  if (!t) throw new RnnkitError(`--ticker ${ticker}: not in this backtest (${backtest.tickers.map((b) => b.ticker).join(', ')})`);
  mkdirSync(dirname(file), { recursive: true });
  await writeFileAtomic(file, backtestChartSvg(t));
  console.log(`wrote ${file} (${t.ticker})`);
}

async function trainCommand(f: TrainFlags, defaults: StocksConfig): Promise<number> {
  const cfg = configFrom(f, defaults);
  await initBackend({ backend: f.backend });
  setSeed(f.seed);
  const series = await loadSeries(f.data, f.tickers);
  for (const s of series) for (const note of s.notes) console.error(`note: ${note}`);
  const started = Date.now();
  const result = await trainAndSave(series, cfg, f.out, { resume: Boolean(f.resume), log: (line) => console.error(line) });
  if (result.interrupted) {
    console.error(`interrupted; checkpoints kept in ${join(f.out, 'checkpoints')} (rerun with --resume)`);
    return 130;
  }
  console.log(formatReport(evaluateBacktest(result.backtest)));
  console.log(`\nmodel saved to ${result.modelDir} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const lossSvg = join(f.out, 'loss.svg');
  await writeFileAtomic(lossSvg, lossCurveSvg(result.phases[0].result.history, { title: 'Fold 1 training (scaled-return loss)' }));
  console.log(`wrote ${lossSvg} (fold-1 training curve)`);
  if (f.plot) await writePlot(f.plot, result.backtest);
  result.model.dispose();
  return 0;
}

async function main(): Promise<void | number> {
  const program = new Command('rnnkit-stocks')
    .description('Daily stock return forecasting with GRU/LSTM, walk-forward backtests and honest baselines')
    .showHelpAfterError();

  addTrainOptions(program.command('train').description('walk-forward backtest, then save the final model and print the table'), D, DEFAULT_TICKERS)
    .action(async (f: TrainFlags) => { process.exitCode = await trainCommand(f, D); });

  program
    .command('evaluate')
    .description('per-ticker and overall table of the saved walk-forward backtest: model vs naive, drift, SMA')
    .option('--model <dir>', 'model directory written by train', 'runs/stocks/model')
    .option('--step <n>', 'score the cumulative return to forecast day n (1 = next day)', intOption('--step', { min: 1 }), 1)
    .option('--plot <file.svg>', 'write actual vs model vs naive next-day closes')
    .option('--ticker <name>', 'ticker to plot (default: the first)')
    .action(async (f: { model: string; step: number; plot?: string; ticker?: string }) => {
      const backtest = await loadBacktest(f.model);
      if (f.step > backtest.horizon) throw new RnnkitError(`--step ${f.step}: the model forecasts ${backtest.horizon} days`);
      console.log(formatReport(evaluateBacktest(backtest, f.step)));
      if (f.plot) await writePlot(f.plot, backtest, f.ticker);
    });

  addBackendOption(program.command('forecast'))
    .description('next closes of one ticker with a band from the walk-forward errors')
    .requiredOption('--ticker <name>', 'ticker, e.g. AAPL')
    .option('--days <n>', 'trading days ahead', intOption('--days', { min: 1 }), 5)
    .option('--model <dir>', 'model directory written by train', 'runs/stocks/model')
    .option('--data <path>', 'folder of price CSVs (or one CSV); default $RNNKIT_DATA_DIR/stocks/...')
    .action(async (f: { ticker: string; days: number; model: string; data?: string; backend?: BackendName }) => {
      await initBackend({ backend: f.backend });
      const { model, extras } = await loadTrained(f.model);
      const ticker = f.ticker.toUpperCase().replace(/^\^/, '');
      const saved = extras.tickers[ticker];
      if (!saved) throw new RnnkitError(`--ticker ${ticker}: the model was trained on ${Object.keys(extras.tickers).join(', ')}`);
      const [series] = await loadSeries(f.data, [ticker]);
      const result = forecastTicker(model, series, extras.config, saved.scaler, saved.band, f.days);
      console.log(formatForecast(result, saved.band));
      model.dispose();
    });

  const demoDefaults: StocksConfig = { ...D, folds: 2, epochs: 4, fineTuneEpochs: 1, units: [16], lookback: 20, maxStepsPerEpoch: 20 };
  addTrainOptions(
    program.command('demo').description(
      `short walk-forward run on AAPL and MSFT (about a minute; ${demoDefaults.maxStepsPerEpoch} steps per epoch unless --max-steps-per-epoch)`,
    ),
    demoDefaults, ['AAPL', 'MSFT'],
  )
    .action(async (f: TrainFlags) => {
      process.exitCode = await trainCommand({ ...f, out: f.out === 'runs/stocks' ? 'runs/stocks-demo' : f.out }, demoDefaults);
      if (process.exitCode === 0) console.log('The full 10-ticker run, its command and measured figures are in apps/stocks/README.md.');
    });

  await program.parseAsync(process.argv);
}

await runCli(main);
