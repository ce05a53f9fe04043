import { RnnkitError, type Predictor } from '@rnnkit/core';

/** The model's queue is full: the server answers 429 with Retry-After. */
export class BusyError extends Error {
  constructor(readonly model: string, readonly limit: number) {
    super(`model "${model}" is busy (${limit} requests in flight); retry later`);
    this.name = 'BusyError';
  }
}

/** The request waited longer than the timeout before its turn (503) or ran longer than it (504). */
export class TimeoutError extends Error {
  constructor(readonly phase: 'queued' | 'running', readonly timeoutMs: number) {
    super(phase === 'queued' ? `timed out after ${timeoutMs} ms waiting for the model; retry later` : `timed out after ${timeoutMs} ms while decoding`);
    this.name = 'TimeoutError';
  }
}

/** The client went away: the job is dropped (queued) or its decoding stopped at the next token (running). */
export class CancelledError extends Error {
  constructor() {
    super('cancelled: the client disconnected');
    this.name = 'CancelledError';
  }
}

export interface RunnerOptions {
  /** Requests admitted at once (queued or running); beyond it `submit` throws BusyError. */
  maxConcurrent: number;
  /** Micro-batching: used when the predictor has predictBatch. */
  batching: boolean;
  maxBatch: number;
  batchWaitMs: number;
  /** Each job's time budget from admission (queue + run). */
  timeoutMs: number;
  /** Called with the size of every model call (1 for single requests). */
  onBatch?: (size: number) => void;
  /** Called when the number of admitted requests changes. */
  onInFlight?: (n: number) => void;
}

export interface JobOptions {
  /** Stream tokens (the predictor's stream); otherwise the job may be batched. */
  onToken?: (text: string) => void;
  /** Whether the client is gone (checked before the job runs and at every token). */
  isCancelled?: () => boolean;
  /** Never batched (session messages, which must run alone anyway, or callers that want it). */
  alone?: boolean;
}

interface Job {
  input: unknown;
  opts: JobOptions;
  admittedAt: number;
  deadline: number;
  resolve(output: unknown): void;
  reject(err: unknown): void;
}

/**
 * One model's request queue. Jobs run one model call at a time (a tfjs model call blocks the event loop anyway);
 * with batching on and a predictor that has predictBatch, the predict jobs that arrive within `batchWaitMs` of the
 * first (up to `maxBatch`) run as one predictBatch call. Jobs start from setImmediate (after one more poll phase) or
 * a timer, never inside the request that admitted them.
 */
export class ModelRunner {
  private readonly queue: Job[] = [];
  private admitted = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly name: string, readonly predictor: Predictor, readonly opts: RunnerOptions) {}

  /** Whether concurrent predict requests are merged into predictBatch calls. */
  get batches(): boolean {
    return this.opts.batching && typeof this.predictor.predictBatch === 'function' && this.opts.maxBatch > 1;
  }

  /** Requests admitted and not finished (queued or running). */
  get inFlight(): number {
    return this.admitted;
  }

  /** Admits a job (or throws BusyError at once) and resolves with the predictor's output. The input must be valid. */
  submit(input: unknown, opts: JobOptions = {}): Promise<unknown> {
    if (this.admitted >= this.opts.maxConcurrent) throw new BusyError(this.name, this.opts.maxConcurrent);
    this.admitted++;
    this.opts.onInFlight?.(this.admitted);
    const now = Date.now();
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({ input, opts, admittedAt: now, deadline: now + this.opts.timeoutMs, resolve, reject });
      this.schedule();
    }).finally(() => {
      this.admitted--;
      this.opts.onInFlight?.(this.admitted);
      if (this.admitted === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** Resolves when no job is admitted. */
  idle(): Promise<void> {
    return this.admitted === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private batchable(job: Job): boolean {
    return this.batches && job.opts.onToken === undefined && job.opts.alone !== true;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0 || this.immediate) return;
    const head = this.queue[0];
    let delay = 0;
    if (this.batchable(head)) {
      const ready = this.queue.filter((j) => this.batchable(j)).length;
      if (ready < this.opts.maxBatch) delay = Math.max(0, head.admittedAt + this.opts.batchWaitMs - Date.now());
    }
    if (delay > 0) {
      if (!this.timer) this.timer = setTimeout(() => this.start(), delay);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    // Two check phases away: the poll phase between them reads every request already sent, so requests that
    // arrive together (while the previous call held the event loop) are all admitted or refused before one runs.
    this.immediate = setImmediate(() => (this.immediate = setImmediate(() => this.start())));
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    void this.runNext().finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  /** Rejects a job that may no longer run; true when it was dropped. */
  private drop(job: Job): boolean {
    if (job.opts.isCancelled?.()) job.reject(new CancelledError());
    else if (Date.now() > job.deadline) job.reject(new TimeoutError('queued', this.opts.timeoutMs));
    else return false;
    return true;
  }

  private async runNext(): Promise<void> {
    const head = this.queue[0];
    if (!this.batchable(head)) {
      this.queue.shift();
      if (!this.drop(head)) await this.runOne(head);
      return;
    }
    const batch: Job[] = [];
    for (let i = 0; i < this.queue.length && batch.length < this.opts.maxBatch; ) {
      const job = this.queue[i];
      if (!this.batchable(job)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (!this.drop(job)) batch.push(job);
    }
    if (batch.length === 0) return;
    if (batch.length === 1) {
      await this.runOne(batch[0]);
      return;
    }
    let outputs: unknown[];
    try {
      this.opts.onBatch?.(batch.length);
      outputs = await this.predictor.predictBatch!(batch.map((j) => j.input));
      if (outputs.length !== batch.length) throw new Error(`predictBatch returned ${outputs.length} outputs for ${batch.length} inputs`);
    } catch {
      // One input the schema let through may still fail in the model (an unknown character): run them one by one,
      // so that each request gets its own answer.
      for (const job of batch) if (!this.drop(job)) await this.runOne(job, false);
      return;
    }
    batch.forEach((job, i) => job.resolve(outputs[i]));
  }

  private async runOne(job: Job, count = true): Promise<void> {
    if (count) this.opts.onBatch?.(1);
    const { onToken, isCancelled } = job.opts;
    try {
      if (this.predictor.stream) {
        // Streaming predictors run through stream() even for a plain predict: the per-token hook is where a
        // timeout or a client that went away stops the decoding (same output: the hook only observes).
        job.resolve(
          await this.predictor.stream(job.input, (text) => {
            if (isCancelled?.()) throw new CancelledError();
            if (Date.now() > job.deadline) throw new TimeoutError('running', this.opts.timeoutMs);
            onToken?.(text);
          }),
        );
      } else {
        if (onToken) throw new RnnkitError(`model "${this.name}" does not stream`);
        job.resolve(await this.predictor.predict(job.input));
      }
    } catch (err) {
      job.reject(err);
    }
  }

  /** Rejects every queued job (used when the server is closed without draining). */
  clear(err: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const job of this.queue.splice(0)) job.reject(err);
  }
}
