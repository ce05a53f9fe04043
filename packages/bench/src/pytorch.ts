// Runs our PyTorch reference (pytorch_bench.py) on the same workloads in the same session, when a
// python3 with torch is available. One python process per measurement keeps peak RSS per workload.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'pytorch_bench.py');

/** First interpreter that imports torch: $RNNKIT_BENCH_PYTHON, python3 on PATH, then Debian's /usr/bin/python3. */
export function findTorchPython(): string | null {
  const candidates = [process.env.RNNKIT_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status === 0) return python;
  }
  return null;
}

export interface PytorchRun {
  python: string;
  workloadsFile: string;
  warmup: number;
  steps: number;
  threads: number;
}

/** What to measure besides the training and inference step: decoding speed, as the Node benchmark does. */
export interface PytorchDecoding {
  samplingChars?: number;
  replies?: number;
}

/** Runs pytorch_bench.py once with `args`: its last output line as JSON, or why it failed (one line). */
export function runPytorchScript(python: string, args: string[]): Record<string, unknown> | string {
  const result = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8', timeout: 600_000 });
  const line = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !line) return result.error?.message ?? result.stderr?.trim().split('\n').pop() ?? `exit ${result.status}`;
  return JSON.parse(line) as Record<string, unknown>;
}

/** Runs one measurement and returns its JSON line (or an error line naming the failure). */
export function runPytorch(run: PytorchRun, workload: string, decoding: PytorchDecoding = {}): Record<string, unknown> {
  const line = runPytorchScript(run.python, ['--workloads', run.workloadsFile, '--select', workload, '--warmup', String(run.warmup),
    '--steps', String(run.steps), '--sampling', String(decoding.samplingChars ?? 0), '--replies', String(decoding.replies ?? 0),
    '--threads', String(run.threads)]);
  return typeof line === 'string' ? { workload: workload, backend: 'pytorch-cpu', error: line } : line;
}

/** One PyTorch round: wall and CPU ms of each timed training and inference step. */
export interface PytorchRound {
  train_ms: number[];
  train_cpu_ms: number[];
  infer_ms: number[];
  infer_cpu_ms: number[];
}

/**
 * A PyTorch process holding one built workload (`pytorch_bench.py --serve`), asked for a round of timed steps at a
 * time so that its rounds alternate with rnnkit's in the same minutes. One process per workload keeps peak RSS
 * per workload.
 */
export class PytorchSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;
  private stderr = '';

  constructor(run: Omit<PytorchRun, 'warmup' | 'steps'>, readonly workload: string, lengths?: number[]) {
    const args = [SCRIPT, '--serve', '--workloads', run.workloadsFile, '--select', workload, '--threads', String(run.threads)];
    if (lengths) args.push('--lengths', lengths.join(','));
    this.child = spawn(run.python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    this.reader = createInterface({ input: this.child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) {
      const last = this.stderr.trim().split('\n').pop() ?? '';
      throw new Error(`PyTorch (${this.workload}) exited: ${last || 'no output'}`);
    }
    const reply = JSON.parse(value) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(`PyTorch (${this.workload}): ${reply.error}`);
    return reply;
  }

  private async ask(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    return this.next();
  }

  /** Waits until the model is built; returns the thread count and torch version it reports. */
  async ready(): Promise<{ threads: number; torch: string }> {
    const r = await this.next();
    return { threads: Number(r.threads), torch: String(r.torch) };
  }

  async round(warmup: number, steps: number): Promise<PytorchRound> {
    return (await this.ask({ op: 'round', warmup, steps })) as unknown as PytorchRound;
  }

  async gemmGflops(): Promise<number> {
    return Number((await this.ask({ op: 'gemm' })).gflops);
  }

  async peakRssMb(): Promise<number> {
    return Number((await this.ask({ op: 'rss' })).peak_rss_mb);
  }

  close(): void {
    this.reader.close();
    this.child.stdin.end();
  }
}
