import { describe, expect, it } from 'vitest';
import { AfinnBaseline, SparseLogisticRegression, runBaselines } from '../src/baselines/index.js';
import { englishTokenize } from '../src/tokenize.js';
import { syntheticTexts } from './fixtures.js';

const part = (rows: { text: string; label: number }[]) => ({ tokens: rows.map((r) => englishTokenize(r.text)), labels: rows.map((r) => r.label) });

describe('AfinnBaseline', () => {
  const afinn = new AfinnBaseline(1, 0, 1);
  it('scores lexicon words, flips them after a negation (SST-2\'s "n\'t" counts as one), falls back on no hit', () => {
    expect(afinn.predict(englishTokenize('a wonderful , moving film')).label).toBe(1);
    expect(afinn.predict(englishTokenize('a dull , tedious film')).label).toBe(0);
    expect(afinn.predict(englishTokenize("it was n't good")).label).toBe(0);
    expect(afinn.predict(englishTokenize('a film about a man')).score).toBe(0);
    expect(afinn.predict(englishTokenize('a film about a man')).label).toBe(1);
  });
});

describe('SparseLogisticRegression', () => {
  const docs = (n: number, offset: number) => Array.from({ length: n }, (_, i) => Int32Array.of((i + offset) % 4, 4 + ((i + offset) % 2)));
  // Feature 4 means class 1, feature 5 class 0; features 0-3 are noise.
  const labelsOf = (ds: Int32Array[]) => ds.map((d) => (d[1] === 4 ? 1 : 0));

  it('learns a separable problem and is a function of its seed', () => {
    const train = docs(200, 0);
    const val = docs(40, 1);
    const fit = (seed: number) => SparseLogisticRegression.fit({ docs: train, labels: labelsOf(train) }, { docs: val, labels: labelsOf(val) }, 2, 6, { seed, epochs: 3 });
    const model = fit(1);
    expect(model.accuracy(val, labelsOf(val))).toBe(1);
    expect(Array.from(fit(1).predictProba(val[0]))).toEqual(Array.from(model.predictProba(val[0])));
    expect(model.predictProba(Int32Array.of(4))[1]).toBeGreaterThan(0.9);
  });
});

describe('runBaselines', () => {
  it('fits every baseline on the training part; each beats chance on learnable synthetic data except the majority class', () => {
    const results = runBaselines(
      { train: part(syntheticTexts(400, 1)), val: part(syntheticTexts(100, 2)), test: part(syntheticTexts(150, 3)) },
      { language: 'en', numClasses: 2, seed: 1 },
    );
    expect(results.map((r) => r.name)).toEqual(['majority class', 'AFINN lexicon (natural)', 'naive Bayes (natural)', 'naive Bayes (multinomial)', 'logistic regression']);
    const labels = part(syntheticTexts(150, 3)).labels;
    const acc = (p: Int32Array) => p.filter((v, i) => v === labels[i]).length / labels.length;
    expect(acc(results[0].predicted)).toBeCloseTo(100 / 150, 6);
    // AFINN is not fitted: some cue words of the synthetic texts ("moving", "bland") are not in its lexicon.
    expect(acc(results[1].predicted)).toBeGreaterThan(0.8);
    for (const r of results.slice(2)) expect(acc(r.predicted), r.name).toBeGreaterThan(0.95);
  });

  it('has no lexicon baseline for Chinese', () => {
    const zh = { tokens: [['好'], ['差'], ['好'], ['差']], labels: [1, 0, 1, 0] };
    expect(runBaselines({ train: zh, val: zh, test: zh }, { language: 'zh', numClasses: 2, seed: 1 }).map((r) => r.name)).not.toContain('AFINN lexicon (natural)');
  });
});
