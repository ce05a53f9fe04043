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
  /** The point forecasts (a quantile model's: the daily returns of its median path). */
  forecasts: z.strictObject({ model: returnsSchema, naive: returnsSchema, drift: returnsSchema, sma: returnsSchema }),
  /**
   * A quantile model's forecasts per origin: [day d][level] quantiles of the cumulative log return from the origin
   * to day d (d = 1..horizon), at the backtest's `quantileLevels`.
   */
  quantiles: z.array(z.array(z.array(z.number()))).optional(),
  /** Daily volatility known at each origin, for the interval baselines (baselines.ts). */
  volatility: z.strictObject({ vol60: z.array(z.number().min(0)), ewma: z.array(z.number().min(0)) }),
});

export const backtestSchema = z
  .strictObject({
    horizon: z.number().int().min(1),
    /** The levels of `quantiles` (absent for a point model). */
    quantileLevels: z.array(z.number().gt(0).lt(1)).optional(),
    tickers: z.array(tickerBacktestSchema).min(1),
  })
  .superRefine((b, ctx) => {
    b.tickers.forEach((t, i) => {
      const n = t.originDates.length;
      const lengths = { originClose: t.originClose, targetDates: t.targetDates, fold: t.fold, actual: t.actual, ...t.forecasts, ...t.volatility };
      for (const [field, values] of Object.entries(lengths)) {
        if (values.length !== n) ctx.addIssue({ code: 'custom', path: ['tickers', i, field], message: `has ${values.length} entries for ${n} origins` });
      }
      if ((t.quantiles === undefined) !== (b.quantileLevels === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['tickers', i, 'quantiles'], message: 'present exactly when quantileLevels is' });
        return;
      }
      const levels = b.quantileLevels?.length ?? 0;
      t.quantiles?.forEach((days, o) => {
        if (days.length !== b.horizon || days.some((q) => q.length !== levels)) {
          ctx.addIssue({ code: 'custom', path: ['tickers', i, 'quantiles', o], message: `must be ${b.horizon} days of ${levels} quantiles` });
        }
      });
    });
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
