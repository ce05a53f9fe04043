/**
 * The pages that answer as you type: `work` runs for the page's current state, one run at a time. A request made
 * while a run is going asks for one more run right after it (however many requests came), so the last state is
 * always answered and the worker never queues a stale backlog; `stale()` tells the running work that a newer state
 * is waiting, so it can skip drawing an answer nobody will see.
 */
export function latestOnly(work: (stale: () => boolean) => Promise<void>, onError: (err: unknown) => void): { now(): Promise<void>; after(ms: number): void } {
  let running = false;
  let changed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function now(): Promise<void> {
    clearTimeout(timer);
    if (running) {
      changed = true;
      return;
    }
    running = true;
    try {
      do {
        changed = false;
        await work(() => changed);
      } while (changed);
    } catch (err) {
      onError(err);
    } finally {
      running = false;
    }
  }
  /** Runs once `ms` pass without another request (a pause in typing). */
  function after(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => void now(), ms);
  }
  return { now, after };
}
