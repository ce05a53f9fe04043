/**
 * The walk-forward backtest: every test origin's forecasts by the model and the baselines. `train` saves it next to
 * the model (backtest.json) and `evaluate` scores it without loading the network.
 */
import { join } from 'node:path';
import { parseWithSchema, readJsonFile } from '@rnnkit/core';
import { z } from 'zod';
import { BASELINES } from './baselines.js';

export const BACKTEST_FILE = 'backtest.json';

export const METHODS = ['model', ...BASELINES] as const;
export type MethodName = (typeof METHODS)[number];

const returnsSchema = z.array(z.array(z.number()));

const tickerBacktestSchema = z.strictObject({
  ticker: z.string().min(1),
  /** Date and close of each origin (the forecast is made after that close). */
  originDates: z.array(z.string()),
  originClose: z.array(z.number()),
  /** Date of the first forecast day (the next trading row) per origin. */
  targetDates: z.array(z.string()),
  fold: z.array(z.number().int().min(0)),
  /** Realised log returns of the `horizon` days after each origin (fewer at the end of a series). */
  actual: returnsSchema,
  forecasts: z.strictObject({ model: returnsSchema, naive: returnsSchema, drift: returnsSchema, sma: returnsSchema }),
});

export const backtestSchema = z.strictObject({
  horizon: z.number().int().min(1),
  tickers: z.array(tickerBacktestSchema).min(1),
});

/** Forecasts of one ticker at every test origin; returns are log returns for the `horizon` days after the origin. */
export type TickerBacktest = z.output<typeof tickerBacktestSchema>;
export type Backtest = z.output<typeof backtestSchema>;

/** The walk-forward forecasts saved in a model directory (already resolved, e.g. by core's checkModelApp). */
export async function loadBacktest(modelDir: string): Promise<Backtest> {
  const file = join(modelDir, BACKTEST_FILE);
  const json = await readJsonFile(file, 'walk-forward backtest written by rnnkit-stocks train');
  return parseWithSchema(backtestSchema, json, file);
}
