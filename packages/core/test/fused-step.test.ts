// fusedStepFunction: a language-model step model (token → Embedding → recurrent layers → Dense) decodes through
// the native one-call step with the same log-probabilities, states and sampled tokens as the generic step, and any
// other model keeps the generic step. Requires the native addon (CI builds it); RNNKIT_NATIVE=0 opts out.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed, seededRng } from '../src/random.js';
import { recurrent, type CellType } from '../src/layers/recurrent.js';
import { runModel } from '../src/run-model.js';
import { fusedStepFunction } from '../src/decode/fused-step.js';
import { sampleDecode } from '../src/decode/greedy.js';
import { beamSearch } from '../src/decode/beam.js';
import type { StepFunction } from '../src/decode/step.js';
import { useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';

interface Spec {
  cells: CellType[];
  units: number[];
  vocab: number;
  embed: number;
  activation: 'softmax' | 'linear';
  /** textgen's layout: every recurrent layer returns its sequence, the dense layer sees [N, 1, U]. */
  sequences: boolean;
  dropout?: boolean;
}

function stepModel(spec: Spec): tf.LayersModel {
  const token = tf.input({ shape: [1], dtype: 'int32' });
  const stateInputs: tf.SymbolicTensor[] = [];
  const stateOutputs: tf.SymbolicTensor[] = [];
  let x = tf.layers.embedding({ inputDim: spec.vocab, outputDim: spec.embed }).apply(token) as tf.SymbolicTensor;
  spec.cells.forEach((cell, i) => {
    const states = Array.from({ length: cell === 'lstm' ? 2 : 1 }, () => tf.input({ shape: [spec.units[i]] }));
    stateInputs.push(...states);
    const last = i === spec.cells.length - 1;
    const layer = recurrent({ cell, units: spec.units[i], returnState: true, returnSequences: spec.sequences || !last });
    const [out, ...next] = layer.apply([x, ...states]) as tf.SymbolicTensor[];
    stateOutputs.push(...next);
    x = spec.dropout ? (tf.layers.dropout({ rate: 0.3 }).apply(out) as tf.SymbolicTensor) : out;
  });
  const y = tf.layers.dense({ units: spec.vocab, activation: spec.activation }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: [token, ...stateInputs], outputs: [y, ...stateOutputs] });
}

/** The generic step: the model's output as log-probabilities, the way the apps' own step functions do it. */
function genericStep(model: tf.LayersModel, activation: Spec['activation']): StepFunction {
  return {
    step(tokens, states) {
      const [logProbs, ...next] = tf.tidy(() => {
        const [y, ...s] = runModel(model, [tf.tensor2d(tokens, [tokens.length, 1], 'int32'), ...states]);
        const flat = y.reshape([tokens.length, -1]);
        return [activation === 'softmax' ? tf.log(tf.maximum(flat, 1e-30)) : tf.logSoftmax(flat), ...s];
      });
      return { logProbs: logProbs as tf.Tensor2D, states: next };
    },
  };
}

function zeroStates(model: tf.LayersModel, batch: number): tf.Tensor[] {
  return model.inputs.slice(1).map((input) => tf.zeros([batch, input.shape[1] as number]));
}

const SPECS: Spec[] = [
  { cells: ['lstm'], units: [37], vocab: 65, embed: 16, activation: 'softmax', sequences: false },
  { cells: ['gru', 'lstm'], units: [20, 33], vocab: 30, embed: 7, activation: 'linear', sequences: true, dropout: true },
  { cells: ['simple', 'gru'], units: [9, 64], vocab: 101, embed: 12, activation: 'linear', sequences: false },
];

