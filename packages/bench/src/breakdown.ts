// A training step broken down by the kernels (rnnkit) or ops (PyTorch) it runs: calls and milliseconds per step,
// and what is left of the step's wall time outside them (framework overhead: JS or Python, tape, tidy, allocation).
import { median } from '@rnnkit/core';

export interface OpTime {
  name: string;
  callsPerStep: number;
  msPerStep: number;
}

export interface StepBreakdown {
  /** Median wall ms of a plain (unprofiled) step. */
  stepMs: number;
  /** Wall ms per step while profiling (the profiler's own cost included): what the shares are of. */
  profiledMs: number;
  /** Every op's time per step, summed. */
  opMs: number;
  opCalls: number;
  /** profiledMs − opMs, at least 0: time outside any kernel. */
  outsideMs: number;
  /** The `top` most expensive ops, most expensive first. */
  ops: OpTime[];
}

/**
 * Calls and milliseconds per step of each kernel name, from the kernel records (one per call) of each profiled step:
 * per name, the median over steps of that step's sum, so that one step in which another process took the core
 * (on a shared machine, a kernel's wall time then includes the wait) does not inflate the figure. tf.profile also
 * records each op's scope (`fusedMatMul__op` around the `_FusedMatMul` kernel): those wrap kernels already counted
 * and are left out. Most expensive first.
 */
export function byName(stepsRecords: readonly (readonly { name: string; ms: number }[])[]): OpTime[] {
  if (stepsRecords.length === 0) throw new Error('byName: no profiled steps');
  const perStep = stepsRecords.map((records) => {
    const totals = new Map<string, { calls: number; ms: number }>();
    for (const r of records) {
      if (r.name.endsWith('__op')) continue;
      const t = totals.get(r.name) ?? { calls: 0, ms: 0 };
      t.calls += 1;
      t.ms += r.ms;
      totals.set(r.name, t);
    }
    return totals;
  });
  const names = new Set(perStep.flatMap((totals) => [...totals.keys()]));
  return [...names].map((name) => ({
    name,
    callsPerStep: median(perStep.map((totals) => totals.get(name)?.calls ?? 0)),
    msPerStep: median(perStep.map((totals) => totals.get(name)?.ms ?? 0)),
  })).sort((a, b) => b.msPerStep - a.msPerStep || a.name.localeCompare(b.name));
}

export function breakdown(stepMs: number, profiledMs: number, ops: readonly OpTime[], top: number): StepBreakdown {
  const opMs = ops.reduce((s, o) => s + o.msPerStep, 0);
  const opCalls = ops.reduce((s, o) => s + o.callsPerStep, 0);
  return { stepMs, profiledMs, opMs, opCalls, outsideMs: Math.max(0, profiledMs - opMs), ops: ops.slice(0, top) };
}

const ms = (x: number) => x.toFixed(2);
const pct = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : '–');

/**
 * One markdown table per workload: the two sides' top ops next to each other (share: of all kernel / op time, which
 * the profilers' own cost distorts least), then the totals.
 */
export function formatBreakdowns(workload: string, sides: { label: string; b: StepBreakdown }[]): string {
  const header = `| # | ${sides.map((s) => `${s.label} kernel / op | calls | ms/step | share`).join(' | ')} |`;
  const rule = `| --- | ${sides.map(() => '--- | ---: | ---: | ---:').join(' | ')} |`;
  const rows: string[] = [];
  const n = Math.max(...sides.map((s) => s.b.ops.length));
  for (let i = 0; i < n; i++) {
    rows.push(`| ${i + 1} | ${sides.map(({ b }) => {
      const o = b.ops[i];
      return o ? `${o.name} | ${o.callsPerStep.toFixed(0)} | ${ms(o.msPerStep)} | ${pct(o.msPerStep, b.opMs)}` : ' | | | ';
    }).join(' | ')} |`);
  }
  rows.push(`| | ${sides.map(({ b }) => `all kernels / ops | ${b.opCalls.toFixed(0)} | ${ms(b.opMs)} | 100%`).join(' | ')} |`);
  rows.push(`| | ${sides.map(({ b }) => `outside them (profiler included) | | ${ms(b.outsideMs)} | `).join(' | ')} |`);
  rows.push(`| | ${sides.map(({ b }) => `step while profiled | | ${ms(b.profiledMs)} | `).join(' | ')} |`);
  rows.push(`| | ${sides.map(({ b }) => `step, not profiled (median) | | ${ms(b.stepMs)} | `).join(' | ')} |`);
  return `**${workload}**\n\n${header}\n${rule}\n${rows.join('\n')}`;
}
