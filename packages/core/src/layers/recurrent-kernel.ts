import * as tf from '@tensorflow/tfjs';
import { installUnpackGradient } from './unpack-gradient.js';
import { activeFusedKernels, type FusedKernelModule } from './fused-kernels.js';

// The reference loop below unstacks its inputs per timestep: tfjs's own Unpack gradient fails on one timestep.
installUnpackGradient();

/**
 * Whole-sequence recurrent computation shared by every recurrent layer in core.
 *
 * Layers never loop over time themselves: they call `runRecurrent`, which runs the fused native op from
 * `@rnnkit/native` when `initBackend` installed it (cpu backend only), and otherwise the reference loop of tf ops
 * below. Both compute exactly the same function, so a faster kernel can replace the loop without touching apps.
 *
 * Weight layout is tfjs-layers' (so weights copy over from tf.layers.lstm/gru/simpleRNN):
 *   kernel [D, G*U], recurrentKernel [U, G*U], bias [G*U]; gate order LSTM i,f,c,o; GRU z,r,h.
 * The GRU applies the reset gate to h before the candidate's recurrent matmul (tfjs-layers' GRUCell, resetAfter=false).
 * Recurrent activation is sigmoid, activation tanh.
 *
 * Masking: at a masked step (mask 0) the states carry over unchanged and the output repeats the carried h, so padded
 * steps never change the final state. Outputs are aligned with the input time positions, also with `goBackwards`.
 */

/** One cell update from the precomputed input projection `xp` (x·kernel + bias) of a single step. */
type StepFn = (xp: tf.Tensor, h: tf.Tensor, c: tf.Tensor | null) => { h: tf.Tensor; c: tf.Tensor | null };

/**
 * What defines a cell type, in one place: a new cell is one entry here (plus, optionally, a native kernel). Layers,
 * stacks, Seq2Seq and app config schemas take their cell names, gate counts and state counts from this table.
 */
export interface CellDescriptor {
  /** Gate blocks in the kernels: kernel [D, gates·U], recurrentKernel [U, gates·U], bias [gates·U]. */
  gates: number;
  /** Recurrent states: 1 (h), or 2 (h and the LSTM's cell state c). */
  states: 1 | 2;
  /** Initial bias for `units`, or undefined for zeros. */
  initialBias?: (units: number) => tf.Tensor1D;
  /** The reference step (plain tf ops, autodiff gives the gradient); `dropped` applies recurrent dropout to h. */
  makeStep(recurrentKernel: tf.Tensor2D, units: number, dropped: (h: tf.Tensor) => tf.Tensor): StepFn;
  /** @rnnkit/native has a fused kernel for this cell; without one the reference loop runs, also with native loaded. */
  native: boolean;
}

export const CELLS = {
  lstm: {
    gates: 4,
    states: 2,
    // Forget-gate bias 1 (Jozefowicz et al. 2015): the cell remembers by default early in training.
    initialBias: (u: number) => tf.concat([tf.zeros([u]), tf.ones([u]), tf.zeros([2 * u])]) as tf.Tensor1D,
    makeStep: (recurrentKernel, _units, dropped) => (xp, h, c) => {
      const z = tf.add(xp, tf.matMul(dropped(h), recurrentKernel));
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      const cNew = tf.add(tf.mul(tf.sigmoid(zf), c as tf.Tensor), tf.mul(tf.sigmoid(zi), tf.tanh(zc)));
      return { h: tf.mul(tf.sigmoid(zo), tf.tanh(cNew)), c: cNew };
    },
    native: true,
  },
  gru: {
    gates: 3,
    states: 1,
    makeStep: (recurrentKernel, units, dropped) => {
      // Split once per sequence, not per step: [U, 2U] for the z/r gates, [U, U] for the candidate.
      const [rkGates, rkCandidate] = tf.split(recurrentKernel, [2 * units, units], 1);
      return (xp, h) => {
        const [xzr, xh] = tf.split(xp, [2 * units, units], 1);
        const hd = dropped(h);
        const [z, r] = tf.split(tf.sigmoid(tf.add(xzr, tf.matMul(hd, rkGates))), 2, 1);
        const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, hd), rkCandidate)));
        // h' = z*h + (1-z)*candidate, written as candidate + z*(h - candidate) to save an op.
        return { h: tf.add(candidate, tf.mul(z, tf.sub(h, candidate))), c: null };
      };
    },
    native: true,
  },
  simple: {
    gates: 1,
    states: 1,
    makeStep: (recurrentKernel, _units, dropped) => (xp, h) => ({ h: tf.tanh(tf.add(xp, tf.matMul(dropped(h), recurrentKernel))), c: null }),
    native: true,
  },
} as const satisfies Record<string, CellDescriptor>;

