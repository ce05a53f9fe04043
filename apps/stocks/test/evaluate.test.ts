import { describe, expect, it } from 'vitest';
import {
  baselineReturns, evaluateBacktest, evaluateIntervals, ewmaVolatility, formatReport, trailingVolatility, type Backtest, type FeatureTable,
  type TickerBacktest,
} from '../src/index.js';

// Four next-day forecasts, numbers small enough to check by hand.
//   origin closes C = 100, 110, 105, 120;  actual next closes A = 110, 99, 105, 123;  model P = 105, 100, 110, 118
const C = [100, 110, 105, 120];
const A = [110, 99, 105, 123];
const P = [105, 100, 110, 118];
const ret = (to: number[]) => to.map((v, i) => [Math.log(v / C[i])]);

function ticker(name: string, model = P): TickerBacktest {
  return {
    ticker: name,
    originDates: ['d0', 'd1', 'd2', 'd3'],
    originClose: C,
    targetDates: ['d1', 'd2', 'd3', 'd4'],
    fold: [0, 0, 1, 1],
    actual: ret(A),
    forecasts: { model: ret(model), naive: C.map(() => [0]), drift: C.map(() => [0.01]), sma: C.map(() => [-0.01]) },
    volatility: { vol60: C.map(() => 0.01), ewma: C.map(() => 0.02) },
  };
}

describe('evaluation against hand-computed values', () => {
  const report = evaluateBacktest({ horizon: 1, tickers: [ticker('AAA')] });
  const model = report.perTicker[0].scores.model;
  const naive = report.perTicker[0].scores.naive;

  it('price errors of the model: 5, -1, -5, 5', () => {
    expect(model.rmse).toBeCloseTo(Math.sqrt(19), 10); // sqrt((25 + 1 + 25 + 25) / 4)
    expect(model.mae).toBeCloseTo(4, 10);
    expect(model.mape).toBeCloseTo(3.5956252419667054, 10); // 100/4 · (5/110 + 1/99 + 5/105 + 5/123)
    expect(model.count).toBe(4);
  });

  it('naive errors 10, -11, 0, 3; MASE is relative to naive on the same days', () => {
    expect(naive.rmse).toBeCloseTo(7.582875444051551, 10); // sqrt(230 / 4)
    expect(naive.mae).toBeCloseTo(6, 10);
    expect(naive.mase).toBe(1);
    // mean|ln(A/P)| / mean|ln(A/C)| = 0.0361475245 / 0.0563408270
    expect(model.mase).toBeCloseTo(0.6415866863133824, 10);
  });

  it('directional accuracy: model up/down/up/down vs actual up/down/flat/up; a zero forecast only hits flat days', () => {
    expect(model.directionalAccuracy).toBe(0.5);
    expect(naive.directionalAccuracy).toBe(0.25);
    expect(report.perTicker[0].scores.drift.directionalAccuracy).toBe(0.5); // always up: hits days 1 and 4
    expect(report.perTicker[0].scores.sma.directionalAccuracy).toBe(0.25); // always down: hits day 2
  });

  it('pools the days of all tickers overall and leaves price-unit errors out there', () => {
    const both = evaluateBacktest({ horizon: 1, tickers: [ticker('AAA'), ticker('BBB', A)] });
    expect(both.overall.model.count).toBe(8);
    expect(both.overall.model.mase).toBeCloseTo(0.6415866863133824 / 2, 10); // BBB's model is perfect
    expect(both.overall.model.rmse).toBeNaN();
    expect(both.overall.model.directionalAccuracy).toBeCloseTo((2 + 4) / 8, 12);
  });

  it('scores cumulative returns for later forecast days', () => {
    const t = ticker('AAA');
    t.actual = t.actual.map((r) => [r[0], 0.1]);
    t.forecasts.model = t.forecasts.model.map((r) => [r[0], 0.1]);
    const step2 = evaluateBacktest({ horizon: 2, tickers: [t] }, 2);
    expect(step2.perTicker[0].scores.model.mae).toBeCloseTo(4 * Math.exp(0.1), 8);
  });

  it('the summary never claims a win the table does not show', () => {
    const worse = ticker('AAA', [120, 90, 95, 135]);
    const text = formatReport(evaluateBacktest({ horizon: 1, tickers: [worse] } satisfies Backtest));
    expect(text).toMatch(/Model MASE < 1 on 0 of 1 ticker;/);
    expect(text).toMatch(/not better than naive/);
    expect(formatReport(report)).toMatch(/Model MASE < 1 on 1 of 1 ticker; overall model MASE 0\.642 \(better than naive\)/);
  });
});

