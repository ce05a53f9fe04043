// The gradient of Softmax over the last axis as one native pass per row: dx = y * (dy - sum(dy * y)).
// tfjs composes it from four whole-tensor ops (dy * y, its row sums, their product with y, a
// subtraction), each allocating a tensor the size of the softmax output, which is [32, 12, 8000]
// for the output layer of a seq2seq step. Gradients are registered per kernel name for every
// backend at once, so the replacement hands whatever it does not cover (other backends, dtypes or
// axes) to tfjs's own gradient.
import type * as tfTypes from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { registerCpuOp } from './cpu-op.js';
import { cpuBackend, float32Of } from './tensor-data.js';

type Tf = typeof tfTypes;
type GradFunc = tfTypes.GradConfig['gradFunc'];

const KERNEL = 'RnnkitSoftmaxGrad';
const NATIVE = Symbol('rnnkit.nativeGradient');

function softmaxGradKernel({ inputs, backend: rawBackend }: Parameters<tfTypes.KernelFunc>[0]): tfTypes.TensorInfo {
  const { y, dy } = inputs as { y: tfTypes.TensorInfo; dy: tfTypes.TensorInfo };
  const backend = cpuBackend(rawBackend);
  const cols = y.shape[y.shape.length - 1];
  const rows = y.shape.reduce((p, d) => p * d, 1) / cols;
  return backend.makeTensorInfo(y.shape, 'float32', addon().softmaxGrad(float32Of(y, backend), float32Of(dy, backend), rows, cols));
}

/** Idempotent; needs tfjs's own Softmax gradient registered (it is, by importing @tensorflow/tfjs). */
export function installSoftmaxGradient(tf: Tf): void {
  registerCpuOp(KERNEL, softmaxGradKernel, null);
  const original = tf.getGradient('Softmax');
  if (!original) throw new Error('tfjs has no Softmax gradient to replace');
  if ((original.gradFunc as unknown as Record<symbol, unknown>)[NATIVE]) return; // already installed
  const gradFunc: GradFunc = (dy, saved, attrs) => {
    const [y] = saved; // outputsToSave: [true]
    const { dim } = attrs as { dim: number };
    const lastAxis = dim === -1 || dim === y.rank - 1;
    if (tf.getBackend() !== 'cpu' || y.dtype !== 'float32' || !lastAxis || y.size === 0) return original.gradFunc(dy, saved, attrs);
    return { logits: () => tf.engine().runKernel(KERNEL, { y, dy: dy as tfTypes.Tensor }) as tfTypes.Tensor };
  };
  (gradFunc as unknown as Record<symbol, unknown>)[NATIVE] = true;
  tf.registerGradient({ ...original, gradFunc });
}
