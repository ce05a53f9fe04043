// Fused whole-sequence LSTM / GRU / SimpleRNN as one tfjs op. The forward pass runs natively over
// all timesteps (one GEMM for the input projection of every step, one recurrent GEMM per step,
// fused gate math) and saves the gate activations; the gradient runs backpropagation through
// time natively in one call. Weight layout and gate semantics are those of tfjs-layers, so a
// model trained here loads and predicts identically on the plain tf-ops path.
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { cpuBackend, float32Of } from './tensor-data.js';

export type CellType = 'lstm' | 'gru' | 'simple';

const CELL_ID: Record<CellType, number> = { lstm: 0, gru: 1, simple: 2 };
const GATES: Record<CellType, number> = { lstm: 4, gru: 3, simple: 1 };

export interface FusedRecurrentArgs {
  cell: CellType;
  /** [B, T, D] */
  x: tf.Tensor;
  /** [B, U]; null means zeros. */
  h0: tf.Tensor | null;
  /** [B, U] for LSTM (null means zeros); ignored for GRU and simple. */
  c0: tf.Tensor | null;
  /** [D, G*U] */
  kernel: tf.Tensor;
  /** [U, G*U] */
  recurrentKernel: tf.Tensor;
  /** [G*U]; null means no bias. */
  bias: tf.Tensor | null;
  /** [B, T] of 0/1; where 0, h and c are carried unchanged and the output repeats the carried h. */
  mask: tf.Tensor | null;
  /** Process t = T-1 .. 0. Outputs stay aligned with input time positions. */
  goBackwards: boolean;
}

export interface FusedRecurrentResult {
  /** [B, T, U], outputs[b, t] = state after consuming input t. */
  outputs: tf.Tensor3D;
  /** [B, U] final state. */
  h: tf.Tensor2D;
  /** [B, U] final cell state (LSTM) or null. */
  c: tf.Tensor2D | null;
}

interface Dims {
  B: number;
  T: number;
  D: number;
  U: number;
  G: number;
}

function expectShape(name: string, t: tf.Tensor | null, shape: number[]): void {
  if (t === null) return;
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`fusedRecurrentSequence: ${name} has shape [${t.shape}], expected [${shape}]`);
  }
}

function checkArgs(a: FusedRecurrentArgs): Dims {
  if (!(a.cell in CELL_ID)) throw new Error(`fusedRecurrentSequence: unknown cell '${a.cell}' (lstm, gru or simple)`);
  if (a.x.rank !== 3) throw new Error(`fusedRecurrentSequence: x must be [batch, time, features], got [${a.x.shape}]`);
  const [B, T, D] = a.x.shape;
  if (a.recurrentKernel.rank !== 2) {
    throw new Error(`fusedRecurrentSequence: recurrentKernel must be 2-D, got [${a.recurrentKernel.shape}]`);
  }
  const U = a.recurrentKernel.shape[0];
  const G = GATES[a.cell];
  expectShape('kernel', a.kernel, [D, G * U]);
  expectShape('recurrentKernel', a.recurrentKernel, [U, G * U]);
  expectShape('bias', a.bias, [G * U]);
  expectShape('h0', a.h0, [B, U]);
  expectShape('c0', a.cell === 'lstm' ? a.c0 : null, [B, U]);
  expectShape('mask', a.mask, [B, T]);
  if (B === 0 || T === 0 || U === 0) throw new Error(`fusedRecurrentSequence: empty input [${a.x.shape}] or units ${U}`);
  return { B, T, D, U, G };
}

