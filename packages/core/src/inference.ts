import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from './errors.js';

/**
 * Fast inference calls of a functional `tf.LayersModel`, for decoding loops that run a small model once per token.
 *
 * `predictOnBatch` spends more time than the math on a one-token step (a char-LM step: ~155 µs, of which ~45 µs are
 * kernels): every call it checks inputs, builds a feed dictionary, re-sorts the graph and tracks tensors for
 * disposal. `compileForInference` walks the graph once, stores the order of layer calls, and then only calls each
 * layer's `call` with the masks tfjs-layers would pass, so results are the same as `predictOnBatch`.
 *
 * The compiled function reads the model's current weights at every call (layers read their variables), so it stays
 * valid after further training. Layers run in inference mode (dropout off).
 */
export type InferenceFn = (inputs: tf.Tensor[]) => tf.Tensor[];

type Kwargs = Record<string, unknown>;

/** The parts of tfjs-layers' graph objects this walker reads (public fields of SymbolicTensor, Layer and Node). */
interface GraphNode {
  outboundLayer: tf.layers.Layer;
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

interface PlannedCall {
  layer: tf.layers.Layer;
  inputIds: number[];
  outputIds: number[];
}

function producingNode(t: tf.SymbolicTensor): GraphNode {
  return t.sourceLayer.inboundNodes[t.nodeIndex] as unknown as GraphNode;
}

/** Layer calls in dependency order, from the model inputs to its outputs. */
function planCalls(model: tf.LayersModel): PlannedCall[] {
  const inputIds = new Set(model.inputs.map((t) => t.id));
  const visited = new Set<GraphNode>();
  const plan: PlannedCall[] = [];
  const visit = (t: tf.SymbolicTensor): void => {
    if (inputIds.has(t.id)) return;
    const node = producingNode(t);
    if (visited.has(node)) return;
    visited.add(node);
    if (node.inputTensors.length === 0) {
      throw new RnnkitError(`compileForInference: '${t.name}' depends on an input that is not one of model '${model.name}''s inputs`);
    }
    node.inputTensors.forEach(visit);
    plan.push({
      layer: node.outboundLayer,
      inputIds: node.inputTensors.map((x) => x.id),
      outputIds: node.outputTensors.map((x) => x.id),
    });
  };
  model.outputs.forEach(visit);
  return plan;
}

// A functional model's graph never changes after construction, so one plan per model serves every caller.
const compiled = new WeakMap<tf.LayersModel, InferenceFn>();

export function compileForInference(model: tf.LayersModel): InferenceFn {
  let fn = compiled.get(model);
  if (!fn) {
    fn = compile(model);
    compiled.set(model, fn);
  }
  return fn;
}

function compile(model: tf.LayersModel): InferenceFn {
  const plan = planCalls(model);
  const modelInputIds = model.inputs.map((t) => t.id);
  const modelOutputIds = model.outputs.map((t) => t.id);
  return (inputs: tf.Tensor[]): tf.Tensor[] => {
    if (inputs.length !== modelInputIds.length) {
      throw new RnnkitError(`model '${model.name}' takes ${modelInputIds.length} input(s), got ${inputs.length}`);
    }
    return tf.tidy(() => {
      const values = new Map<number, tf.Tensor>();
      const masks = new Map<number, tf.Tensor | null>();
      modelInputIds.forEach((id, i) => values.set(id, inputs[i]));
      for (const call of plan) {
        // Same conventions as tfjs-layers' executor (the path predict, fit and model.apply take), so results match:
        // the inputs go as a list, `mask` is the first input's mask when any input has one, and every output of a
        // masking layer carries the first mask it computes.
        const xs = call.inputIds.map((id) => values.get(id) as tf.Tensor);
        const xMasks = call.inputIds.map((id) => masks.get(id) ?? null);
        const kwargs: Kwargs = { training: false };
        if (xMasks.some((m) => m !== null)) kwargs.mask = xMasks[0];
        const ys = ([] as tf.Tensor[]).concat(call.layer.call(xs, kwargs));
        const yMask = call.layer.supportsMasking ? call.layer.computeMask(xs, xMasks as tf.Tensor[]) : null;
        const outMask = (Array.isArray(yMask) ? yMask[0] : yMask) ?? null;
        call.outputIds.forEach((id, i) => {
          values.set(id, ys[i]);
          masks.set(id, outMask);
        });
      }
      return modelOutputIds.map((id) => values.get(id) as tf.Tensor);
    });
  };
}
