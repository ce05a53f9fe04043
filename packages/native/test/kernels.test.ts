import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installNativeKernels, nativeDetails, useGemm } from '../src/index.js';
import { expectAddonLoaded, expectClose, gemmConfigs, optedOut, randomTensor, useGemmConfig } from './helpers.js';

interface MatmulCase {
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
  bias?: number[];
  activation?: 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'elu' | 'leakyrelu' | 'prelu';
}

// Sizes straddle the portable GEMM's register tiles (avx512 8x32, avx2 6x16, generic 4x16 or 6x16),
// its 256-deep K blocks, 144-row M blocks and 2048-column N blocks, and its narrow-product path
// that reads A in place (at most two panels of B) with a packed ragged last sliver.
const CASES: MatmulCase[] = [
  { a: [1, 1], b: [1, 1], transposeA: false, transposeB: false },
  { a: [7, 5], b: [5, 3], transposeA: false, transposeB: false },
  { a: [5, 7], b: [5, 19], transposeA: true, transposeB: false },
  { a: [33, 300], b: [17, 300], transposeA: false, transposeB: true },
  { a: [260, 33], b: [70, 260], transposeA: true, transposeB: true },
  { a: [64, 128], b: [128, 512], transposeA: false, transposeB: false },
  { a: [3, 6, 4], b: [3, 4, 5], transposeA: false, transposeB: false },
  { a: [2, 3, 4, 6], b: [2, 3, 5, 4], transposeA: true, transposeB: true },
  { a: [4, 9, 8], b: [8, 6], transposeA: false, transposeB: false },
  { a: [9, 8], b: [4, 8, 6], transposeA: false, transposeB: false },
  { a: [1, 9, 8], b: [5, 6, 8], transposeA: false, transposeB: true },
  { a: [2, 1, 3, 4], b: [1, 5, 4, 2], transposeA: false, transposeB: false },
  { a: [10, 20], b: [20, 30], transposeA: false, transposeB: false, bias: [30], activation: 'relu' },
  { a: [3, 10, 20], b: [20, 30], transposeA: false, transposeB: false, bias: [30], activation: 'sigmoid' },
  { a: [10, 20], b: [30, 20], transposeA: false, transposeB: true, bias: [1], activation: 'elu' },
  { a: [10, 20], b: [20, 30], transposeA: false, transposeB: false, bias: [30], activation: 'leakyrelu' },
  { a: [10, 20], b: [20, 30], transposeA: false, transposeB: false, bias: [10, 30], activation: 'relu6' },
  { a: [10, 20], b: [20, 30], transposeA: false, transposeB: false, bias: [30], activation: 'prelu' },
  { a: [10, 20], b: [20, 30], transposeA: false, transposeB: false, activation: 'linear' },
  { a: [151, 513], b: [28, 513], transposeA: false, transposeB: true },
  { a: [513, 147], b: [513, 40], transposeA: true, transposeB: false },
  { a: [150, 300], b: [300, 70], transposeA: false, transposeB: false },
  { a: [300, 20], b: [20, 2100], transposeA: false, transposeB: false },
  { a: [29, 9], b: [2049, 29], transposeA: true, transposeB: true },
  { a: [200, 5], b: [5, 3], transposeA: false, transposeB: false, bias: [3], activation: 'relu' },
  // Few-row products (decoding): one to eight rows, B streamed in 64-column blocks with a ragged last block,
  // split across threads when large.
  { a: [1, 128], b: [128, 512], transposeA: false, transposeB: false },
  { a: [4, 256], b: [256, 8000], transposeA: false, transposeB: false },
  { a: [256, 8], b: [256, 1000], transposeA: true, transposeB: false },
  { a: [3, 40], b: [40, 65], transposeA: false, transposeB: false, bias: [65], activation: 'relu' },
  { a: [5, 1, 17], b: [5, 17, 70], transposeA: false, transposeB: false },
];

