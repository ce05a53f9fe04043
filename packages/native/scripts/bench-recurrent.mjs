// CPU time of the fused whole-sequence recurrent forward, per sequence, for a few batch sizes of one layer shape.
// Default: the mnist-rows app's default model, an LSTM of 128 units reading 28 rows of 28 pixels, whose forward is
// what a served mnist request costs beyond HTTP and JSON.
//   node scripts/bench-recurrent.mjs [--cell lstm|gru|simple] [--units 128] [--steps 28] [--features 28] [--batches 1,8,32]
//     [--save] [--compare-fold]
//   (RNNKIT_NATIVE_THREADS=1 taskset -c 0 ... for one thread on one core)
// --save times the training forward (activations saved for backpropagation) instead of inference.
// --compare-fold also times the forward with the input projection computed for every step up front instead of folded
// into each step's product (the default from 8 rows and 2 steps, every cell), alternating the two in rounds and
// keeping each side's best round, and prints folded / up front.
// Process CPU time (not wall time) is what is reported, so other jobs on the machine move it less; the GFLOP/s figure
// counts the matrix products only (2 FLOPs per multiply-add).
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    cell: { type: 'string', default: 'lstm' },
    units: { type: 'string', default: '128' },
    steps: { type: 'string', default: '28' },
    features: { type: 'string', default: '28' },
    batches: { type: 'string', default: '1,8,32' },
    save: { type: 'boolean', default: false },
    'compare-fold': { type: 'boolean', default: false },
  },
});
const GATES = { lstm: 4, gru: 3, simple: 1 };
const CELL_ID = { lstm: 0, gru: 1, simple: 2 };
const cell = args.cell;
const [U, T, D] = [args.units, args.steps, args.features].map(Number);
const batches = args.batches.split(',').map(Number);
if (!(cell in GATES) || ![U, T, D, ...batches].every((n) => Number.isInteger(n) && n > 0 && n <= 4096)) {
  console.error('bench-recurrent: --cell is lstm, gru or simple; --units, --steps, --features and --batches are whole numbers in [1, 4096]');
  process.exit(1);
}

const addon = createRequire(import.meta.url)('../build/Release/rnnkit_native.node');
const info = addon.info();
console.log(`threads ${info.threads}, micro-kernel ${info.kernel}, OpenBLAS ${info.openblas ? 'linked' : 'not linked'}; ${cell} ${U} units, ${T} steps of ${D} features; ${args.save ? 'training forward (activations saved)' : 'inference forward'}`);

const random = (n) => Float32Array.from({ length: n }, () => (Math.random() - 0.5) * 0.2);
const G = GATES[cell] * U;
const kernel = random(D * G);
const recurrentKernel = random(U * G);
const bias = random(G);
const flopsPerSequence = 2 * T * (D + U) * G;

const ROUNDS = args['compare-fold'] ? 6 : 1;
const modes = args['compare-fold'] ? ['folded', 'up front'] : ['folded'];
for (const B of batches) {
  const x = random(B * T * D);
  const forward = () => addon.rnnForward(CELL_ID[cell], x, null, null, kernel, recurrentKernel, bias, null, B, T, D, U, false, args.save);
  for (let i = 0; i < 20; i++) forward();
  // About two seconds of work per batch size and mode, whatever the shape.
  const calls = Math.max(20, Math.round(2e10 / (flopsPerSequence * B) / ROUNDS));
  const best = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
      addon.setInputFold(mode === 'folded');
      const start = process.cpuUsage();
      for (let i = 0; i < calls; i++) forward();
      const used = process.cpuUsage(start);
      best[mode] = Math.min(best[mode] ?? Infinity, (used.user + used.system) / calls);
    }
  }
  addon.setInputFold(true);
  const figures = modes.map((mode) => {
    const usPerCall = best[mode];
    return `${args['compare-fold'] ? `${mode}: ` : ''}${usPerCall.toFixed(0).padStart(7)} µs CPU per call, ${(usPerCall / B).toFixed(1).padStart(7)} µs per sequence, ` +
      `${((flopsPerSequence * B) / (usPerCall * 1e3)).toFixed(1)} GFLOP/s`;
  });
  const ratio = args['compare-fold'] ? `; folded / up front ${(best.folded / best['up front']).toFixed(2)}` : '';
  console.log(`batch ${String(B).padStart(4)}: ${figures.join('; ')}${ratio}`);
}
