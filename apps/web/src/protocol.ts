import type { AppName } from './apps.js';

/** The tfjs backends a page can ask for: WebGL when the browser has it, else plain JavaScript. */
export type BackendName = 'webgl' | 'cpu';

/** Messages from a page to its model worker. */
export type WorkerRequest =
  | { id: number; kind: 'load'; app: AppName; url: string; backend: BackendName | 'auto' }
  | { id: number; kind: 'predict'; input: unknown }
  | { id: number; kind: 'stream'; input: unknown };

/** What the worker knows about the model it loaded. */
export interface LoadedInfo {
  app: AppName;
  /** The backend tfjs really uses (WebGL can fail to initialize and fall back to cpu). */
  backend: string;
  loadMs: number;
  /** Sum of the loaded model's weight sizes. */
  parameters: number;
}

/** Messages from the worker: one final answer per request; streams send tokens before it. */
export type WorkerResponse =
  | { id: number; kind: 'loaded'; info: LoadedInfo }
  | { id: number; kind: 'token'; text: string }
  | { id: number; kind: 'result'; output: unknown; ms: number }
  | { id: number; kind: 'error'; message: string };
