// `npm run bench`: measures rnnkit (core's layers on the tfjs cpu backend + @rnnkit/native) on the
// canonical workloads and, in the same run, our PyTorch CPU reference on the same shapes, in alternating rounds
// (rnnkit then PyTorch, then PyTorch then rnnkit, ...) so that load from other jobs hits both sides alike. Prints one JSON line per
// measurement on stdout and, at the end, a markdown table on stderr; progress goes to stderr.
//
//   npm run bench -- [--workloads a,b] [--rounds 5] [--steps 3] [--warmup 2] [--native on|off] [--skip-pytorch]
//                    [--pytorch-threads 2] [--sampling-chars 2000] [--replies 5] [--decode-rounds 5]
//                    [--versus pytorch|gemm]
//
// `--versus gemm` measures the native addon's portable GEMM against its OpenBLAS GEMM instead of PyTorch (both
// rnnkit, same process, alternating rounds; needs an addon built with OpenBLAS): the ratio is portable / OpenBLAS,
// what a user without libopenblas-dev gets relative to one with it.
//
// Per workload and side: median, interquartile range and min-max of the wall ms of every timed step, the median
// process CPU ms (all threads), and the per-round ratios rnnkit / PyTorch (round medians); with the workload's FLOP
// count and the floor the measured GEMM peak puts under it.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  adamOptimizer,
  initBackend,
  median,
  rng,
  sampleDecode,
  seq2seqStepFunction,
  setSeed,
  spread,
} from '@rnnkit/core';
import { nativeAvailable, nativeDetails, useGemm } from '@rnnkit/native';
import { floorMs, workloadFlops } from './flops.js';
import { gemmPeakGflops } from './gemm.js';
import { buildCase, charStepFunction, maskedLengths, type BenchCase } from './models.js';
import { resetPeakRss, samplePeakRss, timeCalls } from './measure.js';
import { emit } from './output.js';
import { inferStep, trainStep } from './steps.js';
import { findTorchPython, PytorchSession, runPytorch, type PytorchDecoding, type PytorchRun } from './pytorch.js';
import { medianReplyMs, reply, replySource } from './reply.js';
import { pairedRatios, round, roundSpread } from './stats.js';
import { formatDecodingTable, formatTable, type DecodingRow, type TableRow } from './table.js';
import { loadWorkloads, type RecurrentWorkload, type Seq2SeqWorkload, type Workload } from './workloads.js';

