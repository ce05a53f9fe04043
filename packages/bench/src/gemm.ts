// The machine's GEMM peak as rnnkit reaches it: a few square float32 products through tf.matMul (the native
// addon's GEMM when it is active). The best of the repeats is the estimate: load from other jobs only slows a run.
import * as tf from '@tensorflow/tfjs';

export function gemmPeakGflops(n = 1024, repeats = 10): number {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  let best = Infinity;
  for (let i = 0; i <= repeats; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - start;
    c.dispose();
    if (i > 0) best = Math.min(best, ms); // the first product is warm-up (buffers, threads)
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best * 1e6);
}
