import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, lossCurveSvg, meanSquaredError, train, type EpochLog } from '../src/index.js';
import { linearData, rowSource } from './fixtures/train-fixtures.js';

const epoch = (e: number, loss: number, val?: number): EpochLog => ({ epoch: e, loss, val_loss: val, lr: 0.01, steps: 1, elapsed_s: e });

describe('loss curve', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('draws train and validation lines, with a gap where validation is missing', () => {
    const svg = lossCurveSvg([epoch(1, 2.5, 2.7), epoch(2, 1.5), epoch(3, 1.25, 1.4)], { title: 'toy <run>', yLabel: 'nats' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('train loss');
    expect(svg).toContain('validation loss');
    expect(svg).toContain('toy &lt;run&gt;');
    expect(svg).toContain('nats');
    expect(lossCurveSvg([epoch(1, 2)])).not.toContain('validation loss');
  });

  it('train() rewrites the chart after every epoch when lossChart is set', async () => {
    await initBackend({ quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'rnnkit-loss-'));
    const { xs, ys } = linearData(64);
    const input = tf.input({ shape: [xs[0].length] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: ys[0].length }).apply(input) as tf.SymbolicTensor });
    const chart = join(dir, 'plots', 'loss.svg');
    // The chart must exist and gain one point per series and epoch (read inside the callback, i.e. before training
    // ends). Points, not bytes: the axis labels change length with the values, so the file size need not grow.
    const seen: number[] = [];
    await train(model, { train: rowSource(xs, ys, 16), val: rowSource(xs, ys, 64, false) }, meanSquaredError, {
      epochs: 3, learningRate: 0.05, progress: 'none', lossChart: { path: chart, title: 'linear' },
      seed: 1,
      callbacks: { onEpochEnd: () => { seen.push(readFileSync(chart, 'utf8').split('<circle').length - 1); } },
    });
    const svg = readFileSync(chart, 'utf8');
    expect(svg).toContain('linear');
    expect(svg).toContain('validation loss');
    expect(seen).toEqual([2, 4, 6]); // train and validation loss, one point each per epoch
    model.dispose();
  });
});
