// Floating-point work of one step of each workload, so a measured time can be set against the floor the
// machine's GEMM peak allows. Counts the matrix products only (2 FLOPs per multiply-add): they are nearly all of
// the arithmetic; gates, softmax, embedding lookups and the Adam update are elementwise and left out.
//
// A training step is counted as 3× the forward products: the backward pass multiplies every product's output
// gradient once by the weights (input gradient) and once by the inputs (weight gradient), each as large as the
// forward product. Padding of a masked workload is not useful work, so only each sequence's real steps count.
import type { RecurrentWorkload, Seq2SeqWorkload, Workload } from './workloads.js';

export interface FlopCount {
  forward: number;
  train: number;
}

const GATES = { lstm: 4, gru: 3 } as const;

/** 2·(in + units)·gates·units per sequence step: the input and recurrent products of all gates. */
export function cellStepFlops(cell: 'lstm' | 'gru', inputDim: number, units: number): number {
  return 2 * (inputDim + units) * GATES[cell] * units;
}

function recurrentForward(w: RecurrentWorkload, steps: number): number {
  const directions = w.bidirectional ? 2 : 1;
  let inputDim = w.vocab !== undefined ? (w.embed as number) : (w.features as number);
  let total = 0;
  for (let layer = 0; layer < w.layers; layer++) {
    total += directions * steps * cellStepFlops(w.cell, inputDim, w.units);
    inputDim = directions * w.units;
  }
  const outputs = w.manyToMany ? (w.vocab as number) : (w.classes ?? 1);
  const headRows = w.manyToMany ? steps : w.batch;
  return total + headRows * 2 * inputDim * outputs;
}

function seq2seqForward(w: Seq2SeqWorkload): number {
  const b = w.batch;
  const s = w.srcTimesteps;
  const t = w.tgtTimesteps;
  const directions = w.bidirectional ? 2 : 1;
  const enc = directions * w.encoderUnits;
  const d = w.decoderUnits;
  const encoder = directions * b * s * cellStepFlops(w.encoderCell, w.embed, w.encoderUnits);
  const decoder = b * t * cellStepFlops(w.encoderCell, w.embed, d);
  // Additive attention with `d` units: keys W·enc once per source position, queries W·dec per target step,
  // then v·tanh(q + k) for every (target, source) pair and the weighted sum of encoder outputs.
  const attention = b * s * 2 * enc * d + b * t * 2 * d * d + b * t * s * 2 * d + b * t * s * 2 * enc;
  const attentional = b * t * 2 * (enc + d) * d;
  const output = b * t * 2 * d * w.vocab;
  return encoder + decoder + attention + attentional + output;
}

/**
 * `lengths`: the real length of each sequence of a masked workload (one per batch row); without it every row
 * runs all timesteps.
 */
export function workloadFlops(w: Workload, lengths?: number[]): FlopCount {
  let forward: number;
  if (w.kind === 'seq2seq') {
    forward = seq2seqForward(w);
  } else {
    if (lengths && lengths.length !== w.batch) throw new Error(`${w.name}: ${lengths.length} lengths for a batch of ${w.batch}`);
    const steps = lengths ? lengths.reduce((a, n) => a + n, 0) : w.batch * w.timesteps;
    forward = recurrentForward(w, steps);
  }
  return { forward, train: 3 * forward };
}

/** Milliseconds the work would take at `gflops` (10⁹ FLOP/s): the floor no kernel can beat at that peak. */
export function floorMs(flops: number, gflops: number): number {
  if (!(gflops > 0)) throw new Error(`floorMs: GEMM peak must be positive, got ${gflops}`);
  return flops / (gflops * 1e6);
}
