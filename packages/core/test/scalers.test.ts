import { describe, expect, it } from 'vitest';
import { MinMaxScaler, StandardScaler } from '../src/data/index.js';

const train = [[0, 10, 5], [10, 30, 5]];

describe('MinMaxScaler', () => {
  it('maps training min/max to the range and inverts', () => {
    const s = new MinMaxScaler().fit(train);
    expect(s.transform([[5, 20, 5], [20, 10, 7]])).toEqual([[0.5, 0.5, 0], [2, 0, 2]]);
    expect(s.inverseTransform([[0.5, 0.5, 0]])).toEqual([[5, 20, 5]]);
    expect(s.inverseTransformColumn([0, 1], 1)).toEqual([10, 30]);
    const r = new MinMaxScaler({ featureRange: [-1, 1] }).fit(train);
    expect(r.transform([[5, 30, 5]])).toEqual([[0, 1, -1]]);
  });

  it('round-trips JSON and validates', () => {
    const s = new MinMaxScaler({ featureRange: [-1, 1] }).fit(train);
    const back = MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(back.transform([[3, 17, 9]])).toEqual(s.transform([[3, 17, 9]]));
    expect(() => MinMaxScaler.fromJSON({ format: 'rnnkit-scaler', kind: 'standard', a: [0], b: [1] }, 'scaler.json')).toThrow(/scaler.json: .*"kind"/);
    expect(() => MinMaxScaler.fromJSON({ format: 'rnnkit-scaler', kind: 'minmax', a: [2], b: [1], featureRange: [0, 1] })).toThrow(/min 2 > max 1/);
  });

  it('errors before fit and on wrong width', () => {
    expect(() => new MinMaxScaler().transform([[1]])).toThrow(/call fit/);
    expect(() => new MinMaxScaler().fit(train).transform([[1, 2]])).toThrow(/row 0 has 2 features, the scaler was fitted on 3/);
    expect(() => new MinMaxScaler().fit([])).toThrow(/no rows/);
    expect(() => new MinMaxScaler().fit([[1], [NaN]])).toThrow(/row 1, feature 0/);
  });
});

describe('StandardScaler', () => {
  it('standardizes with population std and inverts', () => {
    const s = new StandardScaler().fit([[1, 7], [3, 7]]);
    expect(s.mean).toEqual([2, 7]);
    expect(s.std).toEqual([1, 1]);
    expect(s.transform([[1, 7], [5, 8]])).toEqual([[-1, 0], [3, 1]]);
    expect(s.inverseTransform([[3, 1]])).toEqual([[5, 8]]);
    const back = StandardScaler.fromJSON(s.toJSON());
    expect(back.transform([[4, 9]])).toEqual([[2, 2]]);
    expect(() => StandardScaler.fromJSON({ format: 'rnnkit-scaler', kind: 'standard', a: [0], b: [0] })).toThrow(/std/);
    expect(() => new StandardScaler().toJSON()).toThrow(/call fit/);
  });
});
