import * as tf from '@tensorflow/tfjs';

/**
 * Pure-JS replacements for tfjs cpu kernels whose generic code is pathologically slow for RNN training
 * (Embedding gradients, broadcasting elementwise ops, softmax, slicing). Each replacement computes exactly what
 * the original does (tested against it) and falls back to it for cases it does not cover. `@rnnkit/native`, when
 * loaded, registers faster native kernels over some of these.
 */

interface CpuBackend {
  readSync(dataId: object): tf.TypedArray;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
}

const FAST_PATH = Symbol.for('rnnkit.cpuFastPath');

/** Wraps a cpu kernel once (a second initBackend, e.g. from a re-imported module, leaves it as it is). */
function replaceCpuKernel(kernelName: string, makeFunc: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, 'cpu');
  if (!original || (original.kernelFunc as unknown as Record<symbol, unknown>)[FAST_PATH]) return;
  const kernelFunc = makeFunc(original.kernelFunc);
  (kernelFunc as unknown as Record<symbol, unknown>)[FAST_PATH] = true;
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({ ...original, kernelFunc });
}

/**
 * The gradient of every Embedding lookup. tfjs runs four whole-tensor ops per segment, i.e. per vocabulary entry
 * (O(vocab × batch × time × dim), minutes per step for a 10k-word vocabulary); this is one scatter-add pass.
 */
const segmentSumByScatterAdd: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const cpu = backend as unknown as CpuBackend;
  const values = cpu.readSync(x.dataId);
  const ids = cpu.readSync(segmentIds.dataId);
  const rows = ids.length;
  const inner = rows === 0 ? 0 : values.length / rows;
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let r = 0; r < rows; r++) {
    const segment = ids[r];
    // Like TensorFlow, ids outside [0, numSegments) contribute nothing.
    if (segment < 0 || segment >= numSegments) continue;
    const from = r * inner;
    const to = segment * inner;
    for (let k = 0; k < inner; k++) out[to + k] += values[from + k];
  }
  return cpu.makeTensorInfo([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype, out);
};

/**
 * Broadcasting elementwise op on float32 data. tfjs's generic broadcast path allocates index arrays per element
 * (~400 ns each: a bias add over [16, 12, 2000] logits took 80 ms); this walks the output row by row, keeping the
 * two input offsets with an odometer over the outer dimensions.
 */
function broadcastBinary(
  aShape: number[], bShape: number[], a: tf.TypedArray, b: tf.TypedArray, op: (x: number, y: number) => number,
): { shape: number[]; values: Float32Array } {
  const shape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  const rank = shape.length;
  const strides = (s: number[]): number[] => {
    const padded = [...new Array(rank - s.length).fill(1), ...s];
    const result = new Array<number>(rank);
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      result[d] = padded[d] === 1 ? 0 : stride; // broadcast dims do not advance
      stride *= padded[d];
    }
    return result;
  };
  const aStr = strides(aShape);
  const bStr = strides(bShape);
  const size = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(size);
  if (size === 0) return { shape, values: out };
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const aStep = rank === 0 ? 0 : aStr[rank - 1];
  const bStep = rank === 0 ? 0 : bStr[rank - 1];
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let o = 0; o < size; o += inner) {
    for (let k = 0, ai = aOff, bi = bOff; k < inner; k++, ai += aStep, bi += bStep) out[o + k] = op(a[ai], b[bi]);
    for (let d = rank - 2; d >= 0; d--) {
      aOff += aStr[d];
      bOff += bStr[d];
      if (++index[d] < shape[d]) break;
      aOff -= aStr[d] * shape[d];
      bOff -= bStr[d] * shape[d];
      index[d] = 0;
    }
  }
  return { shape, values: out };
}

const BROADCAST_OPS: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Multiply: (x, y) => x * y,
  RealDiv: (x, y) => x / y,
  Maximum: (x, y) => Math.max(x, y),
  Minimum: (x, y) => Math.min(x, y),
};

function broadcastFastPath(op: (x: number, y: number) => number): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    // Same-shape inputs already take tfjs's fast loop; other dtypes (int32, bool, complex) keep tfjs's semantics.
    if (sameShape || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const cpu = args.backend as unknown as CpuBackend;
    const { shape, values } = broadcastBinary(a.shape, b.shape, cpu.readSync(a.dataId), cpu.readSync(b.dataId), op);
    return cpu.makeTensorInfo(shape, 'float32', values);
  };
}

