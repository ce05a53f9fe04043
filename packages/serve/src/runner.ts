import { RnnkitError, SharedDecoder, type Predictor, type StepDecoding } from '@rnnkit/core';

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

/** How long the shared decoder steps before it yields to the event loop (new requests join, tokens are flushed). */
export const DECODE_SLICE_MS = 0.5;

export interface RunnerOptions {
  /** Requests admitted at once (queued or running); beyond it `submit` throws BusyError. */
  maxConcurrent: number;
  /** Micro-batching: predictBatch calls, or shared decoding steps when the predictor has stepDecoding. */
  batching: boolean;
  /** Most inputs per predictBatch call; most requests decoding together. */
  maxBatch: number;
  batchWaitMs: number;
  /** Each job's time budget from admission (queue + run). */
  timeoutMs: number;
  /** Called with the size of every model call (1 for single requests; the rows of each shared decoding step). */
  onBatch?: (size: number) => void;
  /** Called when the number of admitted requests changes. */
  onInFlight?: (n: number) => void;
}

export interface JobOptions {
  /** Stream tokens (the predictor's stream); a streamed job is never merged into a predictBatch call. */
  onToken?: (text: string) => void;
  /** Whether the client is gone (checked before the job runs and at every token). */
  isCancelled?: () => boolean;
  /** Never batched nor sharing decoding steps (callers that want a request to run by itself). */
  alone?: boolean;
}

interface Job {
  input: unknown;
  opts: JobOptions;
  /** Joins the shared decoder (greedy or sampled decoding) rather than running whole. */
  shares: boolean;
  admittedAt: number;
  deadline: number;
  resolve(output: unknown): void;
  reject(err: unknown): void;
}

/**
 * One model's request queue. Jobs run one model call at a time (a tfjs model call blocks the event loop anyway).
 * With batching on:
 * - a predictor with predictBatch: the predict jobs that arrive within `batchWaitMs` of the first (up to `maxBatch`)
 *   run as one predictBatch call;
 * - a predictor with stepDecoding (the text apps): greedy and sampled jobs are rows of one SharedDecoder. Each step
 *   of it is one model call for every row; after at most DECODE_SLICE_MS of steps the runner yields to the event
 *   loop, so that finished rows are answered, streamed tokens flushed, and new jobs join at the next step (up to
 *   `maxBatch` rows; no wait).
 *   Beam search jobs run whole, between two steps.
 * Inputs are already validated (the predictor's `parse`); they run through `run`/`runBatch` when the predictor has
 * them. Jobs start from setImmediate (after one more poll phase) or a timer, never inside the request that admitted
 * them.
 */
export class ModelRunner {
  private readonly queue: Job[] = [];
  private admitted = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly sharing: StepDecoding<unknown, unknown> | undefined;
  private readonly decoder: SharedDecoder | undefined;
  private readonly mergesCalls: boolean;

  constructor(readonly name: string, readonly predictor: Predictor, readonly opts: RunnerOptions) {
    const on = opts.batching && opts.maxBatch > 1;
    this.sharing = on ? predictor.stepDecoding : undefined;
    this.decoder = this.sharing ? new SharedDecoder(this.sharing.stepFunction) : undefined;
    // A predictor that shares decoding steps batches that way; its predictBatch (if any) is not used.
    this.mergesCalls = on && !this.sharing && typeof predictor.predictBatch === 'function';
  }

  /** Whether concurrent requests are merged (predictBatch calls or shared decoding steps). */
  get batches(): boolean {
    return this.mergesCalls || this.decoder !== undefined;
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
    let shares = false;
    if (this.sharing && opts.alone !== true) {
      try {
        shares = this.sharing.shares(input);
      } catch {
        shares = false; // run() answers with the predictor's own error
      }
    }
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({ input, opts, shares, admittedAt: now, deadline: now + this.opts.timeoutMs, resolve, reject });
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
    return this.mergesCalls && job.opts.onToken === undefined && job.opts.alone !== true;
  }

  private get decoding(): boolean {
    return (this.decoder?.size ?? 0) > 0;
  }

