import * as tf from '@tensorflow/tfjs';
import { activeFusedKernels, type FusedDecodeLayer } from '../layers/fused-kernels.js';
import { CELLS, isCellType, type CellType } from '../layers/recurrent-kernel.js';
import { RnnkitRecurrent } from '../layers/recurrent.js';
import type { StepFunction, StepOutput } from './step.js';

/**
 * Decoding one token at a time through a step model costs about fourteen tfjs kernel dispatches per token (gather,
 * recurrent step, matmul, bias, softmax, log, ...), several times the arithmetic at decoding sizes. For the common
 * language-model step — token → Embedding → one-direction recurrent layers with state inputs → Dense — the native
 * addon runs the whole step in one call. `fusedStepFunction` recognizes that shape and returns a StepFunction that
 * uses the fused call, falling back to `fallback` (the generic step over the same model) whenever the fused op is not
 * active (another backend, no addon) and for any model of another shape.
 *
 * Its log-probabilities are the log-softmax of the dense layer's pre-activation, what the generic step computes
 * (a softmax dense layer's probabilities, logged, are the same values except where they underflow).
 */

/** Weights of one recognized model, read afresh at every step (training may have changed them). */
interface StepPlan {
  embedding: tf.LayerVariable;
  layers: { cell: CellType; units: number; kernel: tf.LayerVariable; recurrentKernel: tf.LayerVariable; bias: tf.LayerVariable }[];
  dense: tf.LayerVariable;
  denseBias: tf.LayerVariable | null;
}

/** Layers the fused step can skip at inference (identity outside training). */
export const INFERENCE_IDENTITY: ReadonlySet<string> = new Set(['Dropout', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']);

/** A recurrent layer one fused decoding step can run: one direction, returning its state, three weights. */
export function isStepRecurrent(l: tf.layers.Layer): l is RnnkitRecurrent {
  return l instanceof RnnkitRecurrent && !l.goBackwards && l.returnState && isCellType(l.cell) && l.weights.length === 3 && l.mergeMode === null;
}

/** A Dense layer with one of `activations`: its kernel and bias, else null. */
export function denseOf(layer: tf.layers.Layer, activations: string[]): { kernel: tf.LayerVariable; bias: tf.LayerVariable | null } | null {
  if (layer.getClassName() !== 'Dense' || !activations.includes(String(layer.getConfig().activation))) return null;
  if (layer.weights.length < 1 || layer.weights.length > 2) return null;
  return { kernel: layer.weights[0], bias: layer.weights[1] ?? null };
}

/** The plan when the model is token → Embedding → RnnkitRecurrent+ → Dense with matching state inputs, else null. */
function planOf(model: tf.LayersModel): StepPlan | null {
  const body = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !INFERENCE_IDENTITY.has(l.getClassName()));
  if (body.length < 3) return null;
  const [first, ...rest] = body;
  const last = rest.pop() as tf.layers.Layer;
  if (first.getClassName() !== 'Embedding' || first.getConfig().maskZero === true || first.weights.length !== 1) return null;
  const dense = denseOf(last, ['linear', 'softmax']);
  if (!dense) return null;
  const layers: StepPlan['layers'] = [];
  for (const l of rest) {
    if (!isStepRecurrent(l)) return null;
    const [kernel, recurrentKernel, bias] = l.weights;
    layers.push({ cell: l.cell, units: l.units, kernel, recurrentKernel, bias });
  }
  if (layers.length === 0) return null;
  const stateCount = layers.reduce((n, l) => n + CELLS[l.cell].states, 0);
  if (model.inputs.length !== 1 + stateCount || model.outputs.length !== 1 + stateCount) return null;
  return { embedding: first.weights[0], layers, dense: dense.kernel, denseBias: dense.bias };
}

function fusedStep(plan: StepPlan, tokens: Int32Array, states: tf.Tensor[]): StepOutput | null {
  const decodeStep = activeFusedKernels()?.decodeStep;
  if (!decodeStep) return null;
  let next = 0;
  const layers: FusedDecodeLayer[] = plan.layers.map((l) => {
    const h = states[next++];
    const c = CELLS[l.cell].states === 2 ? states[next++] : null;
    return { cell: l.cell, kernel: l.kernel.read(), recurrentKernel: l.recurrentKernel.read(), bias: l.bias.read(), h, c };
  });
  const out = decodeStep({
    tokens,
    embedding: plan.embedding.read(),
    layers,
    dense: plan.dense.read(),
    denseBias: plan.denseBias?.read() ?? null,
  });
  return { logProbs: out.logProbs, states: out.states };
}

/**
 * Whether every pair (fused, generic) has the same size and a largest absolute difference below `tolerance` times
 * the generic tensor's largest magnitude: the probe check of the fused decoding steps.
 */
export function agreeWithin(pairs: [tf.Tensor, tf.Tensor][], tolerance: number): boolean {
  return pairs.every(([a, b]) => {
    if (a.size !== b.size) return false;
    const x = a.dataSync();
    const y = b.dataSync();
    let diff = 0;
    let scale = 1e-6;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(y[i]));
    }
    return diff / scale < tolerance;
  });
}

/**
 * Whether the fused step reproduces `fallback` on this model: one probe step with random states, compared to 1e-3.
 * Catches wiring the layer list does not show (state inputs in another order, a layer fed something else).
 */
function agrees(plan: StepPlan, model: tf.LayersModel, fallback: StepFunction): boolean {
  const probeStates = model.inputs.slice(1).map((input, i) => tf.randomUniform([2, input.shape[1] as number], -0.5, 0.5, 'float32', 1 + i));
  const vocab = plan.embedding.shape[0] as number;
  const tokens = Int32Array.from([1 % vocab, (vocab - 1) % vocab]);
  const fused = fusedStep(plan, tokens, probeStates);
  const generic = fallback.step(tokens, probeStates);
  try {
    if (fused === null || fused.states.length !== generic.states.length) return false;
    return agreeWithin([[fused.logProbs, generic.logProbs], ...fused.states.map((s, i): [tf.Tensor, tf.Tensor] => [s, generic.states[i]])], 1e-3);
  } finally {
    tf.dispose([...probeStates, ...(fused ? [fused.logProbs, ...fused.states] : []), generic.logProbs, ...generic.states]);
  }
}

/**
 * A StepFunction over `model` that takes one native call per step when it can (see above), else `fallback`.
 * `fallback` must be the generic step over the same model (its log-probabilities over the dense layer's output).
 */
export function fusedStepFunction(model: tf.LayersModel, fallback: StepFunction): StepFunction {
  const plan = planOf(model);
  if (plan === null || !activeFusedKernels()?.decodeStep || !agrees(plan, model, fallback)) return fallback;
  return {
    step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
      return fusedStep(plan, tokens, states) ?? fallback.step(tokens, states);
    },
  };
}
