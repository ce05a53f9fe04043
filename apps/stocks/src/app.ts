import type { Command } from 'commander';
import { intOption, printJson, RnnkitError, type AppDefinition } from '@rnnkit/core';
import { loadBacktest } from './backtest.js';
import { DEMO_CONFIG, stocksConfigSchema, type StocksConfig } from './config.js';
import { loadSeries } from './data/load.js';
import { normalizeTicker } from './data/tickers.js';
import { evaluateBacktest, formatReport } from './evaluate.js';
import { exampleInput } from './example.js';
import { formatForecast } from './forecast.js';
import { loadStocksModel } from './load-model.js';
import { STOCKS_APP, inputFromSeries, stocksPredictor, type StocksInput, type StocksOutput } from './predictor.js';
import { trainStocks, writeBacktestPlot } from './train.js';
import { APP_VERSION } from './version.js';

const DATA_HELP = 'folder of price CSVs (or one CSV); default $RNNKIT_DATA_DIR/stocks/..., then download';
const daysOption = (cmd: Command) => cmd.option('--days <n>', "trading days ahead (default: the model's horizon)", intOption('--days', { min: 1 }));

/** Reads one ticker's prices (the only code path besides train that loads danfojs-node, lazily) and notes dropped rows. */
async function readTicker(data: string | undefined, ticker: string, flag: string, info: (line: string) => void) {
  const [series] = await loadSeries(data, [ticker], flag);
  for (const note of series.notes) info(`note: ${note}`);
  return series;
}

/** stocks: daily return forecasting, scored walk-forward against naive, drift and SMA baselines. */
export const stocksApp: AppDefinition<StocksConfig, StocksInput, StocksOutput> = {
  name: STOCKS_APP,
  version: APP_VERSION,
  description: 'Daily stock return forecasting with GRU/LSTM, walk-forward backtests and honest baselines',
  trainDescription: 'walk-forward backtest, then save the final model and print the table',
  configSchema: stocksConfigSchema,
  train: trainStocks,
  evaluate: {
    description: 'per-ticker and overall tables of the saved walk-forward backtest: point forecasts vs naive, drift, SMA; intervals vs vol60, EWMA',
    options: (cmd) =>
      cmd
        .option('--step <n>', 'score the cumulative return to forecast day n (1 = next day)', intOption('--step', { min: 1 }), 1)
        .option('--plot <file.svg>', 'write actual vs model vs naive next-day closes')
        .option('--ticker <name>', 'ticker to plot (default: the first)'),
    run: async (dir, flags, ctx) => {
      const backtest = await loadBacktest(dir);
      const step = flags.step as number;
      if (step > backtest.horizon) throw new RnnkitError(`--step ${step}: the model forecasts ${backtest.horizon} days`);
      const report = evaluateBacktest(backtest, step);
      if (typeof flags.plot === 'string') ctx.info(await writeBacktestPlot(flags.plot, backtest, flags.ticker as string | undefined));
      return { report, text: formatReport(report) };
    },
  },
  loadPredictor: async (dir) => stocksPredictor(await loadStocksModel(dir)),
  predict: {
    inputHelp: 'a ticker symbol, whose prices are read from --data or the default data folder',
    options: (cmd) => daysOption(cmd.option('--data <path>', DATA_HELP)),
    fromText: async (text, flags, ctx) => {
      const ticker = text.trim();
      if (ticker === '') throw new RnnkitError('predict: the input is empty; give a ticker symbol such as AAPL');
      const series = await readTicker(flags.data as string | undefined, ticker, `predict ${ticker}`, (line) => ctx.info(line));
      return inputFromSeries(series, flags.days as number | undefined);
    },
    format: formatForecast,
    example: exampleInput,
  },
  demo: {
    description: `short walk-forward run on AAPL and MSFT (${DEMO_CONFIG.maxStepsPerEpoch} steps per epoch unless --max-steps-per-epoch), then a forecast`,
    defaults: DEMO_CONFIG,
    // Under --json core sends `ctx.out` to stderr and prints the run's summary on stdout.
    show: async (run, config, ctx) => {
      if (run.result.interrupted) return;
      const predictor = await stocksApp.loadPredictor(run.modelDir);
      try {
        const series = await readTicker(config.data, config.tickers[0], '--tickers', (line) => ctx.info(line));
        const forecast = await predictor.predict(inputFromSeries(series));
        ctx.info(`model saved to ${run.modelDir}`);
        ctx.out(`\n${formatForecast(forecast)}`);
        ctx.out('\nThe full 10-ticker run, its command and measured figures are in apps/stocks/README.md.');
      } finally {
        predictor.dispose();
      }
    },
  },
  commands: (h) => [
    h.action<{ model: string; ticker: string; days?: number; data?: string }>(
      daysOption(h.modelCommand('forecast', 'next closes of one ticker (prices read from --data) with a 10%..90% band (the quantile model\'s own, or a point model\'s walk-forward errors)'))
        .requiredOption('--ticker <name>', 'ticker, e.g. AAPL')
        .option('--data <path>', DATA_HELP),
      async (flags, ctx) => {
        const loaded = await loadStocksModel(flags.model);
        const predictor = stocksPredictor(loaded);
        try {
          const ticker = normalizeTicker(flags.ticker);
          const trained = Object.keys(loaded.tickers);
          if (!trained.includes(ticker)) throw new RnnkitError(`--ticker ${ticker}: the model was trained on ${trained.join(', ')}`);
          if (flags.days !== undefined && flags.days > loaded.config.horizon) {
            throw new RnnkitError(`--days ${flags.days}: this model forecasts at most ${loaded.config.horizon} days (retrain with --horizon ${flags.days})`);
          }
          const series = await readTicker(flags.data, ticker, '--ticker', (line) => ctx.info(line));
          const output = await predictor.predict(inputFromSeries(series, flags.days));
          if (ctx.json) printJson(output);
          else ctx.out(formatForecast(output));
        } finally {
          predictor.dispose();
        }
      },
    ),
  ],
};