  private schedule(): void {
    if (this.running || this.immediate) return;
    if (this.decoding) {
      // The next decoding step, after one poll phase: requests that arrived meanwhile join it, and the answers and
      // tokens written during the last step go out.
      this.immediate = setImmediate(() => this.start());
      return;
    }
    if (this.queue.length === 0) return;
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
    if (this.running || (this.queue.length === 0 && !this.decoding)) return;
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
    const head = this.queue[0] as Job | undefined;
    if (this.decoding || head?.shares) {
      await this.decodeStep();
      return;
    }
    if (!head) return;
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
      const inputs = batch.map((j) => j.input);
      outputs = await (this.predictor.runBatch ? this.predictor.runBatch(inputs) : this.predictor.predictBatch!(inputs));
      if (outputs.length !== batch.length) throw new Error(`predictBatch returned ${outputs.length} outputs for ${batch.length} inputs`);
    } catch {
      // One input the schema let through may still fail in the model (an unknown character): run them one by one,
      // so that each request gets its own answer.
      for (const job of batch) if (!this.drop(job)) await this.runOne(job, false);
      return;
    }
    batch.forEach((job, i) => job.resolve(outputs[i]));
  }

  /**
   * One boundary of the shared decoder: a beam search job at the head of the queue runs whole; otherwise the
   * sharing jobs in the queue join (up to maxBatch rows) and every row advances, one token per step, for up to
   * DECODE_SLICE_MS.
   */
  private async decodeStep(): Promise<void> {
    const decoder = this.decoder!;
    const head = this.queue[0] as Job | undefined;
    if (head && !head.shares) {
      this.queue.shift();
      if (!this.drop(head)) await this.runOne(head);
      return;
    }
    for (let i = 0; i < this.queue.length && decoder.size < this.opts.maxBatch; ) {
      const job = this.queue[i];
      if (!job.shares) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      if (!this.drop(job)) this.join(job);
    }
    if (decoder.size === 0) return;
    // Steps back to back for up to DECODE_SLICE_MS before yielding: a turn of the event loop costs about as much as
    // a small model's step (~10 µs against ~25 µs for textgen's LSTM 128 at batch 1), so yielding after every step
    // made a lone request ~30% slower than without batching. Requests arriving meanwhile join within the slice.
    const until = performance.now() + DECODE_SLICE_MS;
    do {
      this.opts.onBatch?.(decoder.size);
      decoder.step();
    } while (decoder.size > 0 && performance.now() < until);
  }

  /** Starts a job's decoding (its priming or encoder call) and adds its row to the shared decoder. */
  private join(job: Job): void {
    try {
      const request = this.sharing!.start(job.input, this.tokenHook(job));
      this.decoder!.add(request.row, (outcome) => {
        if (!outcome.ok) return job.reject(outcome.error);
        try {
          job.resolve(request.finish(outcome.result));
        } catch (err) {
          job.reject(err);
        }
      });
    } catch (err) {
      job.reject(err);
    }
  }

  /**
   * Called at every decoded token: where a timeout or a client that went away stops the decoding (the output is
   * unchanged: the hook only observes), and where streamed tokens are sent.
   */
  private tokenHook(job: Job): (text: string) => void {
    const { onToken, isCancelled } = job.opts;
    return (text) => {
      if (isCancelled?.()) throw new CancelledError();
      if (Date.now() > job.deadline) throw new TimeoutError('running', this.opts.timeoutMs);
      onToken?.(text);
    };
  }

  private async runOne(job: Job, count = true): Promise<void> {
    if (count) this.opts.onBatch?.(1);
    const p = this.predictor;
    try {
      if (job.opts.onToken && !p.stream) throw new RnnkitError(`model "${this.name}" does not stream`);
      // Streaming predictors run with the token hook even for a plain predict (timeouts and cancellation).
      const hook = p.stream ? this.tokenHook(job) : undefined;
      if (p.run) job.resolve(await p.run(job.input, hook));
      else job.resolve(await (hook ? p.stream!(job.input, hook) : p.predict(job.input)));
    } catch (err) {
      job.reject(err);
    }
  }

  /** Rejects every queued job (used when the server is closed without draining). */
  clear(err: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const job of this.queue.splice(0)) job.reject(err);
    this.decoder?.dispose(err);
  }
}
