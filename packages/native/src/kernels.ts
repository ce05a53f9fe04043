// Re-registers the cpu backend's BatchMatMul and _FusedMatMul kernels to the native GEMM, so every
// dense layer, attention score and matMul gradient runs natively, plus the elementwise kernels of
// elementwise-kernels.ts and the Softmax gradient of softmax-gradient.ts. The original kernels are
// kept and used for what the native path does not cover (non-float32 inputs, prelu activation,
// unusual bias shapes, batch shapes tfjs broadcasts by wrap-around).
import type * as tfTypes from '@tensorflow/tfjs';
import { addon, nativeInfo } from './addon.js';
import { elementwiseKernels } from './elementwise-kernels.js';
import { installSoftmaxGradient } from './softmax-gradient.js';
import { cpuBackend, float32Of } from './tensor-data.js';

type Tf = typeof tfTypes;
type KernelConfig = tfTypes.KernelConfig;
type KernelFunc = KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

// Activation codes understood by the addon's matmul (native/addon-gemm.cc).
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, leakyrelu: 4, elu: 5 };

const NATIVE = Symbol('rnnkit.native');

interface MatmulPlan {
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

function product(dims: number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** Shapes of a (batched) matmul, or null when tfjs semantics need the original kernel. */
function planMatmul(tf: Tf, a: tfTypes.TensorInfo, b: tfTypes.TensorInfo, transposeA: boolean, transposeB: boolean): MatmulPlan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (k !== kb) return null; // let the original kernel raise tfjs's own error
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  // One side repeated (or equal batches) is true broadcasting; anything else goes to tfjs.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  if (product(outer) !== Math.max(batchA, batchB)) return null;
  return { batchA, batchB, m, n, k, outShape: [...outer, m, n] };
}

function nativeMatmul(
  args: KernelArgs,
  plan: MatmulPlan,
  bias: Float32Array | null,
  activation: number,
  leakyAlpha: number,
): tfTypes.TensorInfo {
  const backend = cpuBackend(args.backend);
  const { a, b } = args.inputs as { a: tfTypes.TensorInfo; b: tfTypes.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const out = addon().matmul(
    float32Of(a, backend),
    float32Of(b, backend),
    plan.batchA,
    plan.batchB,
    plan.m,
    plan.n,
    plan.k,
    !!transposeA,
    !!transposeB,
    bias,
    activation,
    leakyAlpha,
  );
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

function batchMatMulKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tfTypes.TensorInfo; b: tfTypes.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const plan = planMatmul(tf, a, b, !!transposeA, !!transposeB);
    return plan ? nativeMatmul(args, plan, null, 0, 0) : original(args);
  };
}

function fusedMatMulKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b, bias } = args.inputs as { a: tfTypes.TensorInfo; b: tfTypes.TensorInfo; bias?: tfTypes.TensorInfo };
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const plan = planMatmul(tf, a, b, !!transposeA, !!transposeB);
    const code = ACTIVATIONS[activation ?? 'linear'];
    // The native epilogue adds a scalar or a per-column vector; other bias shapes need broadcasting.
    const biasSize = bias ? product(bias.shape) : 0;
    const biasOk =
      !bias ||
      (bias.dtype === 'float32' &&
        (biasSize === 1 || (biasSize === plan?.n && bias.shape[bias.shape.length - 1] === plan.n)) &&
        bias.shape.length <= (plan?.outShape.length ?? 0));
    if (!plan || code === undefined || !biasOk) return original(args);
    const biasValues = bias ? float32Of(bias, cpuBackend(args.backend)) : null;
    return nativeMatmul(args, plan, biasValues, code, leakyreluAlpha ?? 0.2);
  };
}

function replaceKernel(tf: Tf, kernelName: string, wrap: (original: KernelFunc) => KernelFunc): void {
  const current = tf.getKernel(kernelName, 'cpu');
  if (!current) throw new Error(`tfjs cpu backend has no ${kernelName} kernel to replace`);
  if ((current.kernelFunc as unknown as Record<symbol, unknown>)[NATIVE]) return; // already installed
  const kernelFunc = wrap(current.kernelFunc);
  (kernelFunc as unknown as Record<symbol, unknown>)[NATIVE] = true;
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({ ...current, kernelFunc });
}

/**
 * Routes the cpu backend's BatchMatMul and _FusedMatMul through the native GEMM and its hot
 * elementwise kernels (broadcasting binary ops, Softmax and its gradient, GatherV2, Transpose,
 * Concat, ...) through native code.
 * Idempotent. Throws when the addon is unavailable (callers fall back to plain tfjs).
 */
export function installNativeKernels(tf: Tf): { info: string } {
  addon(); // throws a clear error when the addon is missing
  replaceKernel(tf, 'BatchMatMul', (original) => batchMatMulKernel(tf, original));
  replaceKernel(tf, '_FusedMatMul', (original) => fusedMatMulKernel(tf, original));
  for (const [name, wrap] of Object.entries(elementwiseKernels(tf))) replaceKernel(tf, name, wrap);
  installSoftmaxGradient(tf);
  return { info: nativeInfo() };
}
