// Runs our PyTorch reference (pytorch_bench.py) on the same workloads in the same session, when a
// python3 with torch is available. One python process per measurement keeps peak RSS per workload.
import { spawnSync } from 'node:child_process';
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

/** Runs one measurement and returns its JSON line (or an error line naming the failure). */
export function runPytorch(run: PytorchRun, workload: string, decoding: PytorchDecoding = {}): Record<string, unknown> {
  const args = [SCRIPT, '--workloads', run.workloadsFile, '--select', workload, '--warmup', String(run.warmup),
    '--steps', String(run.steps), '--sampling', String(decoding.samplingChars ?? 0), '--replies', String(decoding.replies ?? 0),
    '--threads', String(run.threads)];
  const result = spawnSync(run.python, args, { encoding: 'utf8', timeout: 600_000 });
  const line = result.stdout?.trim().split('\n').pop();
  if (result.status !== 0 || !line) {
    const reason = result.error?.message ?? result.stderr?.trim().split('\n').pop() ?? `exit ${result.status}`;
    return { workload: workload, backend: 'pytorch-cpu', error: reason };
  }
  return JSON.parse(line) as Record<string, unknown>;
}
