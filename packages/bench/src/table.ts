// The markdown table `npm run bench` prints at the end (stderr), in the shape the README keeps: each time as
// median [interquartile range] (min–max), so the noise of a shared machine stays visible next to the figure.
import type { Spread } from '@rnnkit/core';

export interface SideFigures {
  train: Spread;
  trainCpu: number;
  infer: Spread;
}

export interface TableRow {
  workload: string;
  trainGflop: number;
  floorMs: number;
  rnnkit: SideFigures;
  pytorch?: SideFigures;
  trainRatio?: Spread;
  /** Per-round ratio of the median process CPU ms per training step. */
  trainCpuRatio?: Spread;
  inferRatio?: Spread;
}

/** `median [q1–q3] (min–max)` with `digits` decimals. */
export function formatSpread(s: Spread, digits = 1): string {
  const f = (x: number) => x.toFixed(digits);
  return `${f(s.median)} [${f(s.q1)}–${f(s.q3)}] (${f(s.min)}–${f(s.max)})`;
}

/** Names of the two sides in the header: rnnkit vs PyTorch, or (`--versus gemm`) the portable vs the OpenBLAS GEMM. */
export interface SideLabels {
  ours: string;
  theirs: string;
}

export function formatTable(rows: TableRow[], machine: { gemmGflops: number }, labels: SideLabels = { ours: 'rnnkit', theirs: 'PyTorch' }): string {
  const { ours: a, theirs: b } = labels;
  const lines = [
    `GEMM peak ${machine.gemmGflops.toFixed(1)} GFLOP/s (floor = train GFLOP / peak). Times: ms per step, median [IQR] (min–max); CPU: median ms of process CPU per step.`,
    '',
    `| workload | train GFLOP | floor ms | ${a} train | ${a} CPU | ${b} train | ${b} CPU | train ratio ${a}/${b} | train CPU ratio | ${a} infer | ${b} infer | infer ratio |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const dash = '–';
    lines.push(`| ${[
      r.workload,
      r.trainGflop.toFixed(2),
      r.floorMs.toFixed(1),
      formatSpread(r.rnnkit.train),
      r.rnnkit.trainCpu.toFixed(1),
      r.pytorch ? formatSpread(r.pytorch.train) : dash,
      r.pytorch ? r.pytorch.trainCpu.toFixed(1) : dash,
      r.trainRatio ? formatSpread(r.trainRatio, 2) : dash,
      r.trainCpuRatio ? formatSpread(r.trainCpuRatio, 2) : dash,
      formatSpread(r.rnnkit.infer),
      r.pytorch ? formatSpread(r.pytorch.infer) : dash,
      r.inferRatio ? formatSpread(r.inferRatio, 2) : dash,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** One decoding measurement: per-round figures of each side and their per-round ratios. */
export interface DecodingRow {
  workload: string;
  metric: string;
  ours: Spread;
  theirs?: Spread;
  ratio?: Spread;
}

export function formatDecodingTable(rows: DecodingRow[], labels: SideLabels = { ours: 'rnnkit', theirs: 'PyTorch' }): string {
  const { ours: a, theirs: b } = labels;
  const lines = [
    'Decoding, per round: median [IQR] (min–max).',
    '',
    `| workload | measure | ${a} | ${b} | ratio ${a}/${b} |`,
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.workload} | ${r.metric} | ${formatSpread(r.ours)} | ${r.theirs ? formatSpread(r.theirs) : '–'} | ${r.ratio ? formatSpread(r.ratio, 2) : '–'} |`);
  }
  return lines.join('\n');
}
