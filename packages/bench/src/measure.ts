// Timing helpers: wall and process CPU time per call after warm-up, and peak RSS sampled around each call.

export interface Timing {
  /** Wall milliseconds of each timed call. */
  wallMs: number[];
  /** Process CPU milliseconds (all threads) of each timed call: shows when other jobs took the cores. */
  cpuMs: number[];
}

let peakRss = 0;

export function resetPeakRss(): void {
  peakRss = process.memoryUsage().rss;
}

export function samplePeakRss(): number {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return peakRss;
}

/** Runs fn `warmup` times untimed, then `steps` times timed. */
export function timeCalls(fn: () => void, warmup: number, steps: number): Timing {
  for (let i = 0; i < warmup; i++) {
    fn();
    samplePeakRss();
  }
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    fn();
    wallMs.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    samplePeakRss();
  }
  return { wallMs, cpuMs };
}
