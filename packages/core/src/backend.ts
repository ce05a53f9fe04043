import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from './errors.js';
import { useFusedKernels, type FusedKernelModule } from './layers/fused-kernels.js';
import { installCpuFastPaths } from './cpu-kernels.js';

/**
 * Backend selection. `tensorflow` (tfjs-node) when it loads, else the pure-JS `cpu` backend accelerated by
 * `@rnnkit/native` when that addon is installed. Never wasm (no Embedding gradient there).
 */

export type BackendName = 'tensorflow' | 'cpu';

export interface BackendInfo {
  name: string;
  native: boolean;
  nativeInfo?: string;
}

export interface InitBackendOptions {
  /** Force a backend; default: env RNNKIT_BACKEND, else tensorflow if it loads, else cpu. */
  backend?: BackendName;
  /** Do not print the chosen backend. */
  quiet?: boolean;
  /** false (or env RNNKIT_NATIVE=0) skips @rnnkit/native on cpu. */
  native?: boolean;
}

interface NativeModule extends FusedKernelModule {
  installNativeKernels(engine: typeof tf): { info: string };
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Loads tfjs-node (our alias package first); true only if it registered the `tensorflow` backend with our tfjs. */
async function loadTensorflowBackend(): Promise<boolean> {
  // Non-literal specifiers: both packages are optional and may be absent at type-check time.
  for (const specifier of ['rnnkit-tfjs-node', '@tensorflow/tfjs-node']) {
    try {
      await import(specifier);
    } catch {
      continue;
    }
    // node_modules/@tensorflow/tfjs-node may be plain tfjs under that name (installed for danfojs), so the import
    // succeeding proves nothing: only a registered backend does.
    if (tf.findBackend('tensorflow')) return true;
  }
  return false;
}

/** Installs the native cpu kernels; a failure is reported once and plain tfjs continues. */
async function loadNativeKernels(): Promise<BackendInfo> {
  const specifier = '@rnnkit/native';
  try {
    const mod = (await import(specifier)) as NativeModule;
    const { info } = mod.installNativeKernels(tf);
    // A native build without some fused op (an older one) keeps its kernels but gets no fused layer paths.
    const complete = typeof mod.fusedRecurrentSequence === 'function' && typeof mod.additiveAttentionScores === 'function' &&
      typeof mod.fusedAdamUpdate === 'function';
    useFusedKernels(complete ? mod : null);
    return { name: 'cpu', native: true, nativeInfo: info };
  } catch (err) {
    useFusedKernels(null);
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    process.stderr.write(`rnnkit: warning: @rnnkit/native unavailable (${reason}); using plain tfjs cpu kernels\n`);
    return { name: 'cpu', native: false };
  }
}

// ---- cpu kernel fast paths -------------------------------------------------------------------------------------
// tfjs's cpu backend has a few kernels whose generic code path is orders of magnitude slower than a plain loop and
// that every RNN model hits. We re-register them with the same semantics; anything outside the fast path (other
// dtypes) still goes to the original kernel.

function requestedBackend(opts: InitBackendOptions): BackendName | undefined {
  const requested = opts.backend ?? (process.env.RNNKIT_BACKEND || undefined);
  if (requested !== undefined && requested !== 'tensorflow' && requested !== 'cpu') {
    const source = opts.backend !== undefined ? '--backend' : 'RNNKIT_BACKEND';
    throw new RnnkitError(`${source}: unknown backend '${requested}' (expected 'tensorflow' or 'cpu')`);
  }
  return requested;
}

async function selectBackend(opts: InitBackendOptions): Promise<BackendInfo> {
  const requested = requestedBackend(opts);
  let info: BackendInfo;
  if (requested !== 'cpu' && (await loadTensorflowBackend())) {
    await tf.setBackend('tensorflow');
    useFusedKernels(null);
    info = { name: 'tensorflow', native: false };
  } else {
    if (requested === 'tensorflow') {
      throw new RnnkitError('backend tensorflow requested but @tensorflow/tfjs-node did not load ' +
        '(it needs libtensorflow, downloaded at install time); use --backend cpu');
    }
    await tf.setBackend('cpu');
    installCpuFastPaths();
    const nativeWanted = opts.native !== false && process.env.RNNKIT_NATIVE !== '0';
    if (nativeWanted) {
      info = await loadNativeKernels();
    } else {
      useFusedKernels(null);
      info = { name: 'cpu', native: false };
    }
  }
  await tf.ready();
  tf.enableProdMode();
  if (!opts.quiet) {
    const native = info.native ? `yes (${info.nativeInfo})` : 'no';
    process.stderr.write(`rnnkit: backend=${info.name} native=${native}\n`);
  }
  return info;
}

/** Chooses and initializes the backend once; later calls return the first result. */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  if (current) return Promise.resolve(current);
  if (!pending) {
    pending = selectBackend(opts).then(
      (info) => (current = info),
      (err: unknown) => {
        pending = null;
        throw err;
      },
    );
  }
  return pending;
}

/** The backend chosen by `initBackend`. */
export function backendInfo(): BackendInfo {
  if (!current) throw new RnnkitError('backendInfo() called before initBackend()');
  return current;
}
