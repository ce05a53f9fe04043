import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedRecurrentSequence, recurrentStep, useInputFold, type CellType } from '../src/index.js';
import { expectAddonLoaded, expectClose, gemmConfigs, optedOut, randomMask, randomTensor, referenceSequence, useGemmConfig, type ReferenceArgs } from './helpers.js';

const GATES: Record<CellType, number> = { lstm: 4, gru: 3, simple: 1 };

interface Case {
  B: number;
  T: number;
  D: number;
  U: number;
  mask: boolean;
  goBackwards: boolean;
  initialState: boolean;
  bias: boolean;
  /** Also run with every other GEMM configuration (the shapes that reach the blocked paths). */
  everyGemm?: boolean;
}

const CASES: Case[] = [
  { B: 3, T: 5, D: 4, U: 6, mask: false, goBackwards: false, initialState: true, bias: true },
  { B: 1, T: 1, D: 3, U: 5, mask: false, goBackwards: false, initialState: true, bias: true },
  { B: 1, T: 6, D: 2, U: 4, mask: true, goBackwards: true, initialState: false, bias: true },
  { B: 4, T: 7, D: 2, U: 3, mask: true, goBackwards: false, initialState: true, bias: true },
  { B: 4, T: 7, D: 5, U: 3, mask: true, goBackwards: true, initialState: true, bias: false },
  { B: 2, T: 1, D: 3, U: 2, mask: true, goBackwards: true, initialState: true, bias: true },
  { B: 5, T: 9, D: 8, U: 17, mask: false, goBackwards: true, initialState: false, bias: true },
  // Large enough batches for the kernels to split rows across threads (uneven slices).
  { B: 19, T: 4, D: 6, U: 9, mask: true, goBackwards: true, initialState: true, bias: true, everyGemm: true },
  { B: 33, T: 3, D: 5, U: 20, mask: false, goBackwards: false, initialState: true, bias: true, everyGemm: true },
  // Recurrent weights packed once per sequence: several panels and (backward, G*U > 256) two depth
  // blocks, slices of 10 rows (ragged register tiles).
  { B: 20, T: 3, D: 9, U: 70, mask: true, goBackwards: false, initialState: true, bias: true, everyGemm: true },
  { B: 9, T: 2, D: 3, U: 33, mask: false, goBackwards: true, initialState: false, bias: true, everyGemm: true },
  // Batches of 8 or more rows fold the input projection into each step ([x_t h] * [W; R]):
  // without a bias, and with D + U = 270 so the stacked operand's second depth block starts inside R.
  { B: 12, T: 5, D: 7, U: 11, mask: true, goBackwards: false, initialState: false, bias: false, everyGemm: true },
  { B: 8, T: 3, D: 200, U: 70, mask: true, goBackwards: true, initialState: true, bias: true, everyGemm: true },
];

function makeArgs(cell: CellType, c: Case, seed: number): ReferenceArgs {
  const G = GATES[cell];
  return {
    cell,
    x: randomTensor([c.B, c.T, c.D], seed + 1),
    h0: c.initialState ? randomTensor([c.B, c.U], seed + 2, 0.5) : null,
    c0: c.initialState && cell === 'lstm' ? randomTensor([c.B, c.U], seed + 3, 0.5) : null,
    kernel: randomTensor([c.D, G * c.U], seed + 4, 0.6),
    recurrentKernel: randomTensor([c.U, G * c.U], seed + 5, 0.6),
    bias: c.bias ? randomTensor([G * c.U], seed + 6, 0.3) : null,
    mask: c.mask ? randomMask(c.B, c.T, seed + 7) : null,
    goBackwards: c.goBackwards,
  };
}

/** Differentiable inputs present in a case, in a fixed order. */
function differentiable(a: ReferenceArgs): tf.Tensor[] {
  return [a.x, a.h0, a.c0, a.kernel, a.recurrentKernel, a.bias].filter((t): t is tf.Tensor => t !== null);
}

const NAMES = ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'];

