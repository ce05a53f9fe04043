import { describe, expect, it } from 'vitest';
import { MetricTracker } from '../src/train/early-stopping.js';
import { exponentialDecay, lrDecaySchedule, reduceOnPlateau, stepDecay } from '../src/train/schedules.js';
import type { EpochLog } from '../src/train/types.js';

const log = (epoch: number, val_loss: number): EpochLog => ({ epoch, loss: 1, val_loss, lr: 0, steps: 1, elapsed_s: 0 });

describe('learning-rate schedules', () => {
  it('stepDecay halves every 2 epochs', () => {
    const s = stepDecay({ factor: 0.5, everyEpochs: 2 });
    expect([0, 1, 2, 3, 4].map((e) => s.lrForEpoch(e, 0.1))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  it('exponentialDecay decays continuously or in stairs', () => {
    const smooth = exponentialDecay({ decayRate: 0.5, decayEpochs: 2 });
    expect(smooth.lrForEpoch(1, 1)).toBeCloseTo(Math.SQRT1_2, 10);
    expect(smooth.lrForEpoch(4, 1)).toBeCloseTo(0.25, 10);
    const stairs = exponentialDecay({ decayRate: 0.5, decayEpochs: 2, staircase: true });
    expect([0, 1, 2, 3].map((e) => stairs.lrForEpoch(e, 1))).toEqual([1, 1, 0.5, 0.5]);
  });

  it('lrDecaySchedule: lr · rate^epoch below 1, no schedule at 1 (an app\'s --lr-decay)', () => {
    const { schedule } = lrDecaySchedule(0.9);
    expect([0, 1, 2].map((e) => schedule!.lrForEpoch(e, 2e-3))).toEqual([2e-3, 2e-3 * 0.9, 2e-3 * 0.9 ** 2]);
    expect(lrDecaySchedule(1)).toEqual({});
  });

  it('reduceOnPlateau cuts the rate after `patience` epochs without improvement, down to minLr', () => {
    const s = reduceOnPlateau({ factor: 0.1, patience: 2, minLr: 0.0005 });
    const vals = [1.0, 0.8, 0.85, 0.81, 0.9, 0.95, 0.99, 1.2];
    const lrs = [s.lrForEpoch(0, 0.1)];
    vals.forEach((v, i) => lrs.push(s.lrForEpoch(i + 1, 0.1, log(i + 1, v))));
    // improvement at epochs 1-2; epochs 3,4 do not improve -> cut; 5,6 -> cut; 7,8 -> cut (clamped to minLr)
    expect(lrs.map((x) => +x.toPrecision(6))).toEqual([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0005]);
  });

  it('reduceOnPlateau state survives a save/restore round trip', () => {
    const a = reduceOnPlateau({ factor: 0.5, patience: 1 });
    a.lrForEpoch(0, 1);
    a.lrForEpoch(1, 1, log(1, 1));
    a.lrForEpoch(2, 1, log(2, 2)); // cut to 0.5
    const b = reduceOnPlateau({ factor: 0.5, patience: 1 });
    b.restoreState!(JSON.parse(JSON.stringify(a.state!())));
    // epoch 3 is again worse than the best (1), so both cut 0.5 -> 0.25
    expect(b.lrForEpoch(3, 1, log(3, 3))).toBe(0.25);
    expect(a.lrForEpoch(3, 1, log(3, 3))).toBe(0.25);
  });

  it('reduceOnPlateau starts over when reused for a new run (no previous epoch)', () => {
    const s = reduceOnPlateau({ factor: 0.5, patience: 1 });
    s.lrForEpoch(0, 1);
    s.lrForEpoch(1, 1, log(1, 1));
    expect(s.lrForEpoch(2, 1, log(2, 2))).toBe(0.5);
    expect(s.lrForEpoch(0, 1)).toBe(1);
    expect(s.lrForEpoch(1, 1, log(1, 5))).toBe(1); // 5 is a first observation, not worse than the old run's best
  });

  it('rejects a factor outside (0, 1)', () => {
    expect(() => reduceOnPlateau({ factor: 2 })).toThrow(/factor must be in \(0, 1\)/);
  });
});

describe('MetricTracker (early stopping bookkeeping)', () => {
  it('counts epochs without an improvement larger than minDelta', () => {
    const t = new MetricTracker('val_loss', 'min', 0.05);
    expect(t.update(1.0, 1)).toBe(true);
    expect(t.update(0.97, 2)).toBe(false); // better, but by less than minDelta
    expect(t.update(0.9, 3)).toBe(true);
    expect(t.update(NaN, 4)).toBe(false);
    expect([t.best, t.bestEpoch, t.wait]).toEqual([0.9, 3, 1]);
  });

  it('supports mode max', () => {
    const t = new MetricTracker('acc', 'max');
    t.update(0.5, 1);
    expect(t.update(0.4, 2)).toBe(false);
    expect(t.update(0.6, 3)).toBe(true);
    expect(t.bestEpoch).toBe(3);
  });
});
