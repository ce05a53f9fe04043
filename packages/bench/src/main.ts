// `npm run bench`: measures rnnkit (core's layers on the tfjs cpu backend + @rnnkit/native) on the
// canonical workloads and, in the same run, our PyTorch CPU reference on the same shapes. Prints one
// JSON line per measurement on stdout; progress and the backend line go to stderr.
//
//   npm run bench -- [--workloads a,b] [--steps 10] [--warmup 3] [--native on|off] [--skip-pytorch]
//                    [--pytorch-threads 2] [--sampling-chars 2000] [--replies 5]
//
// train_ms / infer_ms are median wall times; train_cpu_ms is the median process CPU time of a
// step (all threads), which stays comparable when other jobs share the machine.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { adamOptimizer, beamSearch, encodeForDecoding, initBackend, rng, runModel, sampleDecode, seq2seqStepFunction, setSeed } from '@rnnkit/core';
import { buildCase, charStepFunction, type BenchCase } from './models.js';
import { median, resetPeakRss, round, samplePeakRss, timeCalls } from './measure.js';
import { findTorchPython, runPytorch } from './pytorch.js';
import { loadWorkloads, type RecurrentWorkload, type Seq2SeqWorkload, type Workload } from './workloads.js';

const { values: opts } = parseArgs({
  options: {
    workloads: { type: 'string' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    native: { type: 'string', default: 'on' },
    'skip-pytorch': { type: 'boolean', default: false },
    'pytorch-threads': { type: 'string', default: '2' },
    'sampling-chars': { type: 'string', default: '2000' },
    replies: { type: 'string', default: '5' },
  },
});

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got '${value}'`);
  return n;
}

const steps = Math.max(1, positiveInt('steps', opts.steps));
const warmup = positiveInt('warmup', opts.warmup);
const samplingChars = positiveInt('sampling-chars', opts['sampling-chars']);
const replies = positiveInt('replies', opts.replies);
const pytorchThreads = Math.max(1, positiveInt('pytorch-threads', opts['pytorch-threads']));
if (opts.native !== 'on' && opts.native !== 'off') throw new Error(`--native must be 'on' or 'off', got '${opts.native}'`);

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function trainStep(c: BenchCase, optimizer: tf.Optimizer): () => void {
  const varList = c.model.trainableWeights.map((w) => w.read() as tf.Variable);
  return () => {
    const cost = optimizer.minimize(() => c.loss(c.targets, runModel(c.model, c.inputs, { training: true })[0]), true, varList);
    cost?.dataSync();
    cost?.dispose();
  };
}

function inferStep(c: BenchCase): () => void {
  return () => {
    const [out] = runModel(c.model, c.inputs);
    out.dataSync();
    out.dispose();
  };
}

function measureWorkload(w: Workload, backend: string, native: boolean): BenchCase {
  resetPeakRss();
  const c = buildCase(w);
  // core's Adam, as train() uses it: fused into one native op per variable when the addon is active
  const optimizer = adamOptimizer(1e-3);
  const train = timeCalls(trainStep(c, optimizer), warmup, steps);
  const infer = timeCalls(inferStep(c), Math.min(warmup, 2), steps);
  emit({
    workload: w.name,
    backend,
    native,
    train_ms: round(train.medianMs),
    infer_ms: round(infer.medianMs),
    train_cpu_ms: round(train.medianCpuMs),
    peak_rss_mb: round(samplePeakRss() / 2 ** 20),
  });
  optimizer.dispose();
  return c;
}

function measureSampling(w: RecurrentWorkload, backend: string, native: boolean): void {
  const lm = charStepFunction(w);
  const decode = (n: number) => {
    const states = lm.initialStates();
    sampleDecode(lm.step, states, { prompt: [1], maxLen: n, temperature: 1 }, rng());
    tf.dispose(states);
  };
  // One untimed run first (JIT warm-up), then the median of three: a single short run mostly measures V8 compiling.
  decode(samplingChars);
  const seconds = median(Array.from({ length: 3 }, () => {
    const start = performance.now();
    decode(samplingChars);
    return (performance.now() - start) / 1000;
  }));
  emit({ metric: 'char-sampling', workload: w.name, backend, native, chars_per_s: round(samplingChars / seconds) });
  lm.dispose();
}

function measureReply(w: Seq2SeqWorkload, c: BenchCase, backend: string, native: boolean): void {
  const models = c.seq2seq;
  if (!models) return;
  const step = seq2seqStepFunction(models);
  const source = Array.from({ length: w.srcTimesteps }, (_, i) => 4 + ((i * 37) % (w.vocab - 4)));
  const reply = () => {
    const states = encodeForDecoding(models, [source]);
    // minLen = maxLen forces full-length replies from the untrained model (no early EOS).
    beamSearch(step, states, { beamWidth: 4, bos: 2, eos: 3, maxLen: 12, minLen: 12 });
    tf.dispose(states);
  };
  // Untimed replies first, as many as are timed: the first ones mostly measure V8 compiling the decoding path.
  for (let i = 0; i < replies; i++) reply();
  const samples: number[] = [];
  for (let i = 0; i < replies; i++) {
    const start = performance.now();
    reply();
    samples.push(performance.now() - start);
  }
  emit({ metric: 'seq2seq-reply', workload: w.name, backend, native, beam: 4, tokens: 12, reply_ms: round(median(samples)) });
}

async function main(): Promise<void> {
  const only = opts.workloads?.split(',').map((s) => s.trim()).filter(Boolean);
  const { file, workloads } = loadWorkloads(only);
  setSeed(1234);
  const info = await initBackend({ backend: 'cpu', native: opts.native === 'on' });
  const backend = `tfjs-${info.name}`;
  process.stderr.write(`bench: ${workloads.length} workload(s) from ${file}, ${warmup} warm-up + ${steps} timed steps each\n`);

  for (const w of workloads) {
    process.stderr.write(`bench: ${w.name} (rnnkit)\n`);
    const c = measureWorkload(w, backend, info.native);
    if (replies > 0 && w.kind === 'seq2seq') measureReply(w, c, backend, info.native);
    if (samplingChars > 0 && w.kind === 'sequence' && w.manyToMany && w.vocab !== undefined) {
      measureSampling(w, backend, info.native);
    }
    c.model.dispose();
    tf.dispose([...c.inputs, c.targets]);
  }

  if (opts['skip-pytorch']) return;
  const python = findTorchPython();
  if (!python) {
    process.stderr.write('bench: no python3 with torch found (set RNNKIT_BENCH_PYTHON); skipping PyTorch\n');
    return;
  }
  const run = { python, workloadsFile: file, warmup, steps, threads: pytorchThreads };
  for (const w of workloads) {
    process.stderr.write(`bench: ${w.name} (pytorch, ${python})\n`);
    emit(runPytorch(run, w.name));
    if (samplingChars > 0 && w.kind === 'sequence' && w.manyToMany && w.vocab !== undefined) {
      emit(runPytorch(run, w.name, { samplingChars }));
    }
    if (replies > 0 && w.kind === 'seq2seq') emit(runPytorch(run, w.name, { replies }));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
