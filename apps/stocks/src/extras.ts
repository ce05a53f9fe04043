/**
 * What stocks' model directories record besides the weights, as strict schemas: read back by `stocksFromAppModel`,
 * so a hand-edited or foreign rnnkit.json is refused with the field at fault instead of being trusted. No Node
 * APIs here (the predictor imports it).
 */
import { cellSchema } from '@rnnkit/core/browser';
import { z } from 'zod';

/** The forecaster's architecture and window shape. */
export const forecasterConfigSchema = z.strictObject({
  cell: cellSchema,
  units: z.array(z.number().int().min(1)).min(1),
  dropout: z.number().min(0).max(0.9),
  lookback: z.number().int().min(1),
  numFeatures: z.number().int().min(1),
  horizon: z.number().int().min(1),
  /**
   * Quantile levels of a pinball-loss model, whose output is [horizon, levels] cumulative scaled returns (low/high are
   * its 0.1 and 0.9 quantiles, the forecast its median). Absent: a point model with one return per day.
   */
  quantiles: z.array(z.number().gt(0).lt(1)).min(3).optional()
    .refine((q) => q === undefined || q.every((v, i) => i === 0 || v > q[i - 1]), { message: 'must increase' })
    .refine((q) => q === undefined || [0.1, 0.5, 0.9].every((p) => q.some((v) => Math.abs(v - p) < 1e-9)), { message: 'must include 0.1, 0.5 and 0.9' }),
});
export type ForecasterConfig = z.output<typeof forecasterConfigSchema>;

/** core's StandardScaler.toJSON(): a = per-feature mean, b = per-feature std. */
export const standardScalerSchema = z.strictObject({
  format: z.literal('rnnkit-scaler'),
  kind: z.literal('standard'),
  a: z.array(z.number()).min(1),
  b: z.array(z.number().gt(0)).min(1),
});

/** Percentiles of the walk-forward errors in cumulative log return, per forecast day d (index d-1). */
export const errorBandSchema = z.strictObject({
  low: z.array(z.number()).min(1),
  high: z.array(z.number()).min(1),
  /** Test origins the band was estimated from. */
  samples: z.number().int().min(0),
  /** Share of those next-day closes inside the band the predictor shows (the quantile model's own 10%..90%). */
  coverage: z.number().min(0).max(1).optional(),
});
export type ErrorBand = z.output<typeof errorBandSchema>;

export const tickerExtrasSchema = z.strictObject({
  scaler: standardScalerSchema,
  /** The last date the model was trained with. */
  lastDate: z.string(),
  /** Absent in checkpoints, which are written before the walk-forward has produced its errors. */
  band: errorBandSchema.optional(),
});
export type TickerExtras = z.output<typeof tickerExtrasSchema>;

export const stocksExtrasSchema = z
  .strictObject({
    model: forecasterConfigSchema,
    /** Feature names in column order; a model trained with other features is refused. */
    features: z.array(z.string()).min(1),
    tickers: z.record(z.string().min(1), tickerExtrasSchema),
    /** Where the prices came from (shown by `info`). */
    data: z.string(),
  })
  .superRefine((extras, ctx) => {
    const { numFeatures, horizon } = extras.model;
    if (extras.features.length !== numFeatures) {
      ctx.addIssue({ code: 'custom', path: ['features'], message: `must name model.numFeatures = ${numFeatures} features` });
    }
    if (Object.keys(extras.tickers).length === 0) ctx.addIssue({ code: 'custom', path: ['tickers'], message: 'must hold at least one ticker' });
    for (const [ticker, t] of Object.entries(extras.tickers)) {
      for (const key of ['a', 'b'] as const) {
        if (t.scaler[key].length !== numFeatures) {
          ctx.addIssue({ code: 'custom', path: ['tickers', ticker, 'scaler', key], message: `must have model.numFeatures = ${numFeatures} values` });
        }
      }
      for (const key of ['low', 'high'] as const) {
        if (t.band && t.band[key].length !== horizon) {
          ctx.addIssue({ code: 'custom', path: ['tickers', ticker, 'band', key], message: `must have model.horizon = ${horizon} values` });
        }
      }
    }
  });
export type StocksExtras = z.output<typeof stocksExtrasSchema>;
