import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, meanProbabilities, seededRng } from '@rnnkit/core';
import { applyCombination, fitCombination, meanLogLoss } from '../src/index.js';

/** A standard normal draw (Box–Muller) from a seeded uniform generator. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Two-class probabilities [n × 2] from per-row logits of class 1. */
const twoClass = (logits: readonly number[]) => Float32Array.from(logits.flatMap((z) => [1 - sigmoid(z), sigmoid(z)]));

/**
 * Rows with balanced labels and three members: two informative ones (the label's sign times 1.5 plus their own
 * noise, about 80% right each) and one that is pure noise, independent of the label and confident (logits of
 * spread 4): averaging its probabilities in drags the mean towards chance.
 */
function synthetic(n: number, seed: number) {
  const rng = seededRng(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const informative = () => twoClass(Array.from(labels, (y) => 1.5 * (2 * y - 1) + 1.7 * normal(rng)));
  const noise = twoClass(Array.from(labels, () => 4 * normal(rng)));
  return { labels, members: [informative(), informative(), noise] };
}

const acc = (probs: Float32Array, labels: Int32Array) => accuracy(labels, argmaxRows(probs, 2));

describe('fitCombination', () => {
  const val = synthetic(600, 1);
  const fresh = synthetic(2000, 2);

  it('mean: equal weights, the same bits as meanProbabilities', () => {
    const fitted = fitCombination('mean', val.members, val.labels, 2);
    expect(fitted.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(applyCombination(fitted, fresh.members, 2)).toEqual(meanProbabilities(fresh.members));
  });

  it('stack: learns to ignore a member that is pure noise, and beats the mean on fresh rows', () => {
    const fitted = fitCombination('stack', val.members, val.labels, 2, { stackL2: 0.01 });
    const [a, b, noise] = fitted.weights;
    expect(Math.min(a, b)).toBeGreaterThan(0.3);
    expect(Math.abs(noise)).toBeLessThan(0.1 * Math.min(a, b));
    const stacked = acc(applyCombination(fitted, fresh.members, 2), fresh.labels);
    const mean = acc(meanProbabilities(fresh.members), fresh.labels);
    expect(stacked).toBeGreaterThan(mean + 0.03);
    // And better than either informative member alone: it combines them.
    expect(stacked).toBeGreaterThan(Math.max(acc(fresh.members[0], fresh.labels), acc(fresh.members[1], fresh.labels)) + 0.01);
  });

  it('stack: recovers the temperature and class bias of one under-confident member', () => {
    // The member reports sigmoid(z); the labels follow sigmoid(2z + 0.7): the fit should find weight 2, bias 0.7.
    const rng = seededRng(3);
    const z = Array.from({ length: 50_000 }, () => normal(rng));
    const labels = Int32Array.from(z, (x) => (rng() < sigmoid(2 * x + 0.7) ? 1 : 0));
    const fitted = fitCombination('stack', [twoClass(z)], labels, 2);
    expect(fitted.weights[0]).toBeCloseTo(2, 1);
    expect(fitted.bias[0]).toBe(0);
    expect(fitted.bias[1]).toBeCloseTo(0.7, 1);
  });

  it('stack: a large penalty leaves equal weights (the geometric mean with a fitted temperature)', () => {
    const fitted = fitCombination('stack', val.members, val.labels, 2, { stackL2: 1e6 });
    for (const w of fitted.weights) expect(w).toBeCloseTo(fitted.weights[0], 4);
    const loose = fitCombination('stack', val.members, val.labels, 2, { stackL2: 0 });
    expect(Math.abs(loose.weights[2] - loose.weights[0])).toBeGreaterThan(0.3);
  });

  it('select: never picks the noise member, and its bag scores better on fresh rows than the mean', () => {
    for (const selectMetric of ['logloss', 'accuracy'] as const) {
      const fitted = fitCombination('select', val.members, val.labels, 2, { selectMetric, selectRounds: 20 });
      expect(fitted.weights[2]).toBe(0);
      expect(fitted.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
      expect(acc(applyCombination(fitted, fresh.members, 2), fresh.labels)).toBeGreaterThan(acc(meanProbabilities(fresh.members), fresh.labels) + 0.03);
    }
  });

  it('select: the bag of the best round, whose validation log-loss no other round beats', () => {
    const fitted = fitCombination('select', val.members, val.labels, 2, { selectRounds: 30 });
    const loss = meanLogLoss(applyCombination(fitted, val.members, 2), val.labels, 2);
    // Any single member, and the plain mean, score worse on the rows it was fitted on.
    for (const m of val.members) expect(loss).toBeLessThanOrEqual(meanLogLoss(m, val.labels, 2));
    expect(loss).toBeLessThan(meanLogLoss(meanProbabilities(val.members), val.labels, 2));
  });

  it('refuses mismatched members and labels', () => {
    expect(() => fitCombination('stack', [val.members[0], fresh.members[0]], val.labels, 2)).toThrow(/member 1 has 4000 values, member 0 has 1200/);
    expect(() => fitCombination('select', val.members, fresh.labels, 2)).toThrow(/600 validation rows but 2000 labels/);
    expect(() => fitCombination('stack', val.members, val.labels, 2, { stackL2: -1 })).toThrow(/L2 penalty/);
  });
});
