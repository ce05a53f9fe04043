// `node scripts/bench-average.mjs [BUCKETS] [REPEATS]` (after the build): the per-step cost of the weight average
// (`--ema-decay`) on the SST-2 sub-word model (BiGRU 64, embeddings 64, 13,575 words, BUCKETS n-gram buckets,
// default 65536), timed as the trainer runs it, once per optimizer step: core's WeightAverage.update (one pass per
// variable into one new array on the cpu backend) against the three tfjs ops it replaced (mul, mul, add). The two
// are interleaved and the median of REPEATS (default 40) rounds reported, since the machine is shared; the final
// averages are compared bit for bit.
import * as tf from '@tensorflow/tfjs';
import { initBackend, WeightAverage } from '@rnnkit/core';
import { buildClassifier } from '../dist/index.js';

const buckets = Number(process.argv[2] ?? 65536);
const repeats = Number(process.argv[3] ?? 40);
if (!(Number.isInteger(buckets) && buckets >= 0) || !(Number.isInteger(repeats) && repeats > 0)) {
  console.error('usage: node scripts/bench-average.mjs [BUCKETS >= 0] [REPEATS > 0]');
  process.exit(2);
}
const backend = await initBackend({ quiet: true });
const model = buildClassifier({
  vocabSize: 13575, embedDim: 64, cell: 'gru', units: [64], bidirectional: true, pooling: 'attention', attentionUnits: 64,
  dropout: 0.5, numClasses: 2, maxLen: 64, ...(buckets > 0 ? { subwords: { buckets, minN: 3, maxN: 5, maxPerWord: 32 } } : {}),
});
const vars = model.trainableWeights.map((w) => w.read());
const params = vars.reduce((n, v) => n + v.size, 0);
const decay = 0.999;

const fused = new WeightAverage(vars, decay);
const opsAverage = vars.map((v) => tf.variable(v, false));
let opsUpdates = 0;
function opsUpdate() {
  const d = Math.min(decay, (1 + opsUpdates) / (10 + opsUpdates));
  tf.tidy(() => opsAverage.forEach((a, i) => a.assign(tf.add(tf.mul(a, d), tf.mul(vars[i], 1 - d)))));
  opsUpdates += 1;
}
const nudge = () => tf.tidy(() => vars.forEach((v) => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 1e-3)))));

const times = { fused: [], ops: [] };
for (let r = 0; r < repeats; r++) {
  nudge();
  let t = performance.now();
  fused.update();
  times.fused.push(performance.now() - t);
  t = performance.now();
  opsUpdate();
  times.ops.push(performance.now() - t);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
fused.swapIn();
let differing = 0;
vars.forEach((v, i) => {
  const a = v.dataSync();
  const b = opsAverage[i].dataSync();
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) differing += 1;
});
console.log(`backend ${backend.name}${backend.native ? ' + native' : ''}; ${params.toLocaleString('en')} trainable parameters (${buckets} buckets)`);
console.log(`average update per step, median of ${repeats}: WeightAverage.update ${median(times.fused).toFixed(1)} ms, tfjs mul/mul/add ${median(times.ops).toFixed(1)} ms`);
console.log(`averages differing after ${repeats} steps: ${differing} of ${params} values`);
