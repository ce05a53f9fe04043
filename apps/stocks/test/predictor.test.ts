/**
 * The predictor on a tiny saved model (no training): its output against a hand-run of the network, the input
 * checks (each names its field), and the extras schema that replaced the unchecked cast of the saved config.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, saveModelDir, setSeed, StandardScaler } from '@rnnkit/core';
import {
  APP_VERSION, buildForecaster, computeFeatures, exampleInput, FEATURE_NAMES, inputFromSeries, loadStocksModel, stocksApp,
  formatForecast, stocksInputSchema, stocksOutputSchema, WARMUP, type ForecasterConfig, type PriceSeries, type StocksExtras,
} from '../src/index.js';
import { dates, tempDir, wavyCloses } from './fixtures.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function series(ticker: string, close: number[]): PriceSeries {
  return {
    ticker, file: `${ticker}.csv`, dates: dates(close.length), close,
    open: close.map((c) => c * 0.995), high: close.map((c) => c * 1.02), low: close.map((c) => c * 0.98),
    volume: close.map((_, i) => 1000 + 7 * (i % 5)), lines: close.map((_, i) => i + 2), notes: [],
  };
}

const config: ForecasterConfig = { cell: 'gru', units: [4], dropout: 0, lookback: 10, numFeatures: FEATURE_NAMES.length, horizon: 3 };
const aaa = series('AAA', wavyCloses(80));
const band = { low: [-0.01, -0.02, -0.03], high: [0.015, 0.025, 0.035], samples: 50 };
let net: tf.LayersModel;
let extras: StocksExtras;

async function save(name: string, over: (e: StocksExtras) => unknown = (e) => e, app = 'stocks'): Promise<string> {
  const modelDir = join(dir, name);
  await saveModelDir(modelDir, net, { app: { name: app, version: APP_VERSION }, extras: over(structuredClone(extras)) as Record<string, unknown> });
  return modelDir;
}

beforeAll(async () => {
  await initBackend({ quiet: true });
  setSeed(3);
  net = buildForecaster(config);
  const scaler = new StandardScaler().fit(computeFeatures(aaa).features).toJSON() as StocksExtras['tickers'][string]['scaler'];
  extras = {
    model: config,
    features: [...FEATURE_NAMES],
    tickers: { AAA: { scaler, lastDate: '2020-03-20', band }, BBB: { scaler, lastDate: '2020-03-20', band } },
    data: 'fixture',
  };
});

describe('stocks predictor', () => {
  it('forecasts the next closes from the input prices alone, with the saved band around them', async () => {
    const predictor = await stocksApp.loadPredictor(await save('ok'));
    const output = await predictor.predict(inputFromSeries(aaa));
    predictor.dispose();
    expect(stocksOutputSchema.parse(output)).toEqual(output);

    // By hand: the last `lookback` feature rows, scaled with the ticker's scaler, through the network, unscaled.
    const table = computeFeatures(aaa);
    const scaler = StandardScaler.fromJSON(extras.tickers.AAA.scaler);
    const scaled = tf.tidy(() => (net.predict(tf.tensor3d([scaler.transform(table.features.slice(-config.lookback))])) as tf.Tensor).arraySync() as number[][])[0];
    const returns = scaler.inverseTransformColumn(scaled, 0);
    const last = aaa.close[aaa.close.length - 1];
    expect(output.ticker).toBe('AAA');
    expect(output.lastClose).toBe(last);
    expect(output.lastDate).toBe(aaa.dates[aaa.dates.length - 1]);
    expect(output.band).toEqual({ percentiles: [10, 90], samples: 50, source: 'walk-forward-errors' });
    expect(output.quantileLevels).toEqual([0.1, 0.9]);
    expect(output.days).toHaveLength(config.horizon);
    let cum = 0;
    output.days.forEach((d, i) => {
      cum += returns[i];
      expect(d.day).toBe(i + 1);
      expect(d.logReturn).toBeCloseTo(returns[i], 6);
      expect(d.close).toBeCloseTo(last * Math.exp(cum), 4);
      expect(d.low).toBeCloseTo(last * Math.exp(cum + band.low[i]), 4);
      expect(d.high).toBeCloseTo(last * Math.exp(cum + band.high[i]), 4);
      expect(d.quantiles).toEqual([d.low, d.high]);
    });
    expect(formatForecast(output)).toMatch(/Band: 10th\.\.90th percentiles of the model's cumulative walk-forward errors on 50 test days\./);
  });

  it("a quantile model's band and quantiles are its own outputs (cumulative scaled returns, unscaled per day)", async () => {
    const levels = [0.025, 0.1, 0.5, 0.9, 0.975];
    const qConfig: ForecasterConfig = { ...config, quantiles: levels };
    const qNet = buildForecaster(qConfig);
    const modelDir = join(dir, 'quantile');
    const qExtras = { ...structuredClone(extras), model: qConfig, tickers: { AAA: { ...extras.tickers.AAA, band: { ...band, coverage: 0.8125 } } } };
    await saveModelDir(modelDir, qNet, { app: { name: 'stocks', version: APP_VERSION }, extras: qExtras });
    const predictor = await stocksApp.loadPredictor(modelDir);
    const output = await predictor.predict(inputFromSeries(aaa));
    predictor.dispose();
    expect(stocksOutputSchema.parse(output)).toEqual(output);

    // By hand: [horizon, levels] scaled cumulative returns; the sum of d scaled returns s is d·mean + s·std.
    const table = computeFeatures(aaa);
    const scaler = extras.tickers.AAA.scaler;
    const [mean, std] = [scaler.a[0], scaler.b[0]];
    const window = StandardScaler.fromJSON(scaler).transform(table.features.slice(-config.lookback));
    const scaled = tf.tidy(() => (qNet.predict(tf.tensor3d([window])) as tf.Tensor).arraySync() as number[][][])[0];
    qNet.dispose();
    const last = aaa.close[aaa.close.length - 1];
    expect(output.quantileLevels).toEqual(levels);
    expect(output.band).toEqual({ percentiles: [10, 90], samples: 50, source: 'model-quantiles', coverage: 0.8125 });
    let previous = 0;
    output.days.forEach((d, i) => {
      const cumulative = scaled[i].map((s) => (i + 1) * mean + s * std);
      cumulative.forEach((c, k) => expect(d.quantiles[k]).toBeCloseTo(last * Math.exp(c), 4));
      for (let k = 1; k < levels.length; k++) expect(d.quantiles[k]).toBeGreaterThanOrEqual(d.quantiles[k - 1]);
      expect(d.close).toBe(d.quantiles[2]);
      expect(d.low).toBe(d.quantiles[1]);
      expect(d.high).toBe(d.quantiles[3]);
      expect(d.logReturn).toBeCloseTo(cumulative[2] - previous, 6);
      previous = cumulative[2];
    });
    expect(formatForecast(output)).toMatch(/Band: the model's own 10% and 90% quantiles \(an 80% interval; it held 81\.3% of 50 walk-forward next-day closes\)\./);
  });

  it('needs only the last lookback + warm-up rows: the full history gives the same forecast', async () => {
    const predictor = await stocksApp.loadPredictor(await save('tail'));
    const tailRows = config.lookback + WARMUP;
    const full = inputFromSeries(aaa, 2);
    const tail = Object.fromEntries(Object.entries(full).map(([k, v]) => [k, Array.isArray(v) ? v.slice(-tailRows) : v]));
    const a = await predictor.predict(full);
    const b = await predictor.predict(tail);
    const { dates: _dates, ...noDates } = tail as Record<string, unknown>;
    const c = await predictor.predict(noDates);
    predictor.dispose();
    expect(b).toEqual(a);
    expect(a.days).toHaveLength(2);
    expect(c.lastDate).toBeNull();
    expect(c.days).toEqual(a.days);
  });

  it('refuses bad inputs, naming the field', async () => {
    const predictor = await stocksApp.loadPredictor(await save('bad-input'));
    const good = inputFromSeries(aaa);
    const short = config.lookback + WARMUP - 1;
    const cut = (n: number) => Object.fromEntries(Object.entries(good).map(([k, v]) => [k, Array.isArray(v) ? v.slice(-n) : v]));
    const cases: [unknown, string][] = [
      [{ ...good, bogus: 1 }, 'input: unknown field "bogus"'],
      [cut(short), `input: field "closes": needs at least ${short + 1} daily prices for this model (20 warm-up days of the rolling features + lookback 10), has ${short}`],
      [{ ...good, ticker: 'ZZZ' }, 'input: field "ticker": the model was trained on AAA, BBB (got "ZZZ")'],
      [{ ...good, ticker: undefined }, 'input: field "ticker": required: the model was trained on AAA, BBB, each with its own scaler'],
      [{ ...good, days: 4 }, 'input: field "days": this model forecasts at most 3 days (retrain with --horizon 4) (got 4)'],
      [{ ...good, days: 0 }, 'input: field "days"'],
      [{ ...good, volumes: good.volumes.slice(1) }, `input: field "volumes": must have one value per row of "closes" (80), has 79`],
      [{ ...good, lows: good.lows.map((v, i) => (i === 5 ? 1e6 : v)) }, 'input: field "lows[5]": is above highs[5]'],
      [{ ...good, closes: good.closes.map((v, i) => (i === 6 ? good.highs[6] * 100 : v)) }, 'input: field "closes[6]": is above highs[6]'],
      [{ ...good, closes: good.closes.map((v, i) => (i === 6 ? good.lows[6] / 2 : v)) }, 'input: field "closes[6]": is below lows[6]'],
      [{ ...good, opens: good.opens.map((v, i) => (i === 4 ? good.highs[4] + 1 : v)) }, 'input: field "opens[4]": is above highs[4]'],
      [{ ...good, opens: good.opens.map((v, i) => (i === 4 ? good.lows[4] - 1 : v)) }, 'input: field "opens[4]": is below lows[4]'],
      [{ ...good, closes: good.closes.map((v, i) => (i === 7 ? -1 : v)) }, 'input: field "closes[7]"'],
      [{ ...good, dates: good.dates!.map((d, i) => (i === 9 ? good.dates![8] : d)) }, 'input: field "dates[9]": must come after dates[8]'],
      [{ ...good, dates: good.dates!.map((d, i) => (i === 2 ? '2020/01/03' : d)) }, 'input: field "dates[2]": must be a date in YYYY-MM-DD form'],
    ];
    for (const [input, message] of cases) await expect(predictor.predict(input), message).rejects.toThrow(message);
    // The ticker is optional for a one-ticker model, and matched like file names (case, Yahoo's ^).
    predictor.dispose();
    const single = await stocksApp.loadPredictor(await save('single', (e) => ({ ...e, tickers: { AAA: e.tickers.AAA } })));
    expect((await single.predict({ ...good, ticker: undefined })).ticker).toBe('AAA');
    expect((await single.predict({ ...good, ticker: '^aaa' })).ticker).toBe('AAA');
    single.dispose();
  });

  it('exampleInput is valid input', () => {
    expect(stocksInputSchema.parse(exampleInput)).toEqual(exampleInput);
    expect(stocksApp.predict.example).toBe(exampleInput);
    expect(exampleInput.closes).toHaveLength(50);
  });
});

describe('saved extras are validated (model config, scaler, band)', () => {
  const cases: [string, (e: StocksExtras) => unknown, RegExp][] = [
    ['a bad cell', (e) => ({ ...e, model: { ...e.model, cell: 'rnn' } }), /rnnkit\.json \(extras\): field "model\.cell"/],
    ['a missing horizon', (e) => ({ ...e, model: { ...e.model, horizon: undefined } }), /field "model\.horizon"/],
    ['an unknown field', (e) => ({ ...e, config: {} }), /unknown field "config"/],
    ['a scaler of the wrong width', (e) => ({ ...e, tickers: { AAA: { ...e.tickers.AAA, scaler: { ...e.tickers.AAA.scaler, a: [0] } } } }),
      /field "tickers\.AAA\.scaler\.a": must have model\.numFeatures = 9 values/],
    ['a zero std', (e) => ({ ...e, tickers: { AAA: { ...e.tickers.AAA, scaler: { ...e.tickers.AAA.scaler, b: e.tickers.AAA.scaler.b.map(() => 0) } } } }),
      /field "tickers\.AAA\.scaler\.b\[0\]"/],
    ['a band of the wrong length', (e) => ({ ...e, tickers: { AAA: { ...e.tickers.AAA, band: { ...band, high: [1] } } } }),
      /field "tickers\.AAA\.band\.high": must have model\.horizon = 3 values/],
    ['a checkpoint without bands', (e) => ({ ...e, tickers: { AAA: { ...e.tickers.AAA, band: undefined } } }),
      /field "extras\.tickers\.AAA\.band" is missing: a checkpoint of an unfinished walk-forward/],
    ['other features', (e) => ({ ...e, features: [...e.features].reverse() }), /field "extras\.features": the model was trained on features closeVsSma20,/],
    ['a lookback the network does not have', (e) => ({ ...e, model: { ...e.model, lookback: 12 } }),
      /extras\.model \(lookback 12, 9 features, horizon 3\) does not match the network in model\.json \(input \[null,10,9\], output \[null,3\]\)/],
    ['quantile levels the network does not have', (e) => ({ ...e, model: { ...e.model, quantiles: [0.1, 0.5, 0.9] } }),
      /extras\.model \(lookback 10, 9 features, horizon 3, 3 quantile levels\) does not match the network in model\.json \(input \[null,10,9\], output \[null,3\]\)/],
    ['quantile levels without the median', (e) => ({ ...e, model: { ...e.model, quantiles: [0.1, 0.4, 0.9] } }), /field "model\.quantiles": must include 0\.1, 0\.5 and 0\.9/],
  ];
  it.each(cases)('refuses %s, naming the field', async (name, over, message) => {
    const modelDir = await save(name.replace(/\W+/g, '-'), over);
    await expect(loadStocksModel(modelDir)).rejects.toThrow(message);
  });

  it("refuses another app's model with the shared error", async () => {
    const modelDir = await save('textgen-model', (e) => e, 'textgen');
    await expect(loadStocksModel(modelDir)).rejects.toThrow(`${modelDir}: holds a textgen model (use rnnkit-textgen), not a stocks model`);
  });
});
