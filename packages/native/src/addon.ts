// Loads the compiled N-API addon (build/Release/rnnkit_native.node, built by scripts/build-addon.mjs
// during `npm ci`). Loading never throws: callers ask nativeAvailable() and get a clear reason
// from nativeLoadError() when it is missing. RNNKIT_NATIVE=0 turns the addon off on purpose.
import { createRequire } from 'node:module';

export type GemmName = 'openblas' | 'portable';

/** The portable GEMM's register-blocked micro-kernels, by instruction set. */
export type GemmKernelName = 'avx512' | 'avx2' | 'generic';

export interface AddonInfo {
  gemm: GemmName;
  openblas: boolean;
  threads: number;
  simd: string;
  /** The portable GEMM's micro-kernel in use (the best the CPU supports unless useGemmKernel chose another). */
  kernel: GemmKernelName;
  /** Every micro-kernel this CPU can run, best first. */
  kernels: GemmKernelName[];
}

export interface NativeBinding {
  info(): AddonInfo;
  setGemm(name: GemmName): boolean;
  setGemmKernel(name: GemmKernelName): boolean;
  setInputFold(on: boolean): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    bias: Float32Array | null,
    activation: number,
    leakyAlpha: number,
  ): Float32Array;
  binary(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], outShape: number[]): Float32Array;
  compare(op: number, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], outShape: number[]): Uint8Array;
  logical(op: number, a: Uint8Array, aShape: number[], b: Uint8Array, bShape: number[], outShape: number[]): Uint8Array;
  select(condition: Uint8Array, t: Float32Array, e: Float32Array): Float32Array;
  sumAxes(x: Float32Array, shape: number[], axes: number[]): Float32Array;
  unary(op: number, x: Float32Array): Float32Array;
  slice(x: Float32Array, shape: number[], begin: number[], size: number[]): Float32Array;
  softmax(x: Float32Array, rows: number, cols: number): Float32Array;
  softmaxGrad(y: Float32Array, dy: Float32Array, rows: number, cols: number): Float32Array;
  gather(params: Float32Array, paramRows: number, rowSize: number, indices: Int32Array): Float32Array;
  transpose(x: Float32Array, shape: number[], perm: number[]): Float32Array;
  concat(parts: ArrayBufferView[], rows: number): ArrayBuffer;
  rnnForward(...args: RnnArgs<[save: boolean]>): {
    outputs: Float32Array;
    h: Float32Array;
    c: Float32Array | null;
    saved: Float32Array | null;
  };
  rnnBackward(
    ...args: RnnArgs<[saved: Float32Array, dOutputs: Float32Array | null, dH: Float32Array | null, dC: Float32Array | null]>
  ): {
    dx: Float32Array;
    dh0: Float32Array;
    dc0: Float32Array | null;
    dKernel: Float32Array;
    dRecurrentKernel: Float32Array;
    dBias: Float32Array;
  };
  decodeStep(
    tokens: Int32Array,
    embedding: Float32Array,
    vocab: number,
    embedDim: number,
    layers: {
      cell: number;
      units: number;
      kernel: Float32Array | null;
      recurrentKernel: Float32Array | null;
      bias: Float32Array | null;
      h: Float32Array | null;
      c: Float32Array | null;
    }[],
    dense: Float32Array,
    denseBias: Float32Array | null,
    outDim: number,
  ): { logProbs: Float32Array; states: Float32Array[] };
  seq2seqStep(
    tokens: Int32Array,
    h: Float32Array,
    c: Float32Array | null,
    model: {
      vocab: number;
      embedDim: number;
      embedding: Float32Array;
      maskZero: boolean;
      cell: number;
      units: number;
      kernel: Float32Array;
      recurrentKernel: Float32Array;
      bias: Float32Array | null;
      attention: number;
      S: number;
      valuesDim: number;
      values: Float32Array;
      srcMask: Float32Array | null;
      attentionUnits: number;
      keys: Float32Array | null;
      queryKernel: Float32Array | null;
      queryBias: Float32Array | null;
      scoreVector: Float32Array | null;
      attentionalUnits: number;
      attentionalKernel: Float32Array;
      attentionalBias: Float32Array | null;
      outDim: number;
      outputKernel: Float32Array;
      outputBias: Float32Array | null;
    },
  ): { logProbs: Float32Array; attention: Float32Array; h: Float32Array; c: Float32Array | null };
  topIndices(row: Float32Array, k: number): Int32Array;
  additiveScores(...args: ScoreArgs): Float32Array;
  additiveScoresBackward(...args: [...ScoreArgs, dScores: Float32Array]): { dq: Float32Array; dk: Float32Array; dv: Float32Array };
  adamUpdate(
    value: Float32Array,
    gradient: Float32Array,
    m: Float32Array,
    v: Float32Array,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    biasCorrection1: number,
    biasCorrection2: number,
  ): { value: Float32Array; m: Float32Array; v: Float32Array };
}