/** Whether an enclosing tf.grad / optimizer.minimize is recording: only then save activations. */
function recordingGradients(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * Runs a whole recurrent layer over the sequence as one differentiable op (gradients for x, h0,
 * c0, kernel, recurrentKernel and bias). Requires the cpu backend and the native addon.
 */
export function fusedRecurrentSequence(args: FusedRecurrentArgs): FusedRecurrentResult {
  const native = addon();
  const dims = checkArgs(args);
  const { B, T, D, U } = dims;
  const { cell, goBackwards } = args;
  const lstm = cell === 'lstm';
  const save = recordingGradients();

  // customGrad takes tensors only; optional ones are passed when present and their position remembered.
  const inputs: tf.Tensor[] = [args.x, args.kernel, args.recurrentKernel];
  const slot = (t: tf.Tensor | null): number => (t === null ? -1 : inputs.push(t) - 1);
  const h0Slot = slot(args.h0);
  const c0Slot = slot(lstm ? args.c0 : null);
  const biasSlot = slot(args.bias);
  const maskSlot = slot(args.mask);
  const outSize = B * T * U;
  const stateSize = B * U;

  const op = tf.customGrad((...opArgs: unknown[]) => {
    const tensors = opArgs.slice(0, inputs.length) as tf.Tensor[];
    const backend = cpuBackend();
    const values = tensors.map((t) => float32Of(t, backend));
    const at = (i: number): Float32Array | null => (i < 0 ? null : values[i]);
    const shared = [
      CELL_ID[cell], values[0], at(h0Slot), at(c0Slot), values[1], values[2], at(biasSlot), at(maskSlot),
      B, T, D, U, goBackwards,
    ] as const;
    const { packed, saved } = native.rnnForward(...shared, save);
    const value = tf.tensor1d(packed, 'float32');

    const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
      if (!saved) throw new Error('fusedRecurrentSequence: gradient requested but the forward pass did not record');
      const dyValues = float32Of(dy);
      const g = native.rnnBackward(
        ...shared,
        saved,
        dyValues.subarray(0, outSize),
        dyValues.subarray(outSize, outSize + stateSize),
        lstm ? dyValues.subarray(outSize + stateSize, outSize + 2 * stateSize) : null,
      );
      const grads: tf.Tensor[] = [
        tf.tensor3d(g.dx, [B, T, D]),
        tf.tensor2d(g.dKernel, args.kernel.shape as [number, number]),
        tf.tensor2d(g.dRecurrentKernel, args.recurrentKernel.shape as [number, number]),
      ];
      if (h0Slot >= 0) grads[h0Slot] = tf.tensor2d(g.dh0, [B, U]);
      if (c0Slot >= 0) grads[c0Slot] = tf.tensor2d(g.dc0 as Float32Array, [B, U]);
      if (biasSlot >= 0) grads[biasSlot] = tf.tensor1d(g.dBias);
      if (maskSlot >= 0) grads[maskSlot] = tf.zerosLike(tensors[maskSlot]); // the mask is not differentiable
      return grads;
    };
    return { value, gradFunc };
  }) as unknown as (...ts: tf.Tensor[]) => tf.Tensor1D;

  const packed = op(...inputs);
  const part = <R extends tf.Rank>(begin: number, size: number, shape: number[]): tf.Tensor<R> =>
    tf.tidy(() => packed.slice(begin, size).reshape(shape) as tf.Tensor<R>);
  const outputs = part<tf.Rank.R3>(0, outSize, [B, T, U]);
  const h = part<tf.Rank.R2>(outSize, stateSize, [B, U]);
  const c = lstm ? part<tf.Rank.R2>(outSize + stateSize, stateSize, [B, U]) : null;
  packed.dispose();
  return { outputs, h, c };
}

export interface RecurrentStepArgs {
  cell: CellType;
  /** [B, D] input of this step. */
  x: tf.Tensor;
  /** [B, U] */
  h: tf.Tensor;
  /** [B, U] (LSTM) or null. */
  c: tf.Tensor | null;
  kernel: tf.Tensor;
  recurrentKernel: tf.Tensor;
  bias: tf.Tensor | null;
}

/**
 * One inference step (no gradient) for fast stateful decoding: returns the new h (and c).
 * The caller owns and disposes the returned tensors.
 */
export function recurrentStep(args: RecurrentStepArgs): { h: tf.Tensor2D; c: tf.Tensor2D | null } {
  const native = addon();
  if (args.x.rank !== 2) throw new Error(`recurrentStep: x must be [batch, features], got [${args.x.shape}]`);
  const [B, D] = args.x.shape;
  const lstm = args.cell === 'lstm';
  const x3 = args.x.reshape([B, 1, D]);
  try {
    const { U } = checkArgs({ ...args, x: x3, h0: args.h, c0: args.c, mask: null, goBackwards: false });
    const backend = cpuBackend();
    const read = (t: tf.Tensor | null): Float32Array | null => (t === null ? null : float32Of(t, backend));
    const { packed } = native.rnnForward(
      CELL_ID[args.cell], read(args.x) as Float32Array, read(args.h), lstm ? read(args.c) : null,
      read(args.kernel) as Float32Array, read(args.recurrentKernel) as Float32Array, read(args.bias), null,
      B, 1, D, U, false, false,
    );
    // For a single step, outputs == h, so the new state is the first B*U values.
    const h = tf.tensor2d(packed.subarray(0, B * U), [B, U]);
    const c = lstm ? tf.tensor2d(packed.subarray(2 * B * U, 3 * B * U), [B, U]) : null;
    return { h, c };
  } finally {
    x3.dispose();
  }
}
