import { cellSchema, trainingConfigSchema, layerSizeSchema } from '@rnnkit/core';
import { z } from 'zod';
import { DEFAULT_TICKERS } from './data/tickers.js';

/**
 * stocks' training config: core's common fields plus the walk-forward, window and model settings. The walk-forward
 * is several trainings (fold 1 from scratch, each later fold and the final model fine-tuned), so three common
 * fields are redescribed here: --epochs and --patience apply to fold 1, and --max-seconds is refused.
 */
export const stocksConfigSchema = trainingConfigSchema(
  {
    out: 'runs/stocks', epochs: 20, batchSize: 64, lr: 1e-3, clipNorm: 1, patience: 4, seed: 1,
    dataHelp: 'folder of price CSVs (or one CSV); default $RNNKIT_DATA_DIR/stocks/..., then download',
  },
  {
    epochs: z.number().int().min(1).default(20)
      .describe('maximum epochs of fold 1 (later folds and the final model: --fine-tune-epochs)'),
    patience: z.number().int().min(0).default(4)
      .describe('early stopping of fold 1, the only phase with validation data: epochs without improvement (0 = off)'),
    // The walk-forward is several trainings (one per fold, then the final fit): one run-wide budget does not map onto it.
    maxSeconds: z.number().int().min(1).optional()
      .refine((v) => v === undefined, { message: 'not supported by stocks; cap the run with --max-steps-per-epoch' })
      .describe('not supported by stocks (the walk-forward is several trainings): cap the run with --max-steps-per-epoch'),
    tickers: z.array(z.string().min(1)).min(1).default([...DEFAULT_TICKERS]).describe('comma-separated tickers'),
    lookback: z.number().int().min(1).default(30).describe('days of features per input window'),
    horizon: z.number().int().min(1).default(5).describe('days forecast per window (forecast --days <= this)'),
    folds: z.number().int().min(1).default(4).describe('walk-forward folds'),
    testFraction: z.number().min(0.01).max(0.9).default(0.2).describe('share of each series tested walk-forward'),
    cell: cellSchema.default('gru').describe('recurrent cell'),
    units: z.array(layerSizeSchema).min(1).default([32]).describe('units per recurrent layer, e.g. 64,32'),
    loss: z.enum(['pinball', 'mae', 'mse']).default('pinball')
      .describe('pinball: quantile forecasts of the cumulative return per day (the band is the model\'s own); mae or mse: a point forecast with a band from its walk-forward errors'),
    dropout: z.number().min(0).max(0.9).default(0).describe('input dropout of the recurrent layers'),
    fineTuneEpochs: z.number().int().min(1).default(2)
      .describe('epochs per later fold and for the final model (--epochs and --patience: the first fold)'),
    plot: z.string().min(1).optional().describe('write actual vs model vs naive next-day closes of the first ticker to this SVG file'),
  },
);

export type StocksConfig = z.output<typeof stocksConfigSchema>;

/** The defaults of every field (what `train` uses when no flag or config file says otherwise). */
export const DEFAULT_CONFIG: StocksConfig = stocksConfigSchema.parse({});

/** The demo: AAPL and MSFT, a small model and 20 steps per epoch (a few seconds on 2 cores with native kernels). */
export const DEMO_CONFIG: Partial<StocksConfig> = {
  tickers: ['AAPL', 'MSFT'], folds: 2, epochs: 4, fineTuneEpochs: 1, units: [16], lookback: 20, maxStepsPerEpoch: 20,
};

/** Fixed settings of the walk-forward (not flags). */
export const VAL_FRACTION = 0.15;
export const SMA_WINDOW = 5;
/**
 * Quantile levels of the pinball model: pairs for the 50%, 80%, 90% and 95% central intervals and the median.
 * 0.1/0.9 are the output's low/high and 0.025/0.975 the 95% interval the evaluation checks.
 */
export const QUANTILE_LEVELS = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975] as const;
/** Trailing days of the rolling-volatility baseline band. */
export const VOL_WINDOW = 60;
/** Decay of the EWMA-volatility baseline band (RiskMetrics' daily value). */
export const EWMA_LAMBDA = 0.94;
