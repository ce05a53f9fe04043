import type { AppName } from './apps.js';
import type { BackendName, LoadedInfo, WorkerRequest, WorkerResponse } from './protocol.js';

type Pending = { resolve: (value: WorkerResponse) => void; reject: (err: Error) => void; onToken?: (text: string) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** The page's handle on its model worker: typed calls that resolve with the worker's answer. */
export class ModelClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();

  constructor() {
    this.worker = ModelClient.spawn();
    this.worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    this.worker.onerror = (event) => this.failAll(new Error(`model worker failed: ${event.message}`));
  }

  private static spawn(): Worker {
    return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  }

  private receive(message: WorkerResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'token') {
      pending.onToken?.(message.text);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'error') pending.reject(new Error(message.message));
    else pending.resolve(message);
  }

  private failAll(err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
  }

  private send(body: RequestBody, onToken?: (text: string) => void): Promise<WorkerResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onToken });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  /** Loads `app`'s model from `url` (a folder holding model.json, weights.bin and rnnkit.json). */
  async load(app: AppName, url: string, backend: BackendName | 'auto'): Promise<LoadedInfo> {
    const answer = await this.send({ kind: 'load', app, url: new URL(url, location.href).href, backend });
    if (answer.kind !== 'loaded') throw new Error(`unexpected answer "${answer.kind}" to load`);
    return answer.info;
  }

  /** Runs the predictor on `input`; with `onToken`, text apps stream each decoded piece first. */
  async predict<O>(input: unknown, onToken?: (text: string) => void): Promise<{ output: O; ms: number }> {
    const answer = await this.send({ kind: onToken ? 'stream' : 'predict', input }, onToken);
    if (answer.kind !== 'result') throw new Error(`unexpected answer "${answer.kind}" to predict`);
    // The input and raw output of the last call, for devtools and the browser tests (which give Node the same input
    // and compare the numbers).
    (globalThis as { rnnkitLastInput?: unknown }).rnnkitLastInput = input;
    (globalThis as { rnnkitLastOutput?: unknown }).rnnkitLastOutput = answer.output;
    return { output: answer.output as O, ms: answer.ms };
  }
}
