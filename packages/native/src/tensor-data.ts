// Direct access to the cpu backend's storage: the native kernels read input values in place and
// hand back freshly allocated Float32Arrays, so no tensor data is copied on the way in or out.
import * as tf from '@tensorflow/tfjs';

interface CpuBackendLike {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array | Int32Array | Uint8Array): tf.TensorInfo;
  /** Adds a reference to stored data, for an output that shares its input's values. */
  incRef(dataId: object): void;
}

export function cpuBackend(backend: unknown = tf.backend()): CpuBackendLike {
  const b = backend as Partial<CpuBackendLike>;
  if (!b || typeof b.makeTensorInfo !== 'function' || !b.data) {
    throw new Error(`@rnnkit/native kernels need the tfjs 'cpu' backend (current: ${tf.getBackend()})`);
  }
  return b as CpuBackendLike;
}

/** Float32 values of a tensor on the cpu backend (converted only if stored as another type). */
export function float32Of(t: tf.TensorInfo, backend: CpuBackendLike = cpuBackend()): Float32Array {
  const values = backend.data.get(t.dataId).values;
  if (values instanceof Float32Array) return values;
  if (ArrayBuffer.isView(values)) return Float32Array.from(values as unknown as ArrayLike<number>);
  throw new Error(`@rnnkit/native: tensor of dtype ${t.dtype} has no numeric values on the cpu backend`);
}
