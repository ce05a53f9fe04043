import { describe, expect, it } from 'vitest';
import { breakdown, byName, formatBreakdowns } from '../src/breakdown.js';

describe('kernel breakdown', () => {
  const records = [
    { name: 'MatMul', ms: 3 },
    { name: 'matMul__op', ms: 3.5 }, // the op scope around the MatMul kernel: not counted twice
    { name: 'Add', ms: 0.5 },
    { name: 'MatMul', ms: 5 },
    { name: 'Add', ms: 1.5 },
    { name: 'Relu', ms: 0.25 },
  ];

  it('sums calls and time per kernel name over the profiled steps, most expensive first, without op scopes', () => {
    expect(byName(records, 2)).toEqual([
      { name: 'MatMul', callsPerStep: 1, msPerStep: 4 },
      { name: 'Add', callsPerStep: 1, msPerStep: 1 },
      { name: 'Relu', callsPerStep: 0.5, msPerStep: 0.125 },
    ]);
    expect(() => byName(records, 0)).toThrow(/steps must be positive/);
  });

  it('keeps the totals of every kernel but lists only the top ones; outside = profiled step − kernels', () => {
    const b = breakdown(4.5, 6, byName(records, 2), 2);
    expect(b.ops.map((o) => o.name)).toEqual(['MatMul', 'Add']);
    expect(b.opMs).toBeCloseTo(5.125, 12);
    expect(b.opCalls).toBeCloseTo(2.5, 12);
    expect(b.outsideMs).toBeCloseTo(0.875, 12);
    expect(breakdown(4.5, 1, byName(records, 2), 2).outsideMs).toBe(0);
  });

  it('prints the sides next to each other with shares of the kernel time', () => {
    const ours = breakdown(4.5, 6, byName(records, 2), 3);
    const theirs = breakdown(10, 12, [{ name: 'aten::mm', callsPerStep: 2, msPerStep: 8 }], 3);
    const table = formatBreakdowns('tiny', [{ label: 'rnnkit', b: ours }, { label: 'PyTorch', b: theirs }]).split('\n');
    expect(table[0]).toBe('**tiny**');
    expect(table[4]).toBe('| 1 | MatMul | 1 | 4.00 | 78% | aten::mm | 2 | 8.00 | 100% |');
    expect(table[5]).toBe('| 2 | Add | 1 | 1.00 | 20% |  | | |  |');
    expect(table.at(-1)).toBe('| | step, not profiled (median) | | 4.50 |  | step, not profiled (median) | | 10.00 |  |');
  });
});