const { values: opts } = parseArgs({
  options: {
    workloads: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    native: { type: 'string', default: 'on' },
    'skip-pytorch': { type: 'boolean', default: false },
    'pytorch-threads': { type: 'string', default: '2' },
    'sampling-chars': { type: 'string', default: '2000' },
    replies: { type: 'string', default: '5' },
    'decode-rounds': { type: 'string', default: '5' },
    versus: { type: 'string', default: 'pytorch' },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return n;
}

const rounds = Math.max(1, positiveInt('rounds', opts.rounds));
const steps = Math.max(1, positiveInt('steps', opts.steps));
const warmup = positiveInt('warmup', opts.warmup);
const samplingChars = positiveInt('sampling-chars', opts['sampling-chars']);
const replies = positiveInt('replies', opts.replies);
const decodeRounds = Math.max(1, positiveInt('decode-rounds', opts['decode-rounds']));
const pytorchThreads = Math.max(1, positiveInt('pytorch-threads', opts['pytorch-threads']));
if (opts.native !== 'on' && opts.native !== 'off') throw new Error(`--native must be 'on' or 'off', got '${opts.native}'`);
if (opts.versus !== 'pytorch' && opts.versus !== 'gemm') throw new Error(`--versus must be 'pytorch' or 'gemm', got '${opts.versus}'`);
const versusGemm = opts.versus === 'gemm';

/** A PyTorch decoding figure from one pytorch_bench.py run, or null (its error line is emitted). */
function torchFigure(run: PytorchRun | null, workload: string, decoding: PytorchDecoding, field: string): number | null {
  if (!run) return null;
  const line = runPytorch(run, workload, decoding);
  const value = line[field];
  if (typeof value === 'number') return value;
  emit(line);
  return null;
}

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** Every timed step of one side, and the median of each round (what the per-round ratios compare). */
interface SideSamples {
  trainMs: number[];
  trainCpuMs: number[];
  inferMs: number[];
  inferCpuMs: number[];
  roundTrainMs: number[];
  roundTrainCpuMs: number[];
  roundInferMs: number[];
}

function emptySide(): SideSamples {
  return { trainMs: [], trainCpuMs: [], inferMs: [], inferCpuMs: [], roundTrainMs: [], roundTrainCpuMs: [], roundInferMs: [] };
}

function addRound(side: SideSamples, train: { wallMs: number[]; cpuMs: number[] }, infer: { wallMs: number[]; cpuMs: number[] }): void {
  side.trainMs.push(...train.wallMs);
  side.trainCpuMs.push(...train.cpuMs);
  side.inferMs.push(...infer.wallMs);
  side.inferCpuMs.push(...infer.cpuMs);
  side.roundTrainMs.push(median(train.wallMs));
  side.roundTrainCpuMs.push(median(train.cpuMs));
  side.roundInferMs.push(median(infer.wallMs));
}

function sideLine(w: Workload, backend: string, native: boolean | null, side: SideSamples, peakRssMb: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    workload: w.name,
    backend,
    native,
    ...extra,
    rounds,
    steps_per_round: steps,
    train_ms: round(median(side.trainMs)),
    train_ms_spread: roundSpread(spread(side.trainMs)),
    train_cpu_ms: round(median(side.trainCpuMs)),
    infer_ms: round(median(side.inferMs)),
    infer_ms_spread: roundSpread(spread(side.inferMs)),
    infer_cpu_ms: round(median(side.inferCpuMs)),
    round_train_ms: side.roundTrainMs.map((x) => round(x)),
    peak_rss_mb: round(peakRssMb),
  };
}

interface Machine {
  backend: string;
  native: boolean;
  python: string | null;
  gemmGflops: number;
}

/** Per-round ratio line of two alternating sides (`ours` over `theirs`). */
function ratioLine(w: Workload, of: string, ours: SideSamples, theirs: SideSamples, flopLine: Record<string, number>, m: Machine) {
  const trainRatios = pairedRatios(ours.roundTrainMs, theirs.roundTrainMs);
  const inferRatios = pairedRatios(ours.roundInferMs, theirs.roundInferMs);
  // CPU time next to wall time: on a loaded machine a side that lost its core for a while shows it in wall time only.
  const cpuRatios = pairedRatios(ours.roundTrainCpuMs, theirs.roundTrainCpuMs);
  emit({
    metric: 'ratio',
    workload: w.name,
    of,
    train_ratios: trainRatios.map((x) => round(x, 3)),
    train_ratio: roundSpread(spread(trainRatios), 3),
    train_cpu_ratios: cpuRatios.map((x) => round(x, 3)),
    train_cpu_ratio: roundSpread(spread(cpuRatios), 3),
    infer_ratios: inferRatios.map((x) => round(x, 3)),
    infer_ratio: roundSpread(spread(inferRatios), 3),
    ...flopLine,
    gemm_peak_gflops: round(m.gemmGflops),
  });
  return { train: spread(trainRatios), trainCpu: spread(cpuRatios), infer: spread(inferRatios) };
}

const figures = (side: SideSamples) => ({ train: spread(side.trainMs), trainCpu: median(side.trainCpuMs), infer: spread(side.inferMs) });

async function measureWorkload(w: Workload, m: Machine, rows: TableRow[]): Promise<BenchCase> {
  const lengths = w.kind === 'sequence' && w.masked ? maskedLengths(w) : undefined;
  const flops = workloadFlops(w, lengths);
  resetPeakRss();
  const c = buildCase(w, lengths);
  // core's Adam, as train() uses it: fused into one native op per variable when the addon is active
  const optimizer = adamOptimizer(1e-3);
  const train = trainStep(c, optimizer);
  const infer = inferStep(c);
  const session = m.python && !versusGemm ? new PytorchSession({ python: m.python, workloadsFile: loadWorkloads().file, threads: pytorchThreads }, w.name, lengths) : null;
  const torchInfo = session ? await session.ready() : null;
  const ours = emptySide();
  const theirs = emptySide();
  const rnnkitRound = (side: SideSamples, warm: number) => addRound(side, timeCalls(train, warm, steps), timeCalls(infer, Math.min(warm, 1), steps));
  for (let r = 0; r < rounds; r++) {
    // Warm-up in the first round only: later rounds alternate with the other side, so both start equally cold.
    const warm = r === 0 ? warmup : 0;
    // The side that goes first swaps every round (A B, B A, A B, ...), so a disturbance that follows the round's
    // rhythm does not always fall on the same side.
    const sides: (() => Promise<void>)[] = versusGemm
      ? [
          async () => {
            progress(`${w.name} round ${r + 1}/${rounds}: rnnkit, portable GEMM`);
            useGemm('portable');
            rnnkitRound(ours, warm);
          },
          async () => {
            progress(`${w.name} round ${r + 1}/${rounds}: rnnkit, OpenBLAS GEMM`);
            useGemm('openblas');
            rnnkitRound(theirs, warm);
          },
        ]
      : [
          async () => {
            progress(`${w.name} round ${r + 1}/${rounds}: rnnkit`);
            rnnkitRound(ours, warm);
          },
          async () => {
            if (!session) return;
            progress(`${w.name} round ${r + 1}/${rounds}: pytorch`);
            const t = await session.round(warm, steps);
            addRound(theirs, { wallMs: t.train_ms, cpuMs: t.train_cpu_ms }, { wallMs: t.infer_ms, cpuMs: t.infer_cpu_ms });
          },
        ];
    if (r % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
  optimizer.dispose();
  const flopLine = { train_gflop: round(flops.train / 1e9, 2), floor_train_ms: round(floorMs(flops.train, m.gemmGflops)) };
  const rss = samplePeakRss() / 2 ** 20;
  const lengthRange = lengths ? { lengths_min: Math.min(...lengths), lengths_max: Math.max(...lengths) } : {};
  const row: TableRow = { workload: w.name, trainGflop: flops.train / 1e9, floorMs: floorMs(flops.train, m.gemmGflops), rnnkit: figures(ours) };
  if (versusGemm) {
    // One process runs both GEMMs, so peak RSS is shared and reported once per side alike.
    emit(sideLine(w, m.backend, m.native, ours, rss, { gemm: 'portable', ...lengthRange }));
    emit(sideLine(w, m.backend, m.native, theirs, rss, { gemm: 'openblas', ...lengthRange }));
    const ratios = ratioLine(w, 'portable / openblas GEMM, per round (round medians)', ours, theirs, flopLine, m);
    Object.assign(row, { pytorch: figures(theirs), trainRatio: ratios.train, trainCpuRatio: ratios.trainCpu, inferRatio: ratios.infer });
  } else {
    emit(sideLine(w, m.backend, m.native, ours, rss, lengthRange));
    if (session && torchInfo) {
      const torchRss = await session.peakRssMb();
      session.close();
      emit(sideLine(w, 'pytorch-cpu', null, theirs, torchRss, { threads: torchInfo.threads, torch: torchInfo.torch }));
      const ratios = ratioLine(w, 'rnnkit / pytorch-cpu, per round (round medians)', ours, theirs, flopLine, m);
      Object.assign(row, { pytorch: figures(theirs), trainRatio: ratios.train, trainCpuRatio: ratios.trainCpu, inferRatio: ratios.infer });
    } else {
      emit({ metric: 'flops', workload: w.name, ...flopLine, gemm_peak_gflops: round(m.gemmGflops) });
    }
  }
  rows.push(row);
  return c;
}

/** One decoding figure per call (chars/s or ms), after a warm-up done when the probe is made. */
interface DecodingProbe {
  measure(): number;
  dispose(): void;
}

function samplingProbe(w: RecurrentWorkload): DecodingProbe {
  const lm = charStepFunction(w);
  const decode = (n: number) => {
    const states = lm.initialStates();
    sampleDecode(lm.step, states, { prompt: [1], maxLen: n, temperature: 1 }, rng());
    tf.dispose(states);
  };
  // One untimed run first (JIT warm-up): a single short run mostly measures V8 compiling.
  decode(samplingChars);
  return {
    measure: () => {
      const start = performance.now();
      decode(samplingChars);
      return samplingChars / ((performance.now() - start) / 1000);
    },
    dispose: () => lm.dispose(),
  };
}

function replyProbe(w: Seq2SeqWorkload, c: BenchCase): DecodingProbe | null {
  const models = c.seq2seq;
  if (!models) return null;
  const step = seq2seqStepFunction(models);
  const source = replySource(w);
  // Untimed replies first, as many as are timed: the first ones mostly measure V8 compiling the decoding path.
  for (let i = 0; i < replies; i++) reply(models, step, source);
  return {
    measure: () => medianReplyMs(models, step, source, replies),
    dispose: () => undefined,
  };
}

interface DecodingSide {
  /** Fields that name the side in its JSON line. */
  label: Record<string, unknown>;
  /** One round's figure, or null when the side could not measure (its JSON error line is emitted instead). */
  measure(): number | null;
}

/**
 * Decoding in alternating rounds like training (first side, second side, then second, first, ...): per side the
 * median and spread over rounds, and the per-round ratios first / second.
 */
function alternateDecoding(w: Workload, metric: string, field: string, sides: DecodingSide[], rows: DecodingRow[]): void {
  const values: number[][] = sides.map(() => []);
  for (let r = 0; r < decodeRounds; r++) {
    const order = sides.map((_, i) => i);
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      progress(`${w.name} ${metric} round ${r + 1}/${decodeRounds}: ${Object.values(sides[i].label).join(' ')}`);
      const v = sides[i].measure();
      if (v !== null) values[i].push(v);
    }
  }
  sides.forEach((side, i) => {
    if (values[i].length === 0) return;
    emit({ metric, workload: w.name, ...side.label, rounds: values[i].length, [field]: round(median(values[i])), [`${field}_spread`]: roundSpread(spread(values[i])) });
  });
  const row: DecodingRow = { workload: w.name, metric: `${metric} (${field})`, ours: spread(values[0]) };
  if (sides.length === 2 && values[1].length === values[0].length && values[0].length > 0) {
    const ratios = pairedRatios(values[0], values[1]);
    emit({ metric: `${metric}-ratio`, workload: w.name, of: `${field}, first side / second side, per round`, ratios: ratios.map((x) => round(x, 3)), ratio: roundSpread(spread(ratios), 3) });
    Object.assign(row, { theirs: spread(values[1]), ratio: spread(ratios) });
  }
  rows.push(row);
}

async function main(): Promise<void> {
  const only = opts.workloads?.split(',').map((s) => s.trim()).filter(Boolean);
  const { file, workloads } = loadWorkloads(only);
  setSeed(1234);
  const info = await initBackend({ backend: 'cpu', native: opts.native === 'on' });
  const backend = `tfjs-${info.name}`;
  if (versusGemm && !(nativeAvailable() && nativeDetails().openblas)) {
    throw new Error('--versus gemm needs the native addon built with OpenBLAS (install libopenblas-dev, then `npm rebuild @rnnkit/native`)');
  }
  const python = opts['skip-pytorch'] || versusGemm ? null : findTorchPython();
  if (!opts['skip-pytorch'] && !versusGemm && !python) progress('no python3 with torch found (set RNNKIT_BENCH_PYTHON); skipping PyTorch');
  progress(`${workloads.length} workload(s) from ${file}; ${rounds} alternating rounds of ${steps} timed steps, ${warmup} warm-up`);
  emit({ metric: 'machine', date: new Date().toISOString(), loadavg: loadavg().map((x) => round(x, 2)), node: process.version });

  // GEMM peak: the better of rnnkit's GEMM and PyTorch's BLAS on a 1024³ product (best of 10 each).
  let gemmGflops = 0;
  for (const gemm of versusGemm ? (['portable', 'openblas'] as const) : [null]) {
    if (gemm) useGemm(gemm);
    const gflops = gemmPeakGflops();
    emit({ metric: 'gemm-peak', backend, native: info.native, ...(gemm ? { gemm } : {}), n: 1024, gflops: round(gflops) });
    gemmGflops = Math.max(gemmGflops, gflops);
  }
  if (python) {
    const probe = new PytorchSession({ python, workloadsFile: file, threads: pytorchThreads }, workloads[0].name);
    await probe.ready();
    const theirGemm = await probe.gemmGflops();
    probe.close();
    emit({ metric: 'gemm-peak', backend: 'pytorch-cpu', threads: pytorchThreads, n: 1024, gflops: round(theirGemm) });
    gemmGflops = Math.max(gemmGflops, theirGemm);
  }

  const machine: Machine = { backend, native: info.native, python, gemmGflops };
  const rows: TableRow[] = [];
  const run: PytorchRun | null = python ? { python, workloadsFile: file, warmup, steps, threads: pytorchThreads } : null;
  const decodingRows: DecodingRow[] = [];
  const sideLabel = (gemm: 'portable' | 'openblas' | null) => ({ backend, native: info.native, ...(gemm ? { gemm } : {}) });
  for (const w of workloads) {
    const c = await measureWorkload(w, machine, rows);
    const decoding: { metric: string; field: string; probe: DecodingProbe | null; torch: () => number | null }[] = [];
    if (replies > 0 && w.kind === 'seq2seq') {
      decoding.push({ metric: 'seq2seq-reply', field: 'reply_ms', probe: replyProbe(w, c), torch: () => torchFigure(run, w.name, { replies }, 'reply_ms') });
    }
    if (samplingChars > 0 && w.kind === 'sequence' && w.manyToMany && w.vocab !== undefined) {
      decoding.push({ metric: 'char-sampling', field: 'chars_per_s', probe: samplingProbe(w), torch: () => torchFigure(run, w.name, { samplingChars }, 'chars_per_s') });
    }
    for (const d of decoding) {
      const probe = d.probe;
      if (!probe) continue;
      const sides: DecodingSide[] = versusGemm
        ? (['portable', 'openblas'] as const).map((gemm) => ({ label: sideLabel(gemm), measure: () => (useGemm(gemm), probe.measure()) }))
        : [{ label: sideLabel(null), measure: () => probe.measure() }, ...(run ? [{ label: { backend: 'pytorch-cpu', threads: pytorchThreads }, measure: d.torch }] : [])];
      alternateDecoding(w, d.metric, d.field, sides, decodingRows);
      probe.dispose();
    }
    c.model.dispose();
    tf.dispose([...c.inputs, c.targets]);
  }
  emit({ metric: 'machine-end', date: new Date().toISOString(), loadavg: loadavg().map((x) => round(x, 2)) });
  const labels = versusGemm ? { ours: 'portable', theirs: 'OpenBLAS' } : { ours: 'rnnkit', theirs: 'PyTorch' };
  process.stderr.write(`\n${formatTable(rows, { gemmGflops }, labels)}\n\n${formatDecodingTable(decodingRows, labels)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
