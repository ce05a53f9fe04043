import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, setSeed } from '@rnnkit/core';
import { loadSeries, prepareWindows, walkForward, evaluateBacktest, formatReport, DEFAULT_CONFIG } from '../src/index.js';
it('smoke', async () => {
  process.env.RNNKIT_DATA_DIR = '/work/shared/datasets';
  await initBackend({ backend: 'cpu' });
  setSeed(1);
  const series = await loadSeries(undefined, (process.env.STK_TICKERS ?? 'AAPL,MSFT').split(','));
  const cfg = process.env.STK_FULL ? { ...DEFAULT_CONFIG, ...JSON.parse(process.env.STK_FULL) } : { ...DEFAULT_CONFIG, folds: 2, epochs: Number(process.env.STK_EPOCHS ?? 2), fineTuneEpochs: 1, units: [16], lookback: 20, maxStepsPerEpoch: Number(process.env.STK_STEPS ?? 10) };
  const data = prepareWindows(series, cfg);
  const t0 = Date.now();
  const before = tf.memory().numTensors;
  const r = await walkForward(data, cfg, { log: (l) => console.log(l), progress: 'none' });
  console.log('tensors', before, tf.memory().numTensors, r.model.weights.length, 'secs', (Date.now() - t0) / 1000);
  console.log(r.phases.map((p) => p.name + " " + p.result.stopReason + " best " + p.result.bestEpoch + " " + p.result.history.map((h) => h.loss.toFixed(4) + "/" + (h.val_loss ?? NaN).toFixed(4)).join(" ")).join("\n"));
  console.log(formatReport(evaluateBacktest(r.backtest)));
}, 600_000);
