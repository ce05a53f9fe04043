// Native replacements for the cpu backend kernels that dominate a training step once the matrix
// products are native: broadcasting binary ops and comparisons (tfjs computes an index per element
// for those), select, sums over any axes (tfjs transposes first), unary math, non-contiguous
// slices and splits, softmax, row gathers (embeddings, the loss's target pick), transposes, concats
// along inner axes and float-to-bool casts (masks). Each keeps the original kernel for everything it
// does not cover (other dtypes, other axes, tiny tensors).
import type * as tfTypes from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { cpuBackend, float32Of } from './tensor-data.js';

type Tf = typeof tfTypes;
type KernelFunc = tfTypes.KernelConfig['kernelFunc'];
type TensorInfo = tfTypes.TensorInfo;

// Binary op codes of native/elementwise.h.
const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};

// Same-shape and scalar operands already take tfjs's fast loop; native pays off only when large.
const SIMPLE_MIN_SIZE = 16384;
// tfjs's unary loops call Math.* per element; native (vectorized, both cores) wins from a few thousand.
const UNARY_MIN_SIZE = 4096;
// Real broadcasting takes tfjs's per-element index path; native wins from a few dozen elements.
const BROADCAST_MIN_SIZE = 32;

// Comparison and logical op codes of native/elementwise.h.
const COMPARE_OPS: Record<string, number> = { Less: 0, LessEqual: 1, Greater: 2, GreaterEqual: 3, Equal: 4, NotEqual: 5 };
const LOGICAL_OPS: Record<string, number> = { LogicalAnd: 0, LogicalOr: 1 };
// Unary op codes of native/elementwise.h.
const UNARY_OPS: Record<string, number> = { Tanh: 0, Sigmoid: 1, Exp: 2, Log: 3, Sqrt: 4, Square: 5, Neg: 6, Relu: 7 };

const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

function isSimpleBroadcast(a: number[], b: number[]): boolean {
  const same = a.length === b.length && a.every((d, i) => d === b[i]);
  return same || size(a) === 1 || size(b) === 1;
}

/** Values of a bool tensor on the cpu backend (stored as 0/1 bytes). */
function boolOf(t: TensorInfo, backend: ReturnType<typeof cpuBackend>): Uint8Array | null {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Uint8Array ? v : null;
}

/**
 * Broadcasting two-input kernel: `run` gets both inputs' values and the output shape; inputs must
 * have dtype `inDtype`, and the output is `outDtype`. Falls back below the size thresholds.
 */
function broadcastKernel(
  tf: Tf,
  inDtype: 'float32' | 'bool',
  outDtype: 'float32' | 'bool',
  run: (a: any, aShape: number[], b: any, bShape: number[], outShape: number[]) => Float32Array | Uint8Array,
  original: KernelFunc,
): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== inDtype || b.dtype !== inDtype) return original(args);
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const n = size(outShape);
    if (n < (isSimpleBroadcast(a.shape, b.shape) ? SIMPLE_MIN_SIZE : BROADCAST_MIN_SIZE)) return original(args);
    const backend = cpuBackend(args.backend);
    const read = (t: TensorInfo) => (inDtype === 'bool' ? boolOf(t, backend) : float32Of(t, backend));
    const av = read(a);
    const bv = read(b);
    if (av === null || bv === null) return original(args);
    return backend.makeTensorInfo(outShape, outDtype, run(av, a.shape, bv, b.shape, outShape));
  };
}

function selectKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { condition, t, e } = args.inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
    const n = size(t.shape);
    const sameShape = (x: TensorInfo) => x.shape.length === t.shape.length && x.shape.every((d, i) => d === t.shape[i]);
    if (t.dtype !== 'float32' || e.dtype !== 'float32' || condition.dtype !== 'bool' || n < SIMPLE_MIN_SIZE ||
      !sameShape(e) || !sameShape(condition)) {
      return original(args);
    }
    const backend = cpuBackend(args.backend);
    const cond = boolOf(condition, backend);
    if (!cond) return original(args);
    return backend.makeTensorInfo(t.shape, 'float32', addon().select(cond, float32Of(t, backend), float32Of(e, backend)));
  };
}

