/**
 * Scores a walk-forward backtest: per ticker and overall, model versus baselines, on the same forecast origins.
 *
 * Price metrics (RMSE, MAE in price units, MAPE in %) compare forecast closes close·exp(r̂) with actual closes.
 * MASE compares log-return forecasts: the method's MAE divided by the naive (return 0) forecast's MAE on the
 * very same days, so naive scores exactly 1 and below 1 means better than naive.
 * Directional accuracy: share of days where sign(forecast return) equals sign(actual return), with sign(0) = 0.
 * A zero forecast (naive) has no direction, so it only scores on the rare days the close did not move at all.
 */
import { directionalAccuracy, lineChartSvg, mae, mape, mase, rmse } from '@rnnkit/core';
import { METHODS, type Backtest, type MethodName, type TickerBacktest } from './backtest.js';
import { evaluateIntervals, formatIntervals, type IntervalReport } from './intervals.js';

export interface MethodScores {
  rmse: number;
  mae: number;
  mape: number;
  mase: number;
  directionalAccuracy: number;
  count: number;
}

export interface TickerScores {
  ticker: string;
  scores: Record<MethodName, MethodScores>;
}

export interface EvaluationReport {
  step: number;
  perTicker: TickerScores[];
  /** Pooled over every ticker's test days; rmse/mae are NaN there (price units differ between tickers). */
  overall: Record<MethodName, MethodScores>;
  /** A quantile model's interval scores against the volatility baselines (every forecast day, not only `step`). */
  intervals?: IntervalReport;
}

/** The step-th (1-based) forecast day of every origin: actual and forecast returns, and the origin closes. */
interface StepSlice {
  actual: number[];
  forecasts: Record<MethodName, number[]>;
  originClose: number[];
}

function sliceStep(t: TickerBacktest, step: number): StepSlice {
  // The last origins of a series have fewer than `horizon` known future days; they only count for early steps.
  const keep = t.actual.map((a, i) => (a.length >= step ? i : -1)).filter((i) => i >= 0);
  const cumulative = (returns: number[]) => returns.slice(0, step).reduce((a, b) => a + b, 0);
  const forecasts = {} as Record<MethodName, number[]>;
  for (const m of METHODS) forecasts[m] = keep.map((i) => cumulative(t.forecasts[m][i]));
  return { actual: keep.map((i) => cumulative(t.actual[i])), forecasts, originClose: keep.map((i) => t.originClose[i]) };
}

function scoreSlice(s: StepSlice, method: MethodName, withPrices: boolean): MethodScores {
  const predicted = s.forecasts[method];
  const actualPrice = s.actual.map((r, i) => s.originClose[i] * Math.exp(r));
  const predictedPrice = predicted.map((r, i) => s.originClose[i] * Math.exp(r));
  const naiveMae = mae(s.actual, s.forecasts.naive);
  return {
    rmse: withPrices ? rmse(actualPrice, predictedPrice) : NaN,
    mae: withPrices ? mae(actualPrice, predictedPrice) : NaN,
    mape: mape(actualPrice, predictedPrice),
    mase: mase(s.actual, predicted, naiveMae),
    // In price terms the forecast's direction is measured from the origin close (core: previous = last known value).
    directionalAccuracy: directionalAccuracy(actualPrice, predictedPrice, s.originClose),
    count: s.actual.length,
  };
}

/**
 * Scores the cumulative log return from the origin to the step-th forecast day (step 1 = next day).
 * Overall scores pool the days of all tickers.
 */
export function evaluateBacktest(backtest: Backtest, step = 1): EvaluationReport {
  const slices = backtest.tickers.map((t) => sliceStep(t, step));
  const score = (s: StepSlice, withPrices: boolean) =>
    Object.fromEntries(METHODS.map((m) => [m, scoreSlice(s, m, withPrices)])) as Record<MethodName, MethodScores>;
  const pooled: StepSlice = {
    actual: slices.flatMap((s) => s.actual),
    originClose: slices.flatMap((s) => s.originClose),
    forecasts: Object.fromEntries(METHODS.map((m) => [m, slices.flatMap((s) => s.forecasts[m])])) as Record<MethodName, number[]>,
  };
  const intervals = evaluateIntervals(backtest);
  return {
    step,
    perTicker: backtest.tickers.map((t, i) => ({ ticker: t.ticker, scores: score(slices[i], true) })),
    overall: score(pooled, false),
    ...(intervals ? { intervals } : {}),
  };
}

