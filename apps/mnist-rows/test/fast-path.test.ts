import { describe, expect, it } from 'vitest';
import { mnistInputSchemaFor, plainPixelsFor } from '../src/predictor.js';

/**
 * The predictor's fast path (one loop over the pixels instead of the schema's per-number checks) may only accept
 * inputs the schema accepts, unchanged; everything else goes to the schema.
 */

const [ROWS, COLS] = [28, 28];
const schema = mnistInputSchemaFor(ROWS, COLS);
const fast = plainPixelsFor(ROWS, COLS);
const flat = (v: (i: number) => unknown = (i) => (i * 7) % 256) => Array.from({ length: ROWS * COLS }, (_, i) => v(i));
const grid = (v: (r: number, c: number) => unknown = (r, c) => (r * c) % 256) => Array.from({ length: ROWS }, (_, r) => Array.from({ length: COLS }, (_, c) => v(r, c)));
const holes = flat();
delete holes[5];

const ACCEPTED = [{ pixels: flat() }, { pixels: grid() }, { pixels: flat(() => 0) }, { pixels: grid(() => 255) }, { pixels: flat((i) => i / 7) }, { pixels: flat(() => -0) }];
const REFUSED = [
  { pixels: flat((i) => (i === 3 ? 256 : 0)) }, { pixels: flat((i) => (i === 3 ? -1 : 0)) }, { pixels: flat((i) => (i === 3 ? NaN : 0)) },
  { pixels: flat((i) => (i === 3 ? Infinity : 0)) }, { pixels: flat((i) => (i === 3 ? '5' : 0)) }, { pixels: flat((i) => (i === 3 ? null : 0)) },
  { pixels: flat().slice(1) }, { pixels: [...flat(), 0] }, { pixels: grid().slice(1) }, { pixels: grid((r, c) => (r === 2 && c === 2 ? 300 : 0)) },
  { pixels: grid().map((row, r) => (r === 4 ? row.slice(1) : row)) }, { pixels: holes }, { pixels: [] }, { pixels: 'abc' }, { pixels: {} },
  { pixels: flat(), rows: true }, { pixels: flat(), extra: 1 }, {}, [], null, 5, 'pixels', JSON.parse(`{"pixels": ${JSON.stringify(flat())}, "__proto__": {"x": 1}}`),
  Object.assign(Object.create(null), { pixels: flat() }),
];

describe('plainPixelsFor (the predictor fast path)', () => {
  it('accepts the plain valid inputs, and the schema accepts each of them unchanged', () => {
    for (const input of ACCEPTED) {
      expect(fast(input)).toBe(true);
      const parsed = schema.safeParse(input);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(input);
    }
  });

  it('leaves everything else to the schema (invalid inputs, and valid ones with more fields)', () => {
    for (const input of REFUSED) expect(fast(input), JSON.stringify(input)?.slice(0, 60)).toBe(false);
    // Each refused input that is invalid is refused by the schema too (its message then names the field).
    const invalid = REFUSED.filter((x) => !schema.safeParse(x).success);
    expect(invalid.length).toBeGreaterThan(REFUSED.length - 4);
  });
});
