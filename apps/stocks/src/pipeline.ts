/**
 * Glue between data, training and evaluation used by the CLI and the integration test:
 * price series → windows → walk-forward → saved model directory (+ backtest.json).
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { loadModelDir, readJsonFile, RnnkitError, saveModelDir, type ScalerJSON } from '@rnnkit/core';
import { buildTickerWindows, type TickerWindows } from './data/dataset.js';
import { computeFeatures, FEATURE_NAMES } from './data/features.js';
import type { PriceSeries } from './data/prices.js';
import { errorBand, type ErrorBand } from './forecast.js';
import { walkForward, type Backtest, type StocksConfig, type WalkForwardOptions, type WalkForwardResult } from './train.js';

export const BACKTEST_FILE = 'backtest.json';

export interface TickerExtras {
  scaler: ScalerJSON;
  /** Last date the model was trained with, and the band of its walk-forward errors. */
  lastDate: string;
  band: ErrorBand;
}

export interface StocksExtras {
  app: 'stocks';
  config: StocksConfig;
  features: string[];
  tickers: Record<string, TickerExtras>;
}

export function prepareWindows(series: PriceSeries[], cfg: StocksConfig): TickerWindows[] {
  return series.map((s) => buildTickerWindows(computeFeatures(s), cfg));
}

/** Walk-forward training; saves `<outDir>/model` (with backtest.json) unless interrupted. */
export async function trainAndSave(
  series: PriceSeries[],
  cfg: StocksConfig,
  outDir: string,
  opts: Omit<WalkForwardOptions, 'outDir'> = {},
): Promise<WalkForwardResult & { modelDir: string }> {
  const data = prepareWindows(series, cfg);
  const result = await walkForward(data, cfg, { ...opts, outDir });
  const modelDir = join(outDir, 'model');
  if (!result.interrupted) {
    const extras: StocksExtras = {
      app: 'stocks',
      config: cfg,
      features: [...FEATURE_NAMES],
      tickers: Object.fromEntries(
        data.map((tw, i) => [
          tw.ticker,
          {
            scaler: tw.scaler.toJSON(),
            lastDate: tw.table.dates[tw.table.dates.length - 1],
            band: errorBand(result.backtest.tickers[i], cfg.horizon),
          },
        ]),
      ),
    };
    await saveModelDir(modelDir, result.model, extras as unknown as Record<string, unknown>, {
      files: { [BACKTEST_FILE]: JSON.stringify(result.backtest) },
    });
  }
  return { ...result, modelDir };
}

/** The walk-forward forecasts saved next to a model (enough for `evaluate`, no model needed). */
export async function loadBacktest(modelDir: string): Promise<Backtest> {
  const file = join(modelDir, BACKTEST_FILE);
  const backtest = (await readJsonFile(file, 'walk-forward backtest written by rnnkit-stocks train')) as Backtest;
  if (!Array.isArray(backtest?.tickers) || !Number.isInteger(backtest.horizon)) {
    throw new RnnkitError(`${file}: fields "tickers" and "horizon" are missing; not a stocks backtest`);
  }
  return backtest;
}

export async function loadTrained(modelDir: string): Promise<{ model: tf.LayersModel; extras: StocksExtras; backtest: Backtest }> {
  const { model, extras } = await loadModelDir(modelDir);
  if (extras.app !== 'stocks') throw new RnnkitError(`${modelDir}: not a model saved by rnnkit-stocks (rnnkit.json extras.app)`);
  return { model, extras: extras as unknown as StocksExtras, backtest: await loadBacktest(modelDir) };
}
