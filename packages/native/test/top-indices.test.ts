// topIndices: beam search's top-k of one row, against a sort-based reference (ties by the lower index, -Infinity
// never chosen, fewer than k when fewer entries are finite).
import { beforeAll, describe, expect, it } from 'vitest';
import { topIndices } from '../src/index.js';
import { expectAddonLoaded, optedOut, seededRandom } from './helpers.js';

function reference(row: Float32Array, k: number): number[] {
  return Array.from(row.keys())
    .filter((i) => row[i] !== -Infinity)
    .sort((a, b) => row[b] - row[a] || a - b)
    .slice(0, k);
}

/** Values on a coarse grid (many ties), some -Infinity. */
function randomRow(n: number, seed: number, banned: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => (rand() < banned ? -Infinity : -Math.round(rand() * 40) / 4));
}

describe.skipIf(optedOut)('topIndices', () => {
  beforeAll(() => expectAddonLoaded());

  it('matches the sort-based reference on rows with ties and -Infinity', () => {
    const shapes: [number, number, number][] = [[8000, 8, 0.01], [50, 8, 0.3], [13, 6, 0.5], [5, 8, 0], [7, 3, 1], [1, 1, 0], [300, 1, 0.2], [9, 0, 0]];
    shapes.forEach(([n, k, banned], i) => {
      for (let s = 0; s < 5; s++) {
        const row = randomRow(n, 100 * i + s, banned);
        expect(Array.from(topIndices(row, k)), `n=${n} k=${k} seed ${s}`).toEqual(reference(row, k));
      }
    });
  });

  it('keeps every entry equal to the k-th only up to k, lower indices first', () => {
    const row = Float32Array.from([1, 3, 3, 2, 3, 3, -Infinity, 3]);
    expect(Array.from(topIndices(row, 3))).toEqual([1, 2, 4]);
    expect(Array.from(topIndices(row, 10))).toEqual([1, 2, 4, 5, 7, 3, 0]);
  });

  it('rejects a bad k and a row of another type', () => {
    expect(() => topIndices(new Float32Array(4), -1)).toThrow(/k must be a non-negative integer/);
    expect(() => topIndices(new Float64Array(4) as unknown as Float32Array, 2)).toThrow(/row must be a Float32Array/);
  });
});