describe.skipIf(optedOut)('fusedRecurrentSequence', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
  });

  // The default GEMM runs every case; OpenBLAS and each portable micro-kernel the CPU has run the larger ones.
  gemmConfigs().forEach((config, configIndex) => {
    describe(`with the ${config.label} GEMM`, () => {
      beforeAll(() => useGemmConfig(config));

      for (const cell of ['lstm', 'gru', 'simple'] as CellType[]) {
        CASES.forEach((c, index) => {
          if (configIndex > 0 && !c.everyGemm) return;
          const label = `${cell} B=${c.B} T=${c.T} D=${c.D} U=${c.U}${c.mask ? ' masked' : ''}${c.goBackwards ? ' backwards' : ''}${c.initialState ? '' : ' zero-state'}${c.bias ? '' : ' no-bias'}`;
          it(`matches the tf-ops reference forward and gradients: ${label} (${config.label})`, () => {
            const args = makeArgs(cell, c, 100 * index + cell.length);
            const inputs = differentiable(args);
            const inputNames = NAMES.filter((n) => (args as unknown as Record<string, unknown>)[n] != null);
            // Upstream weights so that outputs, h and c all carry gradient.
            const wOut = randomTensor([c.B, c.T, c.U], 900 + index);
            const wH = randomTensor([c.B, c.U], 901 + index);
            const wC = randomTensor([c.B, c.U], 902 + index);
            const rebuild = (ts: tf.Tensor[]): ReferenceArgs => {
              const byName: Record<string, tf.Tensor> = {};
              inputNames.forEach((n, i) => (byName[n] = ts[i]));
              return { ...args, x: byName.x, h0: byName.h0 ?? null, c0: byName.c0 ?? null, kernel: byName.kernel, recurrentKernel: byName.recurrentKernel, bias: byName.bias ?? null };
            };
            const loss = (run: (a: ReferenceArgs) => { outputs: tf.Tensor; h: tf.Tensor; c: tf.Tensor | null }) =>
              (...ts: tf.Tensor[]) => {
                const r = run(rebuild(ts));
                let l = r.outputs.mul(wOut).sum().add(r.h.mul(wH).sum());
                if (r.c) l = l.add(r.c.mul(wC).sum());
                return l as tf.Scalar;
              };

            const fused = fusedRecurrentSequence(args);
            const ref = referenceSequence(args);
            expectClose(fused.outputs, ref.outputs, 1e-4, 'outputs');
            expectClose(fused.h, ref.h, 1e-4, 'h');
            if (cell === 'lstm') expectClose(fused.c as tf.Tensor, ref.c as tf.Tensor, 1e-4, 'c');
            else expect(fused.c).toBeNull();

            const gFused = tf.grads(loss(fusedRecurrentSequence))(inputs);
            const gRef = tf.grads(loss(referenceSequence))(inputs);
            inputNames.forEach((name, i) => expectClose(gFused[i], gRef[i], 1e-4, `d${name}`));
          });
        });
      }
    });
  });

  it('gives masked steps a zero gradient for x and passes state gradients through', () => {
    const args = makeArgs('lstm', { B: 2, T: 4, D: 3, U: 4, mask: false, goBackwards: false, initialState: true, bias: true }, 7);
    args.mask = tf.tensor2d([[1, 0, 0, 1], [0, 1, 1, 1]]);
    const dx = tf.grad((x: tf.Tensor) => fusedRecurrentSequence({ ...args, x }).h.sum())(args.x);
    const v = dx.arraySync() as number[][][];
    expect(v[0][1].every((d) => d === 0) && v[0][2].every((d) => d === 0) && v[1][0].every((d) => d === 0)).toBe(true);
    expect(v[0][3].some((d) => d !== 0)).toBe(true);
  });

  for (const cell of ['lstm', 'gru', 'simple'] as CellType[]) {
    it(`uses the tfjs-layers weight layout (${cell} vs tf.layers with sigmoid recurrent activation)`, () => {
      const B = 3, T = 6, D = 4, U = 5;
      const args = makeArgs(cell, { B, T, D, U, mask: false, goBackwards: false, initialState: false, bias: true }, 31);
      const config = { units: U, returnSequences: true, recurrentActivation: 'sigmoid' as const, inputShape: [T, D] };
      const layer =
        cell === 'lstm' ? tf.layers.lstm(config) : cell === 'gru' ? tf.layers.gru(config) : tf.layers.simpleRNN(config);
      (layer.apply(args.x) as tf.Tensor).dispose(); // builds the layer with its own initial weights
      layer.setWeights([args.kernel, args.recurrentKernel, args.bias as tf.Tensor]);
      const expected = layer.apply(args.x) as tf.Tensor;
      expectClose(fusedRecurrentSequence(args).outputs, expected, 1e-4, `${cell} outputs`);
      layer.dispose();
    });
  }

  it('folds the input projection into each step: the same outputs as projecting it up front', () => {
    for (const cell of ['lstm', 'gru', 'simple'] as CellType[]) {
      for (const c of [
        { B: 8, T: 6, D: 28, U: 32, mask: true, goBackwards: false, initialState: true, bias: true },
        { B: 16, T: 4, D: 5, U: 24, mask: false, goBackwards: true, initialState: false, bias: false },
      ]) {
        const args = makeArgs(cell, c, 77);
        const folded = fusedRecurrentSequence(args);
        useInputFold(false);
        let upFront: ReturnType<typeof fusedRecurrentSequence>;
        try {
          upFront = fusedRecurrentSequence(args);
        } finally {
          useInputFold(true);
        }
        expectClose(folded.outputs, upFront.outputs, 1e-6, `${cell} B=${c.B} outputs`);
        expectClose(folded.h, upFront.h, 1e-6, `${cell} B=${c.B} h`);
        // The two paths sum in a different order, so some output differs in its last bits: the switch is live.
        const a = folded.outputs.dataSync(), b = upFront.outputs.dataSync();
        expect(a.some((v, i) => v !== b[i]), `${cell} B=${c.B}: the paths differ somewhere`).toBe(true);
        tf.dispose([folded.outputs, folded.h, upFront.outputs, upFront.h]);
        if (folded.c) tf.dispose([folded.c, upFront.c as tf.Tensor]);
      }
    }
  });

  it('recurrentStep equals one step of the sequence op', () => {
    for (const cell of ['lstm', 'gru', 'simple'] as CellType[]) {
      const args = makeArgs(cell, { B: 3, T: 1, D: 4, U: 5, mask: false, goBackwards: false, initialState: true, bias: true }, 55);
      const seq = fusedRecurrentSequence(args);
      const step = recurrentStep({ ...args, x: args.x.reshape([3, 4]), h: args.h0 as tf.Tensor, c: args.c0 });
      expectClose(step.h, seq.h, 1e-6, `${cell} step h`);
      if (cell === 'lstm') expectClose(step.c as tf.Tensor, seq.c as tf.Tensor, 1e-6, 'step c');
    }
  });

  it('runs backpropagation through time as a kernel of its own, which tf.profile lists, without leaking tensors', async () => {
    for (const cell of ['lstm', 'gru'] as CellType[]) {
      const args = makeArgs(cell, { B: 2, T: 3, D: 4, U: 5, mask: true, goBackwards: false, initialState: true, bias: true }, 13);
      const grad = () => tf.grads((x: tf.Tensor, kernel: tf.Tensor) => fusedRecurrentSequence({ ...args, x, kernel }).outputs.sum())([args.x, args.kernel]);
      tf.dispose(grad()); // first call registers the kernels
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => tf.dispose(grad()));
      expect(tf.memory().numTensors).toBe(before);
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n === 'RnnkitRecurrentSequence')).toHaveLength(1);
      expect(names.filter((n) => n === 'RnnkitRecurrentSequenceGrad')).toHaveLength(1);
    }
  });

  it('rejects mismatched shapes with a message naming the argument', () => {
    const args = makeArgs('gru', { B: 2, T: 3, D: 4, U: 5, mask: false, goBackwards: false, initialState: true, bias: true }, 9);
    expect(() => fusedRecurrentSequence({ ...args, kernel: tf.zeros([4, 10]) })).toThrow(/kernel has shape \[4,10\], expected \[4,15\]/);
    expect(() => fusedRecurrentSequence({ ...args, mask: tf.ones([2, 4]) })).toThrow(/mask has shape/);
  });
});
