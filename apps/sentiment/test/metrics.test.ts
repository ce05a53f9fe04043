import { describe, expect, it } from 'vitest';
import { attentionHtml } from '../src/highlight.js';
import { scoreClassification } from '../src/metrics.js';

describe('scoreClassification', () => {
  it('accuracy, per-class precision / recall / F1, macro averages and the confusion matrix', () => {
    // true:      0 0 0 0 1 1 1 1 1 1
    // predicted: 0 0 0 1 1 1 1 1 0 0
    const s = scoreClassification([0, 0, 0, 0, 1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1, 0, 0], ['neg', 'pos']);
    expect(s.accuracy).toBeCloseTo(0.7, 12);
    expect(s.confusion).toEqual([[3, 1], [2, 4]]);
    expect(s.perClass[0]).toMatchObject({ name: 'neg', precision: 3 / 5, recall: 3 / 4, support: 4 });
    expect(s.perClass[0].f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 12);
    expect(s.perClass[1].f1).toBeCloseTo((2 * 0.8 * (4 / 6)) / (0.8 + 4 / 6), 12);
    expect(s.macroF1).toBeCloseTo((s.perClass[0].f1 + s.perClass[1].f1) / 2, 12);
    expect(s.balancedAccuracy).toBeCloseTo((0.75 + 4 / 6) / 2, 12);
  });

  it('gives a class that is never predicted an F1 of 0, not NaN', () => {
    expect(scoreClassification([0, 1, 1], [1, 1, 1], ['neg', 'pos']).perClass[0].f1).toBe(0);
  });
});

describe('attentionHtml', () => {
  it('escapes tokens and shades each relative to the largest weight of its text', () => {
    const html = attentionHtml('t', [{ caption: 'c <1>', tokens: ['<b>', 'ok'], weights: [0.2, 0.8] }], { joinWith: ' ' });
    expect(html).toContain('&lt;b&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('c &lt;1&gt;');
    expect(html).toContain('rgba(255, 140, 0, 0.250)" title="0.2000">&lt;b&gt;</span> <span style="background: rgba(255, 140, 0, 1.000)"');
  });
});