/** Softmax over the last axis, row by row (tfjs composes it from broadcasting ops, see above). */
const softmaxByRows = (original: tf.KernelFunc): tf.KernelFunc => (args) => {
  const { logits } = args.inputs as { logits: tf.TensorInfo };
  const dim = (args.attrs as { dim: number }).dim;
  const rank = logits.shape.length;
  if (logits.dtype !== 'float32' || rank === 0 || (dim !== -1 && dim !== rank - 1)) return original(args);
  const cpu = args.backend as unknown as CpuBackend;
  const x = cpu.readSync(logits.dataId);
  const width = logits.shape[rank - 1];
  const out = new Float32Array(x.length);
  for (let row = 0; row < x.length; row += width) {
    let max = -Infinity;
    for (let k = 0; k < width; k++) max = Math.max(max, x[row + k]);
    let sum = 0;
    for (let k = 0; k < width; k++) sum += out[row + k] = Math.exp(x[row + k] - max);
    for (let k = 0; k < width; k++) out[row + k] /= sum;
  }
  return cpu.makeTensorInfo(logits.shape, 'float32', out);
};

/**
 * The [begin, begin + size) box of a row-major array. tfjs copies a non-contiguous slice (a gate out of [B, 4U], a
 * timestep out of [B, T, F]) one element at a time through index arrays; this copies contiguous runs.
 */
function sliceBox(values: tf.TypedArray, shape: number[], begin: number[], size: number[]): tf.TypedArray {
  const total = size.reduce((p, d) => p * d, 1);
  if (tf.slice_util.isSliceContinous(shape, begin, size)) {
    // One run: a view, exactly what tfjs returns for this case.
    const offset = begin.reduce((sum, b, d) => sum + b * shape.slice(d + 1).reduce((p, x) => p * x, 1), 0);
    return values.subarray(offset, offset + total);
  }
  const rank = shape.length;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, 1));
  // Trailing dimensions the box covers completely join the innermost run.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = size[k] * strides[k];
  const out = new (values.constructor as new (n: number) => tf.TypedArray)(total);
  const index = new Array<number>(k).fill(0);
  let src = begin.reduce((sum, b, d) => sum + b * strides[d], 0);
  for (let o = 0; o < total; o += run) {
    for (let j = 0; j < run; j++) out[o + j] = values[src + j];
    for (let d = k - 1; d >= 0; d--) {
      src += strides[d];
      if (++index[d] < size[d]) break;
      src -= strides[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/** Slice, SplitV and Unpack (tfjs's SplitV and Unpack call its slow slice directly, so all three are replaced). */
function sliceFastPath(kernelName: 'Slice' | 'SplitV' | 'Unpack'): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args) => {
    const x = (kernelName === 'Unpack' ? args.inputs.value : args.inputs.x) as tf.TensorInfo;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const cpu = args.backend as unknown as CpuBackend;
    const values = cpu.readSync(x.dataId);
    const piece = (begin: number[], size: number[], outShape = size) =>
      cpu.makeTensorInfo(outShape, x.dtype, sliceBox(values, x.shape, begin, size));
    if (kernelName === 'Slice') {
      const attrs = args.attrs as { begin: number | number[]; size?: number | number[] };
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
      tf.slice_util.assertParamsValid(x, begin, size);
      return piece(begin, size);
    }
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, x.shape)[0];
    const sizes = kernelName === 'SplitV'
      ? tf.backend_util.prepareSplitSize(x, (args.attrs as { numOrSizeSplits: number | number[] }).numOrSizeSplits, axis)
      : new Array<number>(x.shape[axis]).fill(1);
    const outShape = kernelName === 'Unpack' ? x.shape.filter((_, d) => d !== axis) : undefined;
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[axis] = n;
      const result = piece(begin.slice(), size, outShape ?? size);
      begin[axis] += n;
      return result;
    });
  };
}

export function installCpuFastPaths(): void {
  replaceCpuKernel('UnsortedSegmentSum', () => segmentSumByScatterAdd);
  for (const [name, op] of Object.entries(BROADCAST_OPS)) replaceCpuKernel(name, broadcastFastPath(op));
  replaceCpuKernel('Softmax', softmaxByRows);
  for (const name of ['Slice', 'SplitV', 'Unpack'] as const) replaceCpuKernel(name, sliceFastPath(name));
}