/** Sum over any set of axes, without tfjs's transpose of the input. */
function sumKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== 'float32' || x.shape.length === 0 || size(x.shape) < BROADCAST_MIN_SIZE) return original(args);
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const backend = cpuBackend(args.backend);
    const values = addon().sumAxes(float32Of(x, backend), x.shape, axes);
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    return backend.makeTensorInfo(outShape, 'float32', values);
  };
}

function unaryKernel(op: number, original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== 'float32' || size(x.shape) < UNARY_MIN_SIZE) return original(args);
    const backend = cpuBackend(args.backend);
    return backend.makeTensorInfo(x.shape, 'float32', addon().unary(op, float32Of(x, backend)));
  };
}

/** Non-contiguous slices (tfjs copies those element by element; contiguous ones are free views). */
function sliceKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as { begin: number | number[]; size: number | number[] };
    if (x.dtype !== 'float32' || x.shape.length === 0) return original(args);
    const [begin, sliceSize] = tf.slice_util.parseSliceParams(x as tfTypes.Tensor, attrs.begin, attrs.size);
    if (tf.slice_util.isSliceContinous(x.shape, begin, sliceSize) || size(sliceSize) < BROADCAST_MIN_SIZE) return original(args);
    const backend = cpuBackend(args.backend);
    return backend.makeTensorInfo(sliceSize, 'float32', addon().slice(float32Of(x, backend), x.shape, begin, sliceSize));
  };
}

/** SplitV (the gradient of every concat): tfjs slices each part element by element. */
function splitKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (x.dtype !== 'float32' || x.shape.length === 0 || size(x.shape) < BROADCAST_MIN_SIZE) return original(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tfTypes.Tensor, numOrSizeSplits, ax);
    const backend = cpuBackend(args.backend);
    const values = float32Of(x, backend);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const partSize = x.shape.map((d, i) => (i === ax ? s : d));
      const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
      const part = tf.slice_util.isSliceContinous(x.shape, begin, partSize)
        ? values.subarray(offset, offset + size(partSize)) // contiguous: a view, like tfjs's own slice
        : addon().slice(values, x.shape, begin, partSize);
      begin[ax] += s;
      return backend.makeTensorInfo(partSize, 'float32', part);
    });
  };
}

function softmaxKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { logits } = args.inputs as { logits: TensorInfo };
    const { dim } = args.attrs as { dim: number };
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1) || size(logits.shape) === 0) {
      return original(args);
    }
    const cols = logits.shape[rank - 1];
    const backend = cpuBackend(args.backend);
    const out = addon().softmax(float32Of(logits, backend), size(logits.shape) / cols, cols);
    return backend.makeTensorInfo(logits.shape, 'float32', out);
  };
}

function gatherKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    const axisNorm = axis < 0 ? axis + x.shape.length : axis;
    if (x.dtype !== 'float32' || indices.dtype !== 'int32' || axisNorm !== 0 || (batchDims ?? 0) !== 0 || x.shape.length === 0) {
      return original(args);
    }
    const backend = cpuBackend(args.backend);
    const idx = backend.data.get(indices.dataId).values;
    if (!(idx instanceof Int32Array)) return original(args);
    const rowSize = size(x.shape.slice(1));
    const out = addon().gather(float32Of(x, backend), x.shape[0], rowSize, idx);
    return backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], 'float32', out);
  };
}

function transposeKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    const backend = cpuBackend(args.backend);
    // tfjs-layers' Dense on a 3-D input transposes its kernel with the identity permutation on every call (a
    // 256x8000 output layer: 1 ms per decoding step). Tensors are immutable, so the output can share the input's
    // data, as tfjs's own Identity kernel does.
    if (perm.every((p, i) => p === i)) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    if (x.dtype !== 'float32' || size(x.shape) < BROADCAST_MIN_SIZE) return original(args);
    const out = addon().transpose(float32Of(x, backend), x.shape, perm);
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]), 'float32', out);
  };
}

// Typed-array class of each dtype the native concat copies (it moves bytes, whatever they hold).
const CONCAT_ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;

/**
 * Concat along an inner axis (bidirectional merges, [context ‖ output] joins, their masks): tfjs copies those one
 * element at a time. Along the first axis each part is one contiguous block, which tfjs already copies whole.
 */
function concatKernel(tf: Tf, original: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const dtype = inputs[0]?.dtype;
    if (!(dtype in CONCAT_ARRAYS) || inputs.length < 2 || inputs.some((t) => t.dtype !== dtype || size(t.shape) === 0)) {
      return original(args);
    }
    const shapes = inputs.map((t) => t.shape);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, shapes[0])[0];
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const rows = size(shapes[0].slice(0, axis));
    if (rows === 1 || size(outShape) < BROADCAST_MIN_SIZE) return original(args);
    const backend = cpuBackend(args.backend);
    const ArrayType = CONCAT_ARRAYS[dtype as keyof typeof CONCAT_ARRAYS];
    const parts = inputs.map((t) => backend.data.get(t.dataId).values);
    if (!parts.every((p) => p instanceof ArrayType)) return original(args);
    return backend.makeTensorInfo(outShape, dtype, new ArrayType(addon().concat(parts as ArrayBufferView[], rows)));
  };
}

/** Cast float32 → bool (masks): tfjs compares every element with 0 through its per-element broadcasting path. */
function castKernel(original: KernelFunc): KernelFunc {
  const zero = new Float32Array(1);
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = args.attrs as { dtype: string };
    if (x.dtype !== 'float32' || dtype !== 'bool' || size(x.shape) < BROADCAST_MIN_SIZE) return original(args);
    const backend = cpuBackend(args.backend);
    const out = addon().compare(COMPARE_OPS.NotEqual, float32Of(x, backend), x.shape, zero, [], x.shape);
    return backend.makeTensorInfo(x.shape, 'bool', out);
  };
}

/** Kernel name → wrapper around the original cpu kernel. */
export function elementwiseKernels(tf: Tf): Record<string, (original: KernelFunc) => KernelFunc> {
  const native = addon();
  const kernels: Record<string, (original: KernelFunc) => KernelFunc> = {
    Softmax: softmaxKernel,
    GatherV2: gatherKernel,
    Transpose: transposeKernel,
    Select: selectKernel,
    Sum: (original) => sumKernel(tf, original),
    Slice: (original) => sliceKernel(tf, original),
    SplitV: (original) => splitKernel(tf, original),
    Concat: (original) => concatKernel(tf, original),
    Cast: castKernel,
  };
  for (const [name, op] of Object.entries(UNARY_OPS)) kernels[name] = (original) => unaryKernel(op, original);
  for (const [name, op] of Object.entries(BINARY_OPS)) {
    kernels[name] = (original) =>
      broadcastKernel(tf, 'float32', 'float32', (a, as, b, bs, os) => native.binary(op, a, as, b, bs, os), original);
  }
  for (const [name, op] of Object.entries(COMPARE_OPS)) {
    kernels[name] = (original) =>
      broadcastKernel(tf, 'float32', 'bool', (a, as, b, bs, os) => native.compare(op, a, as, b, bs, os), original);
  }
  for (const [name, op] of Object.entries(LOGICAL_OPS)) {
    kernels[name] = (original) =>
      broadcastKernel(tf, 'bool', 'bool', (a, as, b, bs, os) => native.logical(op, a, as, b, bs, os), original);
  }
  return kernels;
}
