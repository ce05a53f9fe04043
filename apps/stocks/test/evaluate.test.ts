import { describe, expect, it } from 'vitest';
import { baselineReturns, evaluateBacktest, formatReport, type Backtest, type FeatureTable, type TickerBacktest } from '../src/index.js';

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
