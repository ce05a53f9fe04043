/// <reference lib="webworker" />
// The model worker: loads one app's model and runs its predictor off the page's main thread, so drawing, typing and
// scrolling stay responsive while a summary is beam-searched or characters are sampled.
import * as tf from '@tensorflow/tfjs';
import { loadModelFromUrl, type Predictor } from '@rnnkit/core/browser';
import { PREDICTOR_MODULES } from './apps.js';
import type { BackendName, WorkerRequest, WorkerResponse } from './protocol.js';

let predictor: Predictor | undefined;

function reply(message: WorkerResponse): void {
  (self as unknown as DedicatedWorkerGlobalScope).postMessage(message);
}

/** WebGL when asked for (or on auto) and the browser can give it, else cpu; returns the backend in use. */
async function chooseBackend(wanted: BackendName | 'auto'): Promise<string> {
  if (wanted !== 'cpu') {
    try {
      if (await tf.setBackend('webgl')) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // No WebGL in this worker (no OffscreenCanvas, blocked GPU): the cpu backend computes the same function.
    }
    if (wanted === 'webgl') throw new Error('WebGL is not available in this browser; choose the cpu backend');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.kind) {
    case 'load': {
      const started = performance.now();
      const backend = await chooseBackend(request.backend);
      const module = await PREDICTOR_MODULES[request.app]();
      predictor?.dispose();
      predictor = undefined;
      const loaded = await loadModelFromUrl(request.url);
      const parameters = loaded.model.countParams();
      predictor = module.predictorFromArtifacts(loaded);
      reply({ id: request.id, kind: 'loaded', info: { app: request.app, backend, loadMs: performance.now() - started, parameters } });
      return;
    }
    case 'predict':
    case 'stream': {
      if (!predictor) throw new Error('no model loaded yet');
      const started = performance.now();
      const output =
        request.kind === 'stream' && predictor.stream
          ? await predictor.stream(request.input, (text) => reply({ id: request.id, kind: 'token', text }))
          : await predictor.predict(request.input);
      reply({ id: request.id, kind: 'result', output, ms: performance.now() - started });
      return;
    }
  }
}

// One request at a time, in arrival order: a predict sent right after a load waits for the model.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  queue = queue.then(() =>
    handle(request).catch((err: unknown) => {
      reply({ id: request.id, kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }),
  );
};
