// Fused whole-sequence LSTM / GRU / SimpleRNN as one tfjs op. The forward pass runs natively over
// all timesteps (one GEMM for the input projection of every step, one recurrent GEMM per step,
// fused gate math) and saves the gate activations; the gradient runs backpropagation through
// time natively in one call. Weight layout and gate semantics are those of tfjs-layers, so a
// model trained here loads and predicts identically on the plain tf-ops path.
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { registerCpuOp, type GradientMap, type KernelArgs } from './cpu-op.js';
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

// The whole-sequence op is a registered cpu kernel with a registered gradient, like tfjs's own ops,
// rather than a tf.customGrad function: customGrad allows a single output, and packing outputs, h
// and c into one tensor made every consumer slice it and every gradient pad it back. Outputs are
// [handle, outputs, h, c?]; `handle` is the only output kept for the gradient. It is a one-element
// tensor whose data id keys the saved gate activations in `savedActivations`: were the activations
// the output itself, the tape would allocate a zero gradient of their full size (often megabytes)
// for it on every backward pass. Keyed weakly, an entry lives exactly as long as its handle tensor.
const savedActivations = new WeakMap<object, Float32Array>();
const KERNEL = 'RnnkitRecurrentSequence';

interface SequenceAttrs {
  cell: CellType;
  goBackwards: boolean;
  save: boolean;
  /** Index of each optional input in the (array-shaped) input map, or -1 when absent. */
  h0Slot: number;
  c0Slot: number;
  biasSlot: number;
  maskSlot: number;
}


function shapeOf(values: readonly tf.TensorInfo[], attrs: SequenceAttrs): Dims {
  const [B, T, D] = values[0].shape;
  const U = values[2].shape[0];
  return { B, T, D, U, G: GATES[attrs.cell] };
}

/** Positional arguments shared by the native forward and backward calls. */
function nativeArgs(inputs: readonly tf.TensorInfo[], attrs: SequenceAttrs, backend: ReturnType<typeof cpuBackend>) {
  const { B, T, D, U } = shapeOf(inputs, attrs);
  const at = (i: number): Float32Array | null => (i < 0 ? null : float32Of(inputs[i], backend));
  return [
    CELL_ID[attrs.cell], float32Of(inputs[0], backend), at(attrs.h0Slot), at(attrs.c0Slot),
    float32Of(inputs[1], backend), float32Of(inputs[2], backend), at(attrs.biasSlot), at(attrs.maskSlot),
    B, T, D, U, attrs.goBackwards,
  ] as const;
}

function sequenceKernel({ inputs, attrs, backend: rawBackend }: KernelArgs): tf.TensorInfo[] {
  const a = attrs as unknown as SequenceAttrs;
  const backend = cpuBackend(rawBackend);
  const list = Object.keys(inputs).map((k) => inputs[k] as tf.TensorInfo);
  const { B, T, U } = shapeOf(list, a);
  const r = addon().rnnForward(...nativeArgs(list, a, backend), a.save);
  const handle = backend.makeTensorInfo([1], 'float32', new Float32Array(1));
  if (r.saved) savedActivations.set(handle.dataId, r.saved);
  const outs = [
    handle,
    backend.makeTensorInfo([B, T, U], 'float32', r.outputs),
    backend.makeTensorInfo([B, U], 'float32', r.h),
  ];
  if (r.c) outs.push(backend.makeTensorInfo([B, U], 'float32', r.c));
  return outs;
}

// Backpropagation through time is a kernel of its own (never differentiated), called from the gradient function,
// so that the engine sees it as it sees the forward pass: tf.profile lists and times it under its name, instead of
// its time vanishing between kernels. Inputs: the forward inputs in order, the handle, dOutputs, dH and (LSTM) dC.
// Outputs: dx, dKernel, dRecurrentKernel, dBias, dh0 and (LSTM) dc0; the gradient function returns the ones whose
// input exists, and the backward pass's scope disposes the rest.
const GRAD_KERNEL = 'RnnkitRecurrentSequenceGrad';

interface GradAttrs extends SequenceAttrs {
  /** How many of the kernel's inputs are the forward op's inputs (the rest: handle, dOutputs, dH, dC). */
  forwardInputs: number;
}

