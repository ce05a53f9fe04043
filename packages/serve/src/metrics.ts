import * as tf from '@tensorflow/tfjs';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several servers can live in one process). */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'rnnkit_http_requests_total',
    help: 'HTTP requests answered, by route template, model and status',
    labelNames: ['method', 'route', 'model', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'rnnkit_http_request_duration_seconds',
    help: 'Time from the request to the end of the response, by route template and model',
    labelNames: ['method', 'route', 'model'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'rnnkit_batch_size',
    help: 'Inputs per model call (1 when a request runs alone)',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'rnnkit_inflight_requests',
    help: 'Requests admitted for a model and not finished (queued or decoding)',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'rnnkit_rejected_total',
    help: 'Requests refused or stopped by a limit: busy (429), timeout, cancelled (client gone), draining (503)',
    labelNames: ['model', 'reason'] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({
    name: 'rnnkit_chat_sessions',
    help: 'Chat sessions kept in memory',
    registers: [this.registry],
  });

  constructor(modelNames: readonly string[]) {
    new Gauge({
      name: 'rnnkit_tf_tensors',
      help: 'tf.memory().numTensors: tensors alive in the process (flat across requests when nothing leaks)',
      registers: [this.registry],
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    new Gauge({
      name: 'rnnkit_tf_bytes',
      help: 'tf.memory().numBytes: bytes held by tensors',
      registers: [this.registry],
      collect() {
        this.set(tf.memory().numBytes);
      },
    });
    new Gauge({
      name: 'rnnkit_process_rss_bytes',
      help: 'Resident set size of the server process',
      registers: [this.registry],
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Gauge({
      name: 'rnnkit_models_loaded',
      help: 'Models served',
      registers: [this.registry],
    }).set(modelNames.length);
    for (const name of modelNames) this.inFlight.set({ model: name }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'rnnkit_' });
  }
}
