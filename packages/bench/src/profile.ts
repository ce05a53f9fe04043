// `npm run profile`: where a training step's time goes, rnnkit next to PyTorch, on the workloads `npm run bench`
// measures. rnnkit's side: tf.profile over a few steps, each kernel's time summed by name (the native addon's ops are
// tfjs kernels too, so they are listed by name); PyTorch's side: torch.profiler's self CPU time per op (run by
// pytorch_bench.py --profile). "outside them" is the plain step's wall time minus every kernel's: the framework's
// own work between kernels (JS or Python, the gradient tape, allocation). Prints one JSON line per workload and side
// on stdout and a markdown table per workload on stderr.
//
//   npm run profile -- [--workloads a,b] [--steps 5] [--warmup 2] [--top 10] [--pytorch-threads 1] [--skip-pytorch]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { adamOptimizer, initBackend, median, setSeed } from '@rnnkit/core';
import { breakdown, byName, formatBreakdowns, type StepBreakdown } from './breakdown.js';
import { timeCalls } from './measure.js';
import { buildCase, maskedLengths } from './models.js';
import { emit, integerFlag } from './output.js';
import { findTorchPython, runPytorchScript } from './pytorch.js';
import { round } from './stats.js';
import { trainStep } from './steps.js';
import { loadWorkloads, type Workload } from './workloads.js';

const { values: opts } = parseArgs({
  options: {
    workloads: { type: 'string' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    top: { type: 'string', default: '10' },
    'pytorch-threads': { type: 'string', default: '1' },
    'skip-pytorch': { type: 'boolean', default: false },
  },
});

const steps = integerFlag('steps', opts.steps, 1);
const warmup = integerFlag('warmup', opts.warmup, 0);
const top = integerFlag('top', opts.top, 1);
const threads = integerFlag('pytorch-threads', opts['pytorch-threads'], 1);

function jsonLine(w: Workload, side: Record<string, unknown>, b: StepBreakdown): Record<string, unknown> {
  return {
    metric: 'profile', workload: w.name, ...side, steps, step_ms: round(b.stepMs, 2), profiled_ms: round(b.profiledMs, 2), op_ms: round(b.opMs, 2),
    outside_ms: round(b.outsideMs, 2), op_calls: round(b.opCalls),
    ops: b.ops.map((o) => ({ name: o.name, calls_per_step: round(o.callsPerStep), ms_per_step: round(o.msPerStep, 3) })),
  };
}

async function profileRnnkit(w: Workload): Promise<StepBreakdown> {
  const lengths = w.kind === 'sequence' && w.masked ? maskedLengths(w) : undefined;
  const c = buildCase(w, lengths);
  const optimizer = adamOptimizer(1e-3);
  const train = trainStep(c, optimizer);
  const plain = timeCalls(train, warmup, steps);
  // The profiler reads every kernel's output to look for NaN unless told not to: that is not the step's work.
  const check = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  // One tf.profile per step: byName takes each kernel's median over steps.
  const stepsRecords: { name: string; ms: number }[][] = [];
  const profiledWall: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    const info = await tf.profile(() => train());
    profiledWall.push(performance.now() - start);
    stepsRecords.push(info.kernels.map((k) => ({ name: k.name, ms: typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0 })));
  }
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', check);
  optimizer.dispose();
  c.model.dispose();
  tf.dispose([...c.inputs, c.targets]);
  return breakdown(median(plain.wallMs), median(profiledWall), byName(stepsRecords), top);
}

function profilePytorch(python: string, file: string, w: Workload): StepBreakdown | string {
  const args = ['--workloads', file, '--select', w.name, '--threads', String(threads), '--warmup', String(warmup),
    '--profile', String(steps), '--top', String(top)];
  if (w.kind === 'sequence' && w.masked) args.push('--lengths', maskedLengths(w).join(','));
  const line = runPytorchScript(python, args);
  if (typeof line === 'string') return line;
  const r = line as {
    step_ms: number; profiled_ms: number; op_ms: number; op_calls: number; ops: { name: string; calls_per_step: number; ms_per_step: number }[];
  };
  const ops = r.ops.map((o) => ({ name: o.name, callsPerStep: o.calls_per_step, msPerStep: o.ms_per_step }));
  return { stepMs: r.step_ms, profiledMs: r.profiled_ms, opMs: r.op_ms, opCalls: r.op_calls, outsideMs: Math.max(0, r.profiled_ms - r.op_ms), ops };
}

async function main(): Promise<void> {
  const only = opts.workloads?.split(',').map((s) => s.trim()).filter(Boolean);
  const { file, workloads } = loadWorkloads(only);
  setSeed(1234);
  const info = await initBackend({ backend: 'cpu', native: true });
  const python = opts['skip-pytorch'] ? null : findTorchPython();
  const tables: string[] = [];
  for (const w of workloads) {
    process.stderr.write(`profile: ${w.name}: rnnkit (tfjs-${info.name}${info.native ? ' + native' : ''}), ${steps} steps\n`);
    const ours = await profileRnnkit(w);
    emit(jsonLine(w, { backend: `tfjs-${info.name}`, native: info.native }, ours));
    const sides = [{ label: 'rnnkit', b: ours }];
    if (python) {
      process.stderr.write(`profile: ${w.name}: PyTorch (${threads} thread${threads > 1 ? 's' : ''})\n`);
      const theirs = profilePytorch(python, file, w);
      if (typeof theirs === 'string') {
        emit({ metric: 'profile', workload: w.name, backend: 'pytorch-cpu', error: theirs });
      } else {
        emit(jsonLine(w, { backend: 'pytorch-cpu', threads }, theirs));
        sides.push({ label: 'PyTorch', b: theirs });
      }
    }
    tables.push(formatBreakdowns(w.name, sides));
  }
  process.stderr.write(`\n${tables.join('\n\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
