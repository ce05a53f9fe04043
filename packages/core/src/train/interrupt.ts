/**
 * Turns Ctrl-C / SIGTERM into a request that the training loop honors between steps, so the run can save its
 * `last` checkpoint before exiting instead of dying mid-write. A second signal quits at once.
 */
export class InterruptGuard {
  /** The signal received, once one arrives. */
  requested: NodeJS.Signals | null = null;
  private readonly signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  private installed = false;

  constructor(private readonly log: (message: string) => void = (m) => process.stderr.write(m + '\n')) {}

  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.requested) {
      this.log(`rnnkit: second ${signal}, exiting without saving`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    this.requested = signal;
    this.log(`rnnkit: ${signal} received, stopping after the current step and saving a checkpoint (repeat to quit now)`);
  };

  install(): this {
    if (!this.installed) {
      for (const s of this.signals) process.on(s, this.handler);
      this.installed = true;
    }
    return this;
  }

  /** Remove the handlers so that later signals get Node's default behavior again. */
  dispose(): void {
    if (!this.installed) return;
    for (const s of this.signals) process.off(s, this.handler);
    this.installed = false;
  }
}
