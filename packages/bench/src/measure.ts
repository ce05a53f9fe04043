// Timing helpers: median wall time per call after warm-up, and peak RSS sampled around each call.

export interface Timing {
  medianMs: number;
  /** Process CPU time (all threads) per call: comparable across runs even on a loaded machine. */
  medianCpuMs: number;
  samplesMs: number[];
}

let peakRss = 0;

export function resetPeakRss(): void {
  peakRss = process.memoryUsage().rss;
}

export function samplePeakRss(): number {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return peakRss;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs fn `warmup` times untimed, then `steps` times timed; returns the medians. */
export function timeCalls(fn: () => void, warmup: number, steps: number): Timing {
  for (let i = 0; i < warmup; i++) {
    fn();
    samplePeakRss();
  }
  const samplesMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    fn();
    samplesMs.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    samplePeakRss();
  }
  return { medianMs: median(samplesMs), medianCpuMs: median(cpuMs), samplesMs };
}

export const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