describe.skipIf(optedOut)('fusedStepFunction', () => {
  let nativeModule: FusedKernelModule;

  beforeAll(async () => {
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info.native, 'the @rnnkit/native addon must be built').toBe(true);
    nativeModule = (await import('@rnnkit/native')) as unknown as FusedKernelModule;
    expect(typeof nativeModule.decodeStep).toBe('function');
    setSeed(5);
  });

  SPECS.forEach((spec, i) => {
    const label = `${spec.cells.map((c, k) => `${c}${spec.units[k]}`).join(' > ')} dense ${spec.activation}${spec.sequences ? ', sequences' : ''}${spec.dropout ? ', dropout' : ''}`;
    it(`takes the fused path and matches the generic step: ${label}`, () => {
      const model = stepModel(spec);
      const generic = genericStep(model, spec.activation);
      const fused = fusedStepFunction(model, generic);
      expect(fused).not.toBe(generic);
      for (const batch of [1, 4]) {
        const states = model.inputs.slice(1).map((input, k) => tf.randomUniform([batch, input.shape[1] as number], -1, 1, 'float32', 40 + k));
        const tokens = Int32Array.from({ length: batch }, (_, r) => (3 + 11 * r) % spec.vocab);
        const a = fused.step(tokens, states);
        const b = generic.step(tokens, states);
        const close = (x: tf.Tensor, y: tf.Tensor, what: string) => {
          const err = tf.tidy(() => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0] / Math.max(tf.max(tf.abs(y)).dataSync()[0], 1e-6));
          expect(err, `${what} relative error`).toBeLessThan(1e-4);
        };
        close(a.logProbs, b.logProbs, 'logProbs');
        expect(a.states.length).toBe(b.states.length);
        a.states.forEach((s, k) => close(s, b.states[k], `state ${k}`));
        tf.dispose([...states, a.logProbs, ...a.states, b.logProbs, ...b.states]);
      }
      // Sampling with the same seed picks the same characters; beam search finds the same hypotheses.
      const sample = (fn: StepFunction) => {
        const states = zeroStates(model, 1);
        const r = sampleDecode(fn, states, { prompt: [1], maxLen: 60, temperature: 1 }, seededRng(i + 1));
        tf.dispose(states);
        return r.tokens;
      };
      expect(sample(fused)).toEqual(sample(generic));
      const beams = (fn: StepFunction) => {
        const states = zeroStates(model, 1);
        const r = beamSearch(fn, states, { beamWidth: 4, bos: 1, eos: 2, maxLen: 10, minLen: 10 });
        tf.dispose(states);
        return r.map((h) => h.tokens);
      };
      expect(beams(fused)).toEqual(beams(generic));
      model.dispose();
    });
  });

  it('keeps the generic step for a model of another shape', () => {
    // Two inputs per step (no embedding): not a token-in language model.
    const x = tf.input({ shape: [1, 3] });
    const h = tf.input({ shape: [8] });
    const [out, next] = recurrent({ cell: 'gru', units: 8, returnState: true }).apply([x, h]) as tf.SymbolicTensor[];
    const y = tf.layers.dense({ units: 5 }).apply(out) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [x, h], outputs: [y, next] });
    const generic = genericStep(model, 'linear');
    expect(fusedStepFunction(model, generic)).toBe(generic);
    model.dispose();
  });

  it('keeps the generic step when the fused kernels are off, and falls back per step when they go away', () => {
    const spec = SPECS[0];
    const model = stepModel(spec);
    const generic = genericStep(model, spec.activation);
    useFusedKernels(null);
    try {
      expect(fusedStepFunction(model, generic)).toBe(generic);
    } finally {
      useFusedKernels(nativeModule);
    }
    const fused = fusedStepFunction(model, generic);
    expect(fused).not.toBe(generic);
    const states = zeroStates(model, 2);
    useFusedKernels(null);
    try {
      const out = fused.step(Int32Array.from([1, 2]), states);
      expect(out.logProbs.shape).toEqual([2, spec.vocab]);
      tf.dispose([out.logProbs, ...out.states]);
    } finally {
      useFusedKernels(nativeModule);
      tf.dispose(states);
      model.dispose();
    }
  });

  it('leaks no tensors across 200 fused steps', () => {
    const spec = SPECS[1];
    const model = stepModel(spec);
    const fused = fusedStepFunction(model, genericStep(model, spec.activation));
    let states = zeroStates(model, 3);
    const before = tf.memory().numTensors;
    for (let t = 0; t < 200; t++) {
      const out = fused.step(Int32Array.from([1, 2, 3]), states);
      tf.dispose([out.logProbs, ...states]);
      states = out.states;
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(states);
    model.dispose();
  });
});
