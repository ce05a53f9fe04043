import * as tf from '@tensorflow/tfjs';
import { BahdanauAttention, LuongAttention } from '../layers/attention.js';
import { activeFusedKernels, type FusedSeq2SeqAttention } from '../layers/fused-kernels.js';
import type { CellType } from '../layers/recurrent-kernel.js';
import type { Seq2SeqModels } from '../seq2seq.js';
import { agreeWithin, denseOf, INFERENCE_IDENTITY, isStepRecurrent } from './fused-step.js';
import type { StepFunction, StepOutput } from './step.js';

/**
 * A Seq2Seq decoder step through `decoderStep` costs about fifty tfjs kernel dispatches (embedding, the cell, the
 * attention's projections, mask, softmax and weighted sum, concat, two dense layers, log), several times the
 * arithmetic at beam-search sizes. When the native addon has `seq2seqStep` and the step model is the one
 * buildSeq2Seq makes (embedding → one-direction recurrent decoder → Bahdanau or Luong attention → context concat →
 * Dense tanh → Dense), the whole step is one native call. Anything else, or a probe step that does not match the
 * generic one, keeps the generic step (`fallback`), as does every step taken while the fused ops are inactive.
 *
 * Its log-probabilities are the log-softmax of the output layer's pre-activation: the generic step's
 * log(max(softmax, 1e-30)) except where that clip applies (probabilities below 1e-30).
 */

/** The weights of a recognized step model, read afresh at every step (training may have changed them). */
interface Seq2SeqStepPlan {
  embedding: tf.LayerVariable;
  maskZero: boolean;
  cell: CellType;
  kernel: tf.LayerVariable;
  recurrentKernel: tf.LayerVariable;
  bias: tf.LayerVariable;
  attention:
    | { kind: 'bahdanau'; queryKernel: tf.LayerVariable; bias: tf.LayerVariable; scoreVector: tf.LayerVariable }
    | { kind: 'dot' }
    | { kind: 'general'; kernel: tf.LayerVariable };
  attentional: { kernel: tf.LayerVariable; bias: tf.LayerVariable | null };
  output: { kernel: tf.LayerVariable; bias: tf.LayerVariable | null };
  stateCount: number;
}

/** Layers that are the identity at inference (dropout) or only reshape the step's outputs. */
const PASS_THROUGH = new Set([...INFERENCE_IDENTITY, 'InputLayer', 'Reshape', 'Concatenate']);

/** The plan when `models.decoderStep` has exactly buildSeq2Seq's step layers, else null. */
function planOf(models: Seq2SeqModels): Seq2SeqStepPlan | null {
  const step = models.decoderStep;
  const body = step.layers.filter((l) => !PASS_THROUGH.has(l.getClassName()));
  const concats = step.layers.filter((l) => l.getClassName() === 'Concatenate');
  const reshapes = step.layers.filter((l) => l.getClassName() === 'Reshape');
  if (body.length !== 5 || concats.length !== 1 || reshapes.length !== 2) return null;
  const [embedding, decoder, attention, attentional, output] = body;
  if (embedding.getClassName() !== 'Embedding' || embedding.weights.length !== 1) return null;
  if (!isStepRecurrent(decoder)) return null;
  if (attention !== models.attention) return null;
  let plannedAttention: Seq2SeqStepPlan['attention'];
  if (attention instanceof BahdanauAttention) {
    plannedAttention = { kind: 'bahdanau', ...attention.scoreWeights() };
  } else if (attention instanceof LuongAttention) {
    const kernel = attention.scoreKernel();
    plannedAttention = attention.score === 'general' && kernel ? { kind: 'general', kernel } : { kind: 'dot' };
  } else {
    return null;
  }
  const attentionalDense = denseOf(attentional, ['tanh']);
  const outputDense = denseOf(output, ['softmax', 'linear']);
  if (!attentionalDense || !outputDense) return null;
  const stateCount = models.decoderStateCount;
  if (step.inputs.length !== 1 + models.contextCount + stateCount || step.outputs.length !== 2 + stateCount) return null;
  const [kernel, recurrentKernel, bias] = decoder.weights;
  return {
    embedding: embedding.weights[0],
    maskZero: embedding.getConfig().maskZero === true,
    cell: decoder.cell,
    kernel,
    recurrentKernel,
    bias,
    attention: plannedAttention,
    attentional: attentionalDense,
    output: outputDense,
    stateCount,
  };
}

