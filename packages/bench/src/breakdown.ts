// A training step broken down by the kernels (rnnkit) or ops (PyTorch) it runs: calls and milliseconds per step,
// and what is left of the step's wall time outside them (framework overhead: JS or Python, tape, tidy, allocation).

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
 * Sums raw kernel records (one per call) by name over `steps` profiled steps. tf.profile also records each op's
 * scope (`fusedMatMul__op` around the `_FusedMatMul` kernel): those wrap kernels already counted and are left out.
 */
export function byName(records: readonly { name: string; ms: number }[], steps: number): OpTime[] {
  if (!(steps > 0)) throw new Error(`byName: steps must be positive, got ${steps}`);
  const totals = new Map<string, { calls: number; ms: number }>();
  for (const r of records) {
    if (r.name.endsWith('__op')) continue;
    const t = totals.get(r.name) ?? { calls: 0, ms: 0 };
    t.calls += 1;
    t.ms += r.ms;
    totals.set(r.name, t);
  }
  return [...totals].map(([name, t]) => ({ name, callsPerStep: t.calls / steps, msPerStep: t.ms / steps }))
    .sort((a, b) => b.msPerStep - a.msPerStep || a.name.localeCompare(b.name));
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