function run(c: MatmulCase, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const a = randomTensor(c.a, seed);
    const b = randomTensor(c.b, seed + 1);
    if (c.bias === undefined && c.activation === undefined) {
      return tf.matMul(a, b, c.transposeA, c.transposeB);
    }
    const bias = c.bias ? randomTensor(c.bias, seed + 2) : undefined;
    const preluActivationWeights = c.activation === 'prelu' ? randomTensor([30], seed + 3, 0.1) : undefined;
    return tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: c.activation, preluActivationWeights });
  });
}

function fusedGrads(seed: number): tf.Tensor[] {
  const a = randomTensor([6, 5], seed);
  const b = randomTensor([5, 7], seed + 1);
  const bias = randomTensor([7], seed + 2);
  return tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
    tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias: z, activation: 'relu' }).square().sum(),
  )([a, b, bias]);
}

describe.skipIf(optedOut)('native BatchMatMul / _FusedMatMul kernels', () => {
  let expected: tf.Tensor[];
  let expectedGrads: tf.Tensor[];
  const originalBatchMatMul = tf.getKernel('BatchMatMul', 'cpu')?.kernelFunc;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
    // Reference results from tfjs's own kernels, computed before the native ones are installed.
    expected = CASES.map((c, i) => run(c, 10 * i));
    expectedGrads = fusedGrads(500);
    const { info } = installNativeKernels(tf);
    expect(['openblas', 'portable']).toContain(info);
  });

  it('replaces the cpu kernels and is idempotent', () => {
    const installed = tf.getKernel('BatchMatMul', 'cpu')?.kernelFunc;
    expect(installed).not.toBe(originalBatchMatMul);
    installNativeKernels(tf);
    expect(tf.getKernel('BatchMatMul', 'cpu')?.kernelFunc).toBe(installed);
  });

  // Every GEMM the build has: OpenBLAS (when linked) and the portable GEMM with each micro-kernel the CPU runs.
  for (const config of gemmConfigs()) {
    describe(`with the ${config.label} GEMM`, () => {
      beforeAll(() => useGemmConfig(config));

      CASES.forEach((c, i) => {
        const label = `${c.a} x ${c.b}${c.transposeA ? ' tA' : ''}${c.transposeB ? ' tB' : ''}${c.bias ? ` bias ${c.bias}` : ''}${c.activation ? ` ${c.activation}` : ''}`;
        it(`matches tfjs: ${label}`, () => {
          expectClose(run(c, 10 * i), expected[i], 1e-5, label);
        });
      });

      it('gives bit-identical results on repeated calls (split across threads, --seed reproducibility)', () => {
        const [first, second] = tf.tidy(() => {
          const a = randomTensor([300, 257], 71);
          const b = randomTensor([257, 130], 72);
          return [tf.matMul(a, b).dataSync(), tf.matMul(a, b).dataSync()];
        });
        expect(Array.from(second)).toEqual(Array.from(first));
      });

      it('fused matMul gradients match tfjs', () => {
        const grads = fusedGrads(500);
        grads.forEach((g, i) => expectClose(g, expectedGrads[i], 1e-5, `grad ${i}`));
      });
    });
  }

  it('reports the GEMM and micro-kernel in use', () => {
    useGemmConfig(gemmConfigs()[0]);
    const info = nativeDetails();
    expect(info.kernels.length).toBeGreaterThan(0);
    expect(info.kernels).toContain('generic');
    expect(info.kernels).toContain(info.kernel);
    expect(useGemm('openblas')).toBe(info.openblas);
  });

  it('leaves int32 matMul to the original kernel', () => {
    const r = tf.matMul(tf.tensor2d([[1, 2]], [1, 2], 'int32'), tf.tensor2d([[3], [4]], [2, 1], 'int32'));
    expect(r.dtype).toBe('int32');
    expect(Array.from(r.dataSync())).toEqual([11]);
  });

  it('still reports tfjs shape errors', () => {
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 5]))).toThrow(/inner shapes/);
  });
});
