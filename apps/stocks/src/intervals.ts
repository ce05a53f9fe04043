/**
 * Scores the interval (quantile) forecasts of a walk-forward backtest against two baselines on the same origins:
 * the naive forecast (median 0) with Gaussian quantiles σ·√d·z from the trailing 60-day volatility (vol60) and from
 * an EWMA volatility (ewma). The target of day d is the cumulative log return from the origin to day d.
 * Metrics (core): coverage of the 80% and 95% central intervals, mean pinball loss over the levels, and the CRPS
 * approximated from the quantiles at the same levels for every method.
 */
import { centralIntervalIndices, crpsFromQuantiles, intervalCoverage, meanPinball, normalQuantile } from '@rnnkit/core';
import type { Backtest } from './backtest.js';
import { VOLATILITY_BASELINES } from './baselines.js';

export const INTERVAL_METHODS = ['model', ...VOLATILITY_BASELINES] as const;
export type IntervalMethod = (typeof INTERVAL_METHODS)[number];
/** The central intervals whose coverage is reported (nominal share). */
export const COVERAGES = [0.8, 0.95] as const;
/** The target: overall next-day coverage within this many points of nominal. */
export const COVERAGE_TOLERANCE = 0.03;

export interface IntervalScores {
  /** Empirical coverage of each central interval of COVERAGES. */
  coverage: number[];
  pinball: number;
  crps: number;
  count: number;
}

export interface IntervalReport {
  levels: number[];
  coverages: number[];
  /** Per forecast day d = 1..horizon, every ticker pooled. */
  perDay: Record<IntervalMethod, IntervalScores>[];
  /** All days of every ticker pooled. */
  allDays: Record<IntervalMethod, IntervalScores>;
  /** Next day (d = 1), per ticker. */
  perTicker: { ticker: string; scores: Record<IntervalMethod, IntervalScores> }[];
}

interface Slice {
  actual: number[];
  quantiles: Record<IntervalMethod, number[][]>;
}

function emptySlice(): Slice {
  return { actual: [], quantiles: { model: [], vol60: [], ewma: [] } };
}

function score(s: Slice, levels: number[], pairs: [number, number][]): Record<IntervalMethod, IntervalScores> {
  const out = {} as Record<IntervalMethod, IntervalScores>;
  for (const m of INTERVAL_METHODS) {
    const q = s.quantiles[m];
    out[m] = {
      coverage: pairs.map(([lo, hi]) => intervalCoverage(s.actual, q.map((r) => r[lo]), q.map((r) => r[hi]))),
      pinball: meanPinball(s.actual, q, levels),
      crps: crpsFromQuantiles(s.actual, q, levels),
      count: s.actual.length,
    };
  }
  return out;
}

/** The interval report of a quantile model's backtest; undefined for a point model's (it has no quantiles). */
export function evaluateIntervals(backtest: Backtest): IntervalReport | undefined {
  const levels = backtest.quantileLevels;
  if (!levels) return undefined;
  const pairs = COVERAGES.map((c) => centralIntervalIndices(levels, c));
  if (pairs.some((p) => p === undefined)) return undefined;
  const z = levels.map(normalQuantile);
  const perDay = Array.from({ length: backtest.horizon }, emptySlice);
  const perTicker = backtest.tickers.map(emptySlice);
  backtest.tickers.forEach((t, i) => {
    t.actual.forEach((actual, o) => {
      let cumulative = 0;
      for (let d = 1; d <= actual.length; d++) {
        cumulative += actual[d - 1];
        const slices = d === 1 ? [perDay[0], perTicker[i]] : [perDay[d - 1]];
        for (const s of slices) {
          s.actual.push(cumulative);
          s.quantiles.model.push(t.quantiles![o][d - 1]);
          for (const m of VOLATILITY_BASELINES) s.quantiles[m].push(z.map((zk) => zk * t.volatility[m][o] * Math.sqrt(d)));
        }
      }
    });
  });
  const all = emptySlice();
  for (const s of perDay) {
    all.actual.push(...s.actual);
    for (const m of INTERVAL_METHODS) all.quantiles[m].push(...s.quantiles[m]);
  }
  const p = pairs as [number, number][];
  return {
    levels,
    coverages: [...COVERAGES],
    perDay: perDay.filter((s) => s.actual.length > 0).map((s) => score(s, levels, p)),
    allDays: score(all, levels, p),
    perTicker: backtest.tickers.map((t, i) => ({ ticker: t.ticker, scores: score(perTicker[i], levels, p) })),
  };
}

/** Pinball and CRPS are shown in thousandths of a log return (≈ tenths of a percent). */
const SCALE = 1000;

/** The interval tables and a summary that only states what they show. */
export function formatIntervals(r: IntervalReport): string {
  const cov = r.coverages.map((c) => `cover${Math.round(100 * c)}%`);
  const header = ['', 'method', ...cov, 'pinball', 'CRPS', 'days'];
  const table = (rows: [string, Record<IntervalMethod, IntervalScores>][]) => {
    const cells: string[][] = [];
    for (const [label, scores] of rows) {
      INTERVAL_METHODS.forEach((m, i) => {
        const s = scores[m];
        cells.push([i === 0 ? label : '', m, ...s.coverage.map((c) => (100 * c).toFixed(1)), (SCALE * s.pinball).toFixed(3), (SCALE * s.crps).toFixed(3), String(s.count)]);
      });
    }
    return cells;
  };
  const render = (first: string, cells: string[][]) => {
    const head = [first, ...header.slice(1)];
    const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
    const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
    return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  };
  const byDay = table([...r.perDay.map((s, d) => [String(d + 1), s] as [string, Record<IntervalMethod, IntervalScores>]), ['all', r.allDays]]);
  const byTicker = table(r.perTicker.map((t) => [t.ticker, t.scores] as [string, Record<IntervalMethod, IntervalScores>]));
  const next = r.perDay[0];
  const target = r.coverages.map((c, k) => {
    const got = next.model.coverage[k];
    const ok = Math.abs(got - c) <= COVERAGE_TOLERANCE + 1e-12;
    return `${Math.round(100 * c)}% interval covers ${(100 * got).toFixed(1)}% (${ok ? 'within' : 'outside'} ±${100 * COVERAGE_TOLERANCE} points)`;
  });
  const best = INTERVAL_METHODS.reduce((b, m) => (next[m].crps < next[b].crps ? m : b), INTERVAL_METHODS[0]);
  const tickerWins = r.perTicker.filter((t) => VOLATILITY_BASELINES.every((m) => t.scores.model.crps < t.scores[m].crps)).length;
  return [
    `Interval forecasts: quantiles at ${r.levels.join(', ')} of the cumulative log return from the origin to day d.`,
    'vol60/ewma: naive median 0 with normal quantiles from the trailing 60-day / EWMA (λ 0.94) volatility × √d.',
    'Pinball and CRPS (approximated from the quantiles, same levels for every method) in 1e-3 log return; lower is better.',
    '',
    ...render('day', byDay),
    '',
    'Next day (d = 1) per ticker:',
    ...render('ticker', byTicker),
    '',
    `Next day, every ticker: the model's ${target.join('; ')}.`,
    `Next-day CRPS: model ${(SCALE * next.model.crps).toFixed(3)}, vol60 ${(SCALE * next.vol60.crps).toFixed(3)}, ewma ${(SCALE * next.ewma.crps).toFixed(3)}; ` +
      `best: ${best}. The model beats both baselines on ${tickerWins} of ${r.perTicker.length} tickers.`,
  ].join('\n');
}
