import type { EpochLog, TrainResult } from './types.js';

/** What the trainer tells the progress display. */
export interface ProgressReporter {
  /** After every optimizer step; `loss` is the epoch's running mean. */
  step(epoch: number, step: number, loss: number): void;
  epochEnd(log: EpochLog): void;
  /** A message that must not be overwritten by the bar. */
  note(message: string): void;
  close(): void;
}

export interface ProgressOptions {
  mode: 'auto' | 'bar' | 'lines' | 'none';
  /** Total epochs and steps per epoch of the run (1-based epochs in the display). */
  epochs: number;
  stepsPerEpoch: number;
  /** Plain-lines mode prints a step line at most this often. Default 10 s. */
  lineIntervalMs?: number;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m${pad(sec)}s` : m > 0 ? `${m}m${pad(sec)}s` : `${sec}s`;
}

const fmtNum = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));

/** The line an app prints when training ends: why it stopped, after how many epochs, and the best monitored value. */
export function formatTrainResult(result: TrainResult, lossChart?: string): string {
  return `training ${result.stopReason} after ${result.history.length} epoch(s); best ${result.monitor} ${result.best?.toFixed(4)} ` +
    `at epoch ${result.bestEpoch}${lossChart ? `; loss curve ${lossChart}` : ''}`;
}

/** The one-line summary printed at the end of every epoch, in every mode but 'none'. */
export function formatEpochLog(log: EpochLog, epochs: number): string {
  const skip = new Set(['epoch', 'steps', 'elapsed_s', 'partial', 'lr']);
  const metrics = Object.entries(log)
    .filter(([k, v]) => !skip.has(k) && typeof v === 'number')
    .map(([k, v]) => `${k} ${fmtNum(v as number)}`);
  metrics.push(`lr ${log.lr.toPrecision(3)}`);
  const partial = log.partial ? ' (cut short by the time budget)' : '';
  return `epoch ${log.epoch}/${epochs} ${metrics.join(' ')} | ${formatDuration(log.elapsed_s)} elapsed${partial}`;
}


/**
 * Progress on stderr: on a TTY a single bar line redrawn in place (epoch, step, loss, steps/s, ETA); elsewhere
 * (CI logs, pipes) plain lines at most every ~10 s plus one per epoch, so logs stay short but show life.
 */
export function createProgress(opts: ProgressOptions): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const mode = opts.mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : opts.mode;
  if (mode === 'none') return { step() {}, epochEnd() {}, note: (m) => void stream.write(m + '\n'), close() {} };
  const now = opts.now ?? Date.now;
  const lineIntervalMs = opts.lineIntervalMs ?? 10_000;
  const start = now();
  let stepsDone = 0;
  let lastDraw = -Infinity;
  let barVisible = false;

  const status = (epoch: number, step: number, loss: number) => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? stepsDone / elapsed : 0;
    const remaining = (opts.epochs - epoch) * opts.stepsPerEpoch + (opts.stepsPerEpoch - step);
    const eta = rate > 0 ? formatDuration(remaining / rate) : '?';
    return { text: `loss ${fmtNum(loss)} | ${rate.toFixed(1)} steps/s | ETA ${eta}`, rate };
  };

  const clearBar = () => {
    if (barVisible) stream.write('\r\x1b[2K');
    barVisible = false;
  };

  return {
    step(epoch, step, loss) {
      stepsDone += 1;
      const t = now();
      if (mode === 'bar') {
        // Redrawing every step would make printing the bottleneck for fast models.
        if (t - lastDraw < 100 && step < opts.stepsPerEpoch) return;
        const width = 24;
        const filled = Math.round((width * step) / opts.stepsPerEpoch);
        const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
        stream.write(`\r\x1b[2Kepoch ${epoch}/${opts.epochs} [${bar}] ${step}/${opts.stepsPerEpoch} ${status(epoch, step, loss).text}`);
        barVisible = true;
      } else {
        if (t - lastDraw < lineIntervalMs) return;
        stream.write(`epoch ${epoch}/${opts.epochs} step ${step}/${opts.stepsPerEpoch} ${status(epoch, step, loss).text}\n`);
      }
      lastDraw = t;
    },
    epochEnd(log) {
      clearBar();
      stream.write(formatEpochLog(log, opts.epochs) + '\n');
      // The first step line of the next epoch may follow right away in lines mode.
      lastDraw = mode === 'lines' ? now() : -Infinity;
    },
    note(message) {
      clearBar();
      stream.write(message + '\n');
    },
    close() {
      clearBar();
    },
  };
}