/** One fused step over `states` = [...decoderStates, encoderOutputs, srcMask, keys?]; null when inactive. */
function fusedStep(plan: Seq2SeqStepPlan, tokens: Int32Array, states: tf.Tensor[]): StepOutput | null {
  const seq2seqStep = activeFusedKernels()?.seq2seqStep;
  if (!seq2seqStep) return null;
  const [h, c] = plan.cell === 'lstm' ? states : [states[0], null];
  const [values, srcMask, keys] = states.slice(plan.stateCount);
  const a = plan.attention;
  let attention: FusedSeq2SeqAttention;
  if (a.kind === 'bahdanau') {
    attention = { kind: 'bahdanau', queryKernel: a.queryKernel.read(), queryBias: a.bias.read(), scoreVector: a.scoreVector.read(), keys };
  } else {
    attention = a.kind === 'general' ? { kind: 'general', kernel: a.kernel.read() } : { kind: 'dot' };
  }
  const out = seq2seqStep({
    tokens,
    embedding: plan.embedding.read(),
    maskZero: plan.maskZero,
    cell: plan.cell,
    kernel: plan.kernel.read(),
    recurrentKernel: plan.recurrentKernel.read(),
    bias: plan.bias.read(),
    h,
    c,
    attention,
    values,
    srcMask,
    attentionalKernel: plan.attentional.kernel.read(),
    attentionalBias: plan.attentional.bias?.read() ?? null,
    outputKernel: plan.output.kernel.read(),
    outputBias: plan.output.bias?.read() ?? null,
  });
  return { logProbs: out.logProbs, states: [...out.states, ...states.slice(plan.stateCount)], extras: out.attention };
}

/**
 * Whether the fused step reproduces `fallback`: one probe step over three rows with random states and encoder
 * outputs, sources of three lengths (padding masked) and a PAD token, compared to 1e-3 of each output's scale.
 * Catches wiring the layer list does not show (inputs in another order, a layer fed something else).
 */
function agrees(plan: Seq2SeqStepPlan, models: Seq2SeqModels, fallback: StepFunction): boolean {
  const rows = 3;
  const sourceLength = 4;
  const units = plan.recurrentKernel.shape[0] as number;
  const valuesDim = models.decoderStep.inputs[1].shape[2] as number;
  const vocab = plan.embedding.shape[0] as number;
  const probe = tf.tidy(() => {
    const decoderStates = Array.from({ length: plan.stateCount }, (_, i) => tf.randomUniform([rows, units], -0.5, 0.5, 'float32', 11 + i));
    const values = tf.randomUniform([rows, sourceLength, valuesDim], -0.5, 0.5, 'float32', 21);
    const srcMask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0], [1, 0, 0, 0]]);
    const keys = models.attention instanceof BahdanauAttention ? [models.attention.projectValues(values)] : [];
    return [...decoderStates, values, srcMask, ...keys];
  });
  const tokens = Int32Array.from([1 % vocab, (vocab - 1) % vocab, 0]);
  const fused = fusedStep(plan, tokens, probe);
  const generic = fallback.step(tokens, probe);
  const owned = (out: StepOutput | null) => (out ? [out.logProbs, ...(out.extras ? [out.extras] : []), ...out.states.slice(0, plan.stateCount)] : []);
  try {
    if (fused === null || fused.states.length !== generic.states.length || !fused.extras || !generic.extras) return false;
    // The generic step clips probabilities at 1e-30 before the log; the same clip makes the two comparable.
    const clipped = tf.maximum(fused.logProbs, Math.log(1e-30));
    try {
      return agreeWithin([
        [clipped, generic.logProbs],
        [fused.extras, generic.extras],
        ...fused.states.slice(0, plan.stateCount).map((s, i): [tf.Tensor, tf.Tensor] => [s, generic.states[i]]),
      ], 1e-3);
    } finally {
      clipped.dispose();
    }
  } finally {
    tf.dispose([...probe, ...owned(fused), ...owned(generic)]);
  }
}

/**
 * A StepFunction over a Seq2Seq's decoder step that takes one native call per step when it can (see above), else
 * `fallback`, which must be the generic step over `models.decoderStep` (seq2seqStepFunction's).
 */
export function fusedSeq2SeqStepFunction(models: Seq2SeqModels, fallback: StepFunction): StepFunction {
  const plan = planOf(models);
  if (plan === null || !activeFusedKernels()?.seq2seqStep || !agrees(plan, models, fallback)) return fallback;
  return {
    step(tokens: Int32Array, states: tf.Tensor[]): StepOutput {
      return fusedStep(plan, tokens, states) ?? fallback.step(tokens, states);
    },
  };
}