function fmt(value: number, digits: number): string {
  return Number.isNaN(value) ? '-' : value.toFixed(digits);
}

/**
 * A plain-text table, followed by a summary that only states what the table shows (a quantile model's point
 * forecast is its median), then a quantile model's interval tables.
 */
export function formatReport(report: EvaluationReport): string {
  const header = ['ticker', 'method', 'RMSE', 'MAE', 'MAPE%', 'MASE', 'DirAcc%', 'days'];
  const rows: string[][] = [];
  const addRows = (ticker: string, scores: Record<MethodName, MethodScores>) => {
    METHODS.forEach((m, i) => {
      const s = scores[m];
      rows.push([
        i === 0 ? ticker : '', m, fmt(s.rmse, 3), fmt(s.mae, 3), fmt(s.mape, 3), fmt(s.mase, 3),
        fmt(100 * s.directionalAccuracy, 1), String(s.count),
      ]);
    });
  };
  report.perTicker.forEach((t) => addRows(t.ticker, t.scores));
  addRows('overall', report.overall);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const lines = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];

  const n = report.perTicker.length;
  const wins = report.perTicker.filter((t) => t.scores.model.mase < 1).length;
  const o = report.overall;
  const dir = (m: MethodName) => `${fmt(100 * o[m].directionalAccuracy, 1)}%`;
  const bestDir = METHODS.reduce((best, m) => (o[m].directionalAccuracy > o[best].directionalAccuracy ? m : best), METHODS[0]);
  lines.push(
    '',
    `Forecast day ${report.step}${report.step === 1 ? ' (next day)' : ''}; RMSE/MAE in price units, overall rows pool all tickers' days.`,
    `MASE = MAE of log-return forecasts / MAE of the naive (zero-return) forecast on the same days.`,
    `Model MASE < 1 on ${wins} of ${n} ticker${n === 1 ? '' : 's'}; overall model MASE ${fmt(o.model.mase, 3)} ` +
      `(${o.model.mase < 1 ? 'better' : 'not better'} than naive).`,
    `Directional accuracy overall: model ${dir('model')}, drift ${dir('drift')}, sma ${dir('sma')}, ` +
      `naive ${dir('naive')} (a zero forecast has no direction); best: ${bestDir}.`,
  );
  if (report.intervals) lines.push('', formatIntervals(report.intervals));
  return lines.join('\n');
}

/**
 * Actual vs model vs naive closes for the step-1 forecasts of one ticker over its test period, as an SVG; for a
 * quantile model (`levels` given) also the next-day fan: its 80% and 95% interval bounds.
 */
export function backtestChartSvg(t: TickerBacktest, levels?: readonly number[]): string {
  const price = (method: MethodName | 'actual') =>
    t.originClose.map((c, i) => c * Math.exp((method === 'actual' ? t.actual[i] : t.forecasts[method][i])[0]));
  const fan: { name: string; x: string[]; y: number[]; color: string; dashed: boolean }[] = [];
  if (t.quantiles && levels) {
    for (const [p, color] of [[0.025, '#f4a261'], [0.1, '#e76f51'], [0.9, '#e76f51'], [0.975, '#f4a261']] as const) {
      const k = levels.findIndex((l) => Math.abs(l - p) < 1e-9);
      if (k >= 0) fan.push({ name: `model ${+(100 * p).toFixed(1)}%`, x: t.targetDates, y: t.originClose.map((c, i) => c * Math.exp(t.quantiles![i][0][k])), color, dashed: true });
    }
  }
  return lineChartSvg({
    title: `${t.ticker}: next-day close forecasts over the walk-forward test period`,
    // Seven legend entries need the room.
    width: fan.length > 0 ? 1100 : undefined,
    xLabel: 'date',
    yLabel: 'close',
    series: [
      { name: 'actual', x: t.targetDates, y: price('actual') },
      { name: fan.length > 0 ? 'model (median)' : 'model', x: t.targetDates, y: price('model') },
      { name: 'naive (previous close)', x: t.targetDates, y: price('naive') },
      ...fan,
    ],
  });
}
