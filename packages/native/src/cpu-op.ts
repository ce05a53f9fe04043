// This package's own ops (fused kernels tfjs does not have) are cpu kernels, the differentiable ones
// with registered gradients, so the engine records them on the tape and disposes their outputs like
// any tfjs op's.
import * as tf from '@tensorflow/tfjs';

export type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];
export type GradientMap = ReturnType<tf.GradConfig['gradFunc']>;

/**
 * Registers the kernel and its gradient (none for ops that are never differentiated, like the
 * optimizer update) unless already registered (ops call this on every call: two map lookups).
 */
export function registerCpuOp(
  kernelName: string,
  kernelFunc: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[],
  gradient: Omit<tf.GradConfig, 'kernelName'> | null,
): void {
  if (!tf.getKernel(kernelName, 'cpu')) {
    tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  if (gradient !== null && !tf.getGradient(kernelName)) tf.registerGradient({ kernelName, ...gradient });
}