export type CellType = keyof typeof CELLS;

/** The cell names, for schemas and help texts. */
export const CELL_TYPES = Object.keys(CELLS) as [CellType, ...CellType[]];

export function isCellType(name: unknown): name is CellType {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CELLS, name);
}

/** Gate blocks per cell (kept for callers of the earlier table). */
export const GATES = Object.fromEntries(CELL_TYPES.map((c) => [c, CELLS[c].gates])) as Record<CellType, number>;

export interface RecurrentSequenceArgs {
  cell: CellType;
  /** [B, T, D] */
  x: tf.Tensor3D;
  /** [B, U] */
  h0: tf.Tensor2D;
  /** [B, U] for LSTM, null otherwise. */
  c0: tf.Tensor2D | null;
  kernel: tf.Tensor2D;
  recurrentKernel: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** [B, T] float 0/1, or null when every step is valid. */
  mask: tf.Tensor2D | null;
  goBackwards: boolean;
  /** [B, U] multiplier applied to h before the recurrent matmuls (recurrent dropout); reference path only. */
  recurrentDropoutMask?: tf.Tensor2D | null;
}

export interface RecurrentSequenceResult {
  /** [B, T, U], aligned with the input time positions. */
  outputs: tf.Tensor3D;
  h: tf.Tensor2D;
  c: tf.Tensor2D | null;
}

export function runRecurrent(args: RecurrentSequenceArgs): RecurrentSequenceResult {
  const fused = activeFusedKernels();
  // The native op takes no recurrent dropout mask, so training with recurrentDropout runs the reference loop; so
  // does a cell native has no kernel for.
  const descriptor: CellDescriptor = CELLS[args.cell];
  if (fused !== null && descriptor.native && args.recurrentDropoutMask == null) return callFused(fused, args);
  return referenceRecurrent(args);
}

function callFused(mod: FusedKernelModule, a: RecurrentSequenceArgs): RecurrentSequenceResult {
  const { cell, x, h0, c0, kernel, recurrentKernel, bias, mask, goBackwards } = a;
  return mod.fusedRecurrentSequence({ cell, x, h0, c0, kernel, recurrentKernel, bias, mask, goBackwards });
}

/** Reference implementation with plain tf ops; autodiff provides the gradients. */
export function referenceRecurrent(a: RecurrentSequenceArgs): RecurrentSequenceResult {
  const [outputs, h, c] = tf.tidy(() => referenceLoop(a));
  return { outputs: outputs as tf.Tensor3D, h: h as tf.Tensor2D, c: (c as tf.Tensor2D | undefined) ?? null };
}

/** Returns [outputs, h] or [outputs, h, c]. */
function referenceLoop(a: RecurrentSequenceArgs): tf.Tensor[] {
  const [batch, steps, inDim] = a.x.shape;
  const units = a.h0.shape[1];
  if (steps === 0) throw new Error('runRecurrent: the sequence has no timesteps');
  // One matmul projects every timestep's input; the loop only does the recurrent matmul.
  const projected = tf.add(tf.matMul(tf.reshape(a.x, [batch * steps, inDim]), a.kernel), a.bias);
  const perStep = tf.unstack(tf.reshape(projected, [batch, steps, -1]), 1);
  const maskSteps = a.mask ? tf.unstack(tf.expandDims(a.mask, 2), 1) : null;
  const dropMask = a.recurrentDropoutMask ?? null;
  const step = (CELLS[a.cell] as CellDescriptor).makeStep(a.recurrentKernel, units, (h) => (dropMask ? tf.mul(h, dropMask) : h));

  let h: tf.Tensor = a.h0;
  let c: tf.Tensor | null = a.c0;
  const outputs: tf.Tensor[] = new Array(steps);
  for (let i = 0; i < steps; i++) {
    const t = a.goBackwards ? steps - 1 - i : i;
    const next = step(perStep[t], h, c);
    if (maskSteps) {
      // Masked step: keep the previous state (blend rather than select so gradients flow through both branches).
      const m = maskSteps[t];
      h = tf.add(h, tf.mul(m, tf.sub(next.h, h)));
      c = c && next.c ? tf.add(c, tf.mul(m, tf.sub(next.c, c))) : null;
    } else {
      h = next.h;
      c = next.c;
    }
    outputs[t] = h;
  }
  return c ? [tf.stack(outputs, 1), h, c] : [tf.stack(outputs, 1), h];
}
