// Single-product GEMM timings, portable against OpenBLAS, on shapes the workloads run:
//   node scripts/bench-gemm.mjs            (RNNKIT_NATIVE_THREADS=1 for one thread)
// Each shape runs 15 rounds alternating the two GEMMs (a batch of calls each) and keeps each side's best batch, so
// load from other jobs shows up less in the ratio. Needs an addon built with OpenBLAS for the comparison; without it
// only the portable GEMM is timed.
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('../build/Release/rnnkit_native.node');
const info = addon.info();
console.log(`threads ${info.threads}, micro-kernel ${info.kernel}, OpenBLAS ${info.openblas ? 'linked' : 'not linked'}`);

// [M, N, K, transposeA, transposeB, what]
const SHAPES = [
  [32, 512, 128, false, false, 'LSTM-128 timestep, 32-row slice'],
  [3584, 28, 512, false, true, 'mnist dx (transposed B, 28 columns)'],
  [3840, 192, 5, false, false, 'stock-gru input projection (5 features)'],
  [2560, 512, 32, false, false, 'textgen input projection'],
  [128, 512, 3584, true, false, 'mnist recurrent-kernel gradient (transposed A)'],
  [384, 8000, 256, false, false, 'seq2seq output layer'],
  [1024, 1024, 1024, false, false, '1024^3'],
];

function random(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() - 0.5;
  return x;
}

const gemms = info.openblas ? ['portable', 'openblas'] : ['portable'];
for (const [m, n, k, tA, tB, what] of SHAPES) {
  const a = random(m * k);
  const b = random(k * n);
  const calls = Math.max(3, Math.min(2000, Math.floor(1e8 / (m * n * k))));
  const best = {};
  for (const g of gemms) {
    addon.setGemm(g);
    for (let i = 0; i < 3; i++) addon.matmul(a, b, 1, 1, m, n, k, tA, tB, null, 0, 0);
    best[g] = Infinity;
  }
  for (let round = 0; round < 15; round++) {
    for (const g of round % 2 === 0 ? gemms : [...gemms].reverse()) {
      addon.setGemm(g);
      const start = performance.now();
      for (let i = 0; i < calls; i++) addon.matmul(a, b, 1, 1, m, n, k, tA, tB, null, 0, 0);
      best[g] = Math.min(best[g], (performance.now() - start) / calls);
    }
  }
  const figures = gemms.map((g) => `${g} ${(best[g] * 1000).toFixed(1)} us (${((2 * m * n * k) / best[g] / 1e6).toFixed(1)} GFLOP/s)`);
  const ratio = info.openblas ? `  portable/openblas ${(best.portable / best.openblas).toFixed(2)}` : '';
  console.log(`${`${m}x${k} by ${k}x${n}${tA ? ' tA' : ''}${tB ? ' tB' : ''}`.padEnd(28)} ${what.padEnd(48)} ${figures.join('  ')}${ratio}`);
}