/** Arguments shared by additiveScores/additiveScoresBackward. */
type ScoreArgs = [
  query: Float32Array,
  keys: Float32Array,
  scoreVector: Float32Array,
  batch: number,
  queryTimesteps: number,
  sourceTimesteps: number,
  units: number,
];

/** Arguments shared by rnnForward/rnnBackward, followed by each one's own. */
type RnnArgs<Rest extends unknown[]> = [
  cell: number,
  x: Float32Array,
  h0: Float32Array | null,
  c0: Float32Array | null,
  kernel: Float32Array,
  recurrentKernel: Float32Array,
  bias: Float32Array | null,
  mask: Float32Array | null,
  batch: number,
  timesteps: number,
  inputDim: number,
  units: number,
  goBackwards: boolean,
  ...Rest,
];

const ADDON_PATH = '../build/Release/rnnkit_native.node';

/** Every entry point the TypeScript side calls: the check that the compiled addon is current. */
export const REQUIRED_FUNCTIONS: readonly (keyof NativeBinding)[] = [
  'info', 'setGemm', 'setGemmKernel', 'matmul', 'binary', 'compare', 'logical', 'select', 'sumAxes',
  'unary', 'slice', 'softmax', 'softmaxGrad', 'gather', 'transpose', 'concat', 'rnnForward',
  'rnnBackward', 'setInputFold', 'decodeStep', 'seq2seqStep', 'topIndices', 'additiveScores', 'additiveScoresBackward', 'adamUpdate',
];

let binding: NativeBinding | null = null;
let loadError: string | null = null;

if (process.env.RNNKIT_NATIVE === '0') {
  loadError = 'disabled by RNNKIT_NATIVE=0';
} else {
  try {
    binding = createRequire(import.meta.url)(ADDON_PATH) as NativeBinding;
    // An addon compiled from older sources (a `git pull` without a rebuild) lacks newer entry
    // points; using it would fail mid-run with "x is not a function", so it counts as unavailable.
    const missing = REQUIRED_FUNCTIONS.filter((name) => typeof binding?.[name] !== 'function');
    if (missing.length > 0) {
      binding = null;
      loadError =
        `the compiled addon is older than its sources (it lacks ${missing.join(', ')}); ` +
        'rebuild it with `npm run build` in packages/native';
    }
  } catch (err) {
    loadError =
      `cannot load ${new URL(ADDON_PATH, import.meta.url).pathname} (${(err as Error).message.split('\n')[0]}); ` +
      'build it with `node scripts/build-addon.mjs` in packages/native';
  }
}

/** True when the compiled addon is loaded and not disabled by RNNKIT_NATIVE=0. */
export function nativeAvailable(): boolean {
  return binding !== null;
}

/** Why the addon is unavailable, or null when it is loaded. */
export function nativeLoadError(): string | null {
  return loadError;
}

/** The loaded binding; throws a clear error when it is unavailable. */
export function addon(): NativeBinding {
  if (!binding) throw new Error(`@rnnkit/native is unavailable: ${loadError}`);
  return binding;
}

/** Which GEMM backs the kernels: 'openblas' or 'portable'. */
export function nativeInfo(): GemmName {
  return addon().info().gemm;
}

/** GEMM, thread count and SIMD level of the loaded addon. */
export function nativeDetails(): AddonInfo {
  return addon().info();
}

/**
 * Switches the GEMM implementation at run time (tests and benchmarks compare both in one build).
 * Returns false when 'openblas' was requested but the addon was built without it.
 */
export function useGemm(name: GemmName): boolean {
  return addon().setGemm(name);
}

/**
 * Chooses the portable GEMM's micro-kernel (tests run every one the CPU supports against the same
 * reference). Returns false when the CPU lacks it. Recurrent weights packed for one kernel keep it
 * for the rest of that call.
 */
export function useGemmKernel(name: GemmKernelName): boolean {
  return addon().setGemmKernel(name);
}

/**
 * Lets the recurrent forward fold the input projection into each timestep's product (the
 * default: batches of 8 or more rows, more than one step) or compute it for every step up front.
 * Tests and benchmarks compare the two in one build; results agree to float rounding.
 */
export function useInputFold(on: boolean): void {
  addon().setInputFold(on);
}
