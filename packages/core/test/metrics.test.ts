import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  bitsPerChar,
  confusionMatrix,
  crossEntropy,
  directionalAccuracy,
  mae,
  meanProbabilities,
  mape,
  mase,
  perplexity,
  rmse,
  smape,
} from '../src/metrics/index.js';

describe('classification metrics', () => {
  it('accuracy, optionally ignoring a label', () => {
    expect(accuracy([1, 2, 3, 0], [1, 2, 0, 0])).toBe(0.75);
    expect(accuracy([1, 2, 3, 0], [1, 2, 0, 1], { ignoreLabel: 0 })).toBeCloseTo(2 / 3);
    expect(() => accuracy([], [])).toThrow(/yTrue is empty/);
    expect(() => accuracy([1], [1, 2])).toThrow(/1 values but yPred has 2/);
    expect(() => accuracy([0], [0], { ignoreLabel: 0 })).toThrow(/every label/);
  });

  it('confusionMatrix counts [true][pred]', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).toThrow(/yTrue\[1\] = 3/);
  });

  it('argmaxRows picks each row\'s most likely class, the lower id on a tie', () => {
    expect(Array.from(argmaxRows(Float32Array.of(0.1, 0.7, 0.2, 0.5, 0.2, 0.3, 0.4, 0.2, 0.4), 3))).toEqual([1, 0, 0]);
    expect(() => argmaxRows(Float32Array.of(0.5, 0.5, 1), 2)).toThrow(/3 values do not split into rows of numClasses = 2/);
  });

  it('meanProbabilities averages members element by element', () => {
    const mean = meanProbabilities([Float32Array.of(0.2, 0.8, 1, 0), Float32Array.of(0.6, 0.4, 0, 1)]);
    expect(Array.from(mean).map((v) => Number(v.toFixed(6)))).toEqual([0.4, 0.6, 0.5, 0.5]);
    expect(() => meanProbabilities([Float32Array.of(1, 0), Float32Array.of(1, 0, 0, 1)])).toThrow(/member 1 has 4 values, member 0 has 2/);
    expect(() => meanProbabilities([])).toThrow(/no members/);
  });
});

describe('language-model metrics', () => {
  it('crossEntropy in nats, perplexity, bits per char', () => {
    expect(crossEntropy([[0.5, 0.5], [0.25, 0.75]], [0, 1])).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 10);
    expect(perplexity(Math.log(4))).toBeCloseTo(4, 10);
    expect(bitsPerChar(Math.log(2))).toBeCloseTo(1, 10);
    expect(() => crossEntropy([[1]], [1])).toThrow(/targets\[0\] = 1/);
    expect(() => crossEntropy([[2]], [0])).toThrow(/not a probability/);
    expect(() => perplexity(-1)).toThrow(/>= 0/);
    expect(() => bitsPerChar(NaN)).toThrow(/finite/);
  });
});

describe('forecast metrics', () => {
  const y = [1, 2, 3, 4];
  const yhat = [2, 2, 2, 2];
  it('mae, rmse, mape, smape by hand', () => {
    expect(mae(y, yhat)).toBe(1);
    expect(rmse(y, yhat)).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(mape(y, yhat)).toBeCloseTo((100 * (1 + 0 + 1 / 3 + 1 / 2)) / 4, 10);
    expect(smape(y, yhat)).toBeCloseTo((100 * (2 / 3 + 0 + 2 / 5 + 4 / 6)) / 4, 10);
    expect(smape([0], [0])).toBe(0);
  });

  it('mase against the naive forecast of the training series', () => {
    // Naive one-step errors on [1, 3, 2, 4]: 2, 1, 2 → scale 5/3; MAE 1 → MASE 0.6.
    expect(mase(y, yhat, [1, 3, 2, 4])).toBeCloseTo(0.6, 12);
    // Seasonal m = 2: |2-1|, |4-3| → scale 1.
    expect(mase(y, yhat, [1, 3, 2, 4], 2)).toBeCloseTo(1, 12);
    expect(mase(y, yhat, 2)).toBe(0.5);
    expect(() => mase(y, yhat, [5, 5, 5])).toThrow(/constant/);
    expect(() => mase(y, yhat, [5])).toThrow(/more than m = 1/);
  });

  it('directionalAccuracy', () => {
    expect(directionalAccuracy(y, yhat)).toBeCloseTo(1 / 3, 12);
    expect(directionalAccuracy(y, yhat, [0, 0, 5, 5])).toBe(1);
    expect(() => directionalAccuracy([1], [1])).toThrow(/at least 2/);
  });

  it('validates inputs', () => {
    expect(() => mape([0, 1], [1, 1])).toThrow(/yTrue\[0\] is 0/);
    expect(() => rmse([1, NaN], [1, 1])).toThrow(/yTrue\[1\] is not a finite number/);
    expect(() => mae([], [])).toThrow(/empty/);
    expect(() => smape([1, 2], [1])).toThrow(/2 values but yPred has 1/);
  });
});
