import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError, initBackend, intOption, runCli, RNNKIT_VERSION } from '@rnnkit/core';
import { parseModelArg, type ModelDirSpec } from './models.js';
import { DEFAULT_BATCHING, DEFAULT_LIMITS, DEFAULT_SESSIONS, createServer, type RnnkitServer } from './server.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export interface ServeFlags {
  model: ModelDirSpec[];
  host: string;
  port: number;
  token?: string;
  cors?: string[];
  bodyLimit: number;
  timeoutMs: number;
  maxConcurrent: number;
  maxBatch: number;
  batchWaitMs: number;
  batching: boolean;
  sessionTtlS: number;
  maxSessions: number;
  maxHistoryTurns: number;
  shutdownGraceMs: number;
  backend?: 'tensorflow' | 'cpu';
  log?: boolean;
  quiet?: boolean;
  /** A directory to serve at `/`; false: none (`--no-web`); undefined: the playground site (runs/web) when there is one. */
  web?: string | false;
}

/**
 * The web playground with models in this repository: runs/web/, which `npm run web` writes (apps/web/dist alone
 * has the pages but no model to run), when it has been written.
 */
export function defaultWebDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../../runs/web/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : undefined;
}

const collect = <T>(parse: (v: string) => T) => (value: string, previous: T[] | undefined) => [...(previous ?? []), parse(value)];

/** The `rnnkit-serve` command line (exported for tests: flags, defaults, help). */
export function buildServeProgram(run: (flags: ServeFlags) => Promise<void>): Command {
  return new Command('rnnkit-serve')
    .description('Serve trained rnnkit models over HTTP: predict, token streaming (SSE), chat sessions, micro-batching, metrics.')
    .version(`rnnkit-serve ${RNNKIT_VERSION} (tfjs ${tf.version.tfjs})`, '--version')
    .requiredOption('--model <[name=]dir>', 'a model directory (or run directory) to serve at /v1/<name>/; repeat for several (name defaults to its app)', collect(parseModelArg))
    .option('--host <address>', 'address to listen on (anything but loopback exposes the models to the network)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free port)', intOption('--port', { min: 0, max: 65535 }), 8080)
    .option('--token <token>', 'require "Authorization: Bearer <token>" (default: $RNNKIT_SERVE_TOKEN; none when unset)')
    .option('--cors <origin>', 'allow this browser origin (repeatable; CORS is off otherwise)', collect(String))
    .option('--body-limit <bytes>', 'largest request body (413 beyond)', intOption('--body-limit', { min: 1 }), DEFAULT_LIMITS.bodyLimit)
    .option('--timeout-ms <ms>', 'time budget of one request: queued beyond it 503, decoding beyond it 504', intOption('--timeout-ms', { min: 1 }), DEFAULT_LIMITS.timeoutMs)
    .option('--max-concurrent <n>', 'requests admitted per model, queued or running (429 with Retry-After beyond)', intOption('--max-concurrent', { min: 1 }), DEFAULT_LIMITS.maxConcurrent)
    .option('--max-batch <n>', 'most predict requests merged into one model call', intOption('--max-batch', { min: 1 }), DEFAULT_BATCHING.maxBatch)
    .option('--batch-wait-ms <ms>', 'how long the first request of a batch waits for others', intOption('--batch-wait-ms', { min: 0 }), DEFAULT_BATCHING.waitMs)
    .option('--no-batching', 'run every request alone (no micro-batching)')
    .option('--session-ttl-s <s>', 'forget a chat session unused this long', intOption('--session-ttl-s', { min: 1 }), DEFAULT_SESSIONS.ttlMs / 1000)
    .option('--max-sessions <n>', 'chat sessions kept (the least recently used is dropped beyond)', intOption('--max-sessions', { min: 1 }), DEFAULT_SESSIONS.maxSessions)
    .option('--max-history-turns <n>', 'earlier turns a session sends with each message', intOption('--max-history-turns', { min: 2 }), DEFAULT_SESSIONS.maxTurns)
    .option('--shutdown-grace-ms <ms>', 'on SIGTERM, how long in-flight requests may take before the server closes anyway', intOption('--shutdown-grace-ms', { min: 0 }), DEFAULT_LIMITS.shutdownGraceMs)
    .addOption(new Option('--backend <name>', 'tensorflow or cpu (default: the best that loads)').choices(['tensorflow', 'cpu']))
    .option('--web <dir>', 'serve this directory at / (default: the web playground with models, runs/web, when npm run web wrote it)')
    .option('--no-web', 'serve no static files at /')
    .option('--log', 'log every request as a JSON line on stdout')
    .option('--quiet', 'print nothing but errors')
    .showHelpAfterError()
    .action(async (flags: ServeFlags) => run(flags));
}

/**
 * Starts the server from flags; SIGTERM/SIGINT drain it (a second signal exits at once). `signals` is where the
 * signals come from (the process; tests pass an emitter).
 */
export async function serve(flags: ServeFlags, signals: Pick<NodeJS.EventEmitter, 'on' | 'off'> = process): Promise<RnnkitServer> {
  const info = (line: string) => {
    if (!flags.quiet) process.stderr.write(`rnnkit-serve: ${line}\n`);
  };
  const token = flags.token ?? (process.env.RNNKIT_SERVE_TOKEN || undefined);
  if (!LOOPBACK.test(flags.host) && token === undefined) info(`warning: listening on ${flags.host} without --token: anyone who reaches it can use the models`);
  await initBackend({ backend: flags.backend, quiet: flags.quiet === true });
  const server = await createServer({
    models: flags.model,
    host: flags.host,
    port: flags.port,
    token,
    cors: flags.cors,
    limits: { bodyLimit: flags.bodyLimit, timeoutMs: flags.timeoutMs, maxConcurrent: flags.maxConcurrent, shutdownGraceMs: flags.shutdownGraceMs },
    batching: { enabled: flags.batching, maxBatch: flags.maxBatch, waitMs: flags.batchWaitMs },
    sessions: { ttlMs: flags.sessionTtlS * 1000, maxSessions: flags.maxSessions, maxTurns: flags.maxHistoryTurns },
    logger: flags.log === true,
    web: flags.web === false ? undefined : (flags.web ?? defaultWebDir()),
  });
  for (const m of server.rnnkit.models) info(`model ${m.name}: ${m.app} from ${m.dir ?? '(in memory)'}`);
  if (server.rnnkit.web) info(`static files at ${server.rnnkit.url}/ from ${server.rnnkit.web}`);
  info(`listening on ${server.rnnkit.url} (POST /v1/<name>/predict; /healthz /readyz /metrics /openapi.json)`);
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      info(`${signal} again: exiting without waiting`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    info(`${signal}: finishing ${server.rnnkit.active} in-flight request(s), refusing new ones (503)`);
    server.rnnkit.shutdown().then(
      () => {
        signals.off('SIGTERM', onSignal);
        signals.off('SIGINT', onSignal);
        info('stopped');
      },
      (err: unknown) => {
        process.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  return server;
}

/** The whole CLI: `await runServeCli()` is cli.ts. */
export async function runServeCli(argv: string[] = process.argv): Promise<void> {
  await runCli(async () => {
    await buildServeProgram(async (flags) => {
      if (flags.model.length === 0) throw new RnnkitError('give at least one --model [name=]dir');
      await serve(flags);
    }).parseAsync(argv);
  });
}