describe('baselines', () => {
  const table: FeatureTable = {
    ticker: 'T', file: 't.csv', dates: ['a', 'b', 'c', 'd'], close: [10, 11, 12, 9], features: [], returns: [0.02, 0.04, -0.01, 0.03],
  };
  it('naive forecasts zero returns, drift the mean return so far, sma the gap to the moving average', () => {
    expect(baselineReturns('naive', table, 2, 3, 2)).toEqual([0, 0, 0]);
    expect(baselineReturns('drift', table, 2, 2, 2)).toEqual([0.05 / 3, 0.05 / 3]);
    const sma = baselineReturns('sma', table, 3, 2, 2);
    expect(sma[0]).toBeCloseTo(Math.log(10.5 / 9), 12);
    expect(sma[1]).toBe(0);
  });
});

describe('interval forecasts against hand-computed values', () => {
  const levels = [0.025, 0.1, 0.5, 0.9, 0.975];
  // Two next-day origins: actual returns 0.01 and −0.03; the model's quantiles are the same both days.
  const q = [-0.02, -0.01, 0, 0.01, 0.02];
  const t: TickerBacktest = {
    ticker: 'AAA', originDates: ['d0', 'd1'], originClose: [100, 101], targetDates: ['d1', 'd2'], fold: [0, 0],
    actual: [[0.01], [-0.03]],
    forecasts: { model: [[0], [0]], naive: [[0], [0]], drift: [[0], [0]], sma: [[0], [0]] },
    quantiles: [[q], [q]],
    volatility: { vol60: [0.01, 0.01], ewma: [0.02, 0.02] },
  };
  const report = evaluateIntervals({ horizon: 1, quantileLevels: levels, tickers: [t] })!;
  const next = report.perDay[0];

  it('coverage of the 80% and 95% intervals (bounds count as inside)', () => {
    expect(next.model.coverage).toEqual([0.5, 0.5]); // 0.01 sits on the 90% quantile; −0.03 is outside both
    expect(next.vol60.coverage).toEqual([0.5, 0.5]); // ±1.28·0.01, ±1.96·0.01
    expect(next.ewma.coverage).toEqual([0.5, 1]); // ±1.96·0.02 holds −0.03
  });

  it('pinball and CRPS of the model', () => {
    // Pinball per level, y = 0.01: 0.00075, 0.002, 0.005, 0, 0.00025; y = −0.03: 0.00975, 0.018, 0.015, 0.004, 0.00125.
    expect(next.model.pinball).toBeCloseTo(0.056 / 10, 12);
    // Level weights 0.0625, 0.2375, 0.4, 0.2375, 0.0625: CRPS 2·0.0025375 and 2·0.0119125.
    expect(next.model.crps).toBeCloseTo((0.005075 + 0.023825) / 2, 12);
    expect(report.perTicker[0].scores.model.crps).toBe(next.model.crps);
    expect(formatReport({ ...evaluateBacktest({ horizon: 1, quantileLevels: levels, tickers: [t] }) })).toMatch(
      /the model's 80% interval covers 50\.0% \(outside ±3 points\); 95% interval covers 50\.0% \(outside ±3 points\)/,
    );
  });

  it('later days score the cumulative return, and the baselines widen with √d', () => {
    const two: TickerBacktest = { ...t, actual: [[0.01, 0.01]], quantiles: [[q, q]], volatility: { vol60: [0.0125], ewma: [0.0125] } };
    for (const key of ['originDates', 'originClose', 'targetDates', 'fold'] as const) (two[key] as unknown[]) = t[key].slice(0, 1);
    two.forecasts = { model: [[0, 0]], naive: [[0, 0]], drift: [[0, 0]], sma: [[0, 0]] };
    const r = evaluateIntervals({ horizon: 2, quantileLevels: levels, tickers: [two] })!;
    // Day 2's target is 0.02: inside ±1.2816·0.0125·√2 = ±0.0227, outside ±0.016 (no √2).
    expect(r.perDay[1].vol60.coverage[0]).toBe(1);
    expect(r.perDay[1].model.coverage[0]).toBe(0); // the model's [−0.01, 0.01]
    expect(r.allDays.model.count).toBe(2);
  });

  it('a point model has no interval report', () => {
    expect(evaluateIntervals({ horizon: 1, tickers: [ticker('AAA')] })).toBeUndefined();
  });
});

describe('volatility baselines', () => {
  const returns = [0.01, -0.01, 0.02, 0, -0.02];
  it('trailing volatility is the sample std of the window; EWMA starts from the mean square', () => {
    // Last 3 up to origin 4: 0.02, 0, −0.02 → mean 0, sample variance 0.0008 / 2.
    expect(trailingVolatility(returns, 4, 3)).toBeCloseTo(Math.sqrt(0.0004), 12);
    // Start: mean square of the first 2 = 0.0001; then 0.9·0.0001 + 0.1·0.0004, then · 0.9 + 0.1·0, then + 0.1·0.0004.
    let v = 0.0001;
    for (const r of [0.02, 0, -0.02]) v = 0.9 * v + 0.1 * r * r;
    expect(ewmaVolatility(returns, 4, 0.9, 2)).toBeCloseTo(Math.sqrt(v), 12);
  });
});
