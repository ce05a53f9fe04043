import { describe, expect, it } from 'vitest';
import { breakdown, byName, formatBreakdowns } from '../src/breakdown.js';

describe('kernel breakdown', () => {
  // Three profiled steps; in the second, another process took the core during MatMul.
  const records = [
    [{ name: 'MatMul', ms: 3 }, { name: 'matMul__op', ms: 3.5 }, { name: 'Add', ms: 0.5 }, { name: 'Add', ms: 0.5 }],
    [{ name: 'MatMul', ms: 40 }, { name: 'Add', ms: 1.5 }, { name: 'Relu', ms: 0.25 }],
    [{ name: 'MatMul', ms: 5 }, { name: 'Add', ms: 1 }, { name: 'Relu', ms: 0.5 }],
  ];

  it('takes per kernel name the median over steps of each step\'s calls and time, without op scopes', () => {
    // The op scope around a kernel (matMul__op) is not counted twice; a step without Relu counts 0 for it.
    expect(byName(records)).toEqual([
      { name: 'MatMul', callsPerStep: 1, msPerStep: 5 },
      { name: 'Add', callsPerStep: 1, msPerStep: 1 },
      { name: 'Relu', callsPerStep: 1, msPerStep: 0.25 },
    ]);
    expect(() => byName([])).toThrow(/no profiled steps/);
  });

  it('keeps the totals of every kernel but lists only the top ones; outside = profiled step − kernels', () => {
    const b = breakdown(4.5, 7, byName(records), 2);
    expect(b.ops.map((o) => o.name)).toEqual(['MatMul', 'Add']);
    expect(b.opMs).toBeCloseTo(6.25, 12);
    expect(b.opCalls).toBeCloseTo(3, 12);
    expect(b.outsideMs).toBeCloseTo(0.75, 12);
    expect(breakdown(4.5, 1, byName(records), 2).outsideMs).toBe(0);
  });

  it('prints the sides next to each other with shares of the kernel time', () => {
    const ours = breakdown(4.5, 7, byName(records), 3);
    const theirs = breakdown(10, 12, [{ name: 'aten::mm', callsPerStep: 2, msPerStep: 8 }], 3);
    const table = formatBreakdowns('tiny', [{ label: 'rnnkit', b: ours }, { label: 'PyTorch', b: theirs }]).split('\n');
    expect(table[0]).toBe('**tiny**');
    expect(table[4]).toBe('| 1 | MatMul | 1 | 5.00 | 80% | aten::mm | 2 | 8.00 | 100% |');
    expect(table[5]).toBe('| 2 | Add | 1 | 1.00 | 16% |  | | |  |');
    expect(table.at(-1)).toBe('| | step, not profiled (median) | | 4.50 |  | step, not profiled (median) | | 10.00 |  |');
  });
});