function sequenceGradKernel({ inputs, attrs, backend: rawBackend }: KernelArgs): tf.TensorInfo[] {
  const a = attrs as unknown as GradAttrs;
  const backend = cpuBackend(rawBackend);
  const all = Object.keys(inputs).map((k) => inputs[k] as tf.TensorInfo);
  const list = all.slice(0, a.forwardInputs);
  const [handle, dOutputs, dH, dC] = all.slice(a.forwardInputs);
  const activations = savedActivations.get(handle.dataId);
  if (!activations) throw new Error('fusedRecurrentSequence: gradient requested but the forward pass did not record');
  const { B, T, D, U, G } = shapeOf(list, a);
  const g = addon().rnnBackward(
    ...nativeArgs(list, a, backend),
    activations,
    float32Of(dOutputs, backend),
    float32Of(dH, backend),
    dC ? float32Of(dC, backend) : null,
  );
  const outs = [
    backend.makeTensorInfo([B, T, D], 'float32', g.dx),
    backend.makeTensorInfo([D, G * U], 'float32', g.dKernel),
    backend.makeTensorInfo([U, G * U], 'float32', g.dRecurrentKernel),
    backend.makeTensorInfo([G * U], 'float32', g.dBias),
    backend.makeTensorInfo([B, U], 'float32', g.dh0),
  ];
  if (g.dc0) outs.push(backend.makeTensorInfo([B, U], 'float32', g.dc0));
  return outs;
}

function sequenceGradient(dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): GradientMap {
  const a = attrs as unknown as SequenceAttrs;
  const list = saved.slice(0, -1); // saveAllInputs: every input in order, then the saved activations
  const [, dOutputs, dH, dC] = dys as tf.Tensor[];
  const gradAttrs: GradAttrs = { ...a, forwardInputs: list.length };
  const inputs = [...list, saved[saved.length - 1], dOutputs, dH, ...(dC ? [dC] : [])];
  const [dx, dKernel, dRecurrentKernel, dBias, dh0, dc0] = tf.engine().runKernel(
    GRAD_KERNEL,
    inputs as unknown as tf.NamedTensorMap,
    gradAttrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  const grads: GradientMap = { 0: () => dx, 1: () => dKernel, 2: () => dRecurrentKernel };
  if (a.h0Slot >= 0) grads[a.h0Slot] = () => dh0;
  if (a.c0Slot >= 0) grads[a.c0Slot] = () => dc0;
  if (a.biasSlot >= 0) grads[a.biasSlot] = () => dBias;
  if (a.maskSlot >= 0) grads[a.maskSlot] = () => tf.zerosLike(list[a.maskSlot]); // the mask is not differentiable
  return grads;
}

/**
 * Runs a whole recurrent layer over the sequence as one differentiable op (gradients for x, h0,
 * c0, kernel, recurrentKernel and bias). Requires the cpu backend and the native addon.
 */
export function fusedRecurrentSequence(args: FusedRecurrentArgs): FusedRecurrentResult {
  addon();
  checkArgs(args);
  if (tf.getBackend() !== 'cpu') throw new Error(`fusedRecurrentSequence needs the cpu backend (current: ${tf.getBackend()})`);
  registerCpuOp(KERNEL, sequenceKernel, { saveAllInputs: true, outputsToSave: [true], gradFunc: sequenceGradient });
  registerCpuOp(GRAD_KERNEL, sequenceGradKernel, null);
  const lstm = args.cell === 'lstm';
  // Optional inputs are passed only when present; attrs record where each one sits.
  const inputs: tf.Tensor[] = [args.x, args.kernel, args.recurrentKernel];
  const slot = (t: tf.Tensor | null): number => (t === null ? -1 : inputs.push(t) - 1);
  const attrs: SequenceAttrs = {
    cell: args.cell,
    goBackwards: args.goBackwards,
    save: recordingGradients(),
    h0Slot: slot(args.h0),
    c0Slot: slot(lstm ? args.c0 : null),
    biasSlot: slot(args.bias),
    maskSlot: slot(args.mask),
  };
  const [handle, outputs, h, c] = tf.engine().runKernel(
    KERNEL,
    inputs as unknown as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap,
  ) as tf.Tensor[];
  handle.dispose(); // the tape keeps its own reference when recording
  return { outputs: outputs as tf.Tensor3D, h: h as tf.Tensor2D, c: lstm ? (c as tf.Tensor2D) : null };
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
    const r = native.rnnForward(
      CELL_ID[args.cell], read(args.x) as Float32Array, read(args.h), lstm ? read(args.c) : null,
      read(args.kernel) as Float32Array, read(args.recurrentKernel) as Float32Array, read(args.bias), null,
      B, 1, D, U, false, false,
    );
    return { h: tf.tensor2d(r.h, [B, U]), c: r.c ? tf.tensor2d(r.c, [B, U]) : null };
  } finally {
    x3.dispose();
  }
}
