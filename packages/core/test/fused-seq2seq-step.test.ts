// seq2seqStepFunction's fused path: with @rnnkit/native, a Seq2Seq decoder step is one native call with the same
// log-probabilities, attention weights and states as the step model through tfjs, for every attention kind and cell,
// masked sources of different lengths, batch 1 and 4; greedy and beam decoding give the same tokens; anything the
// fused step cannot serve keeps the generic step. Requires the native addon (CI builds it); RNNKIT_NATIVE=0 opts out.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { setSeed } from '../src/random.js';
import { buildSeq2Seq, disposeSeq2Seq, encodeForDecoding, seq2seqStepFunction, type Seq2SeqConfig, type Seq2SeqModels } from '../src/seq2seq.js';
import { greedyDecodeBatch } from '../src/decode/greedy.js';
import { beamSearch, beamSearchBatch } from '../src/decode/beam.js';
import type { StepFunction } from '../src/decode/step.js';
import { useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';
const [BOS, EOS] = [2, 3];

const CONFIGS: (Seq2SeqConfig & { label: string })[] = [
  { label: 'bidirectional GRU, bahdanau, shared embedding, dropout', srcVocab: 41, tgtVocab: 41, embedDim: 8, encoderCell: 'gru', encoderUnits: 6,
    bidirectional: true, decoderUnits: 12, attention: 'bahdanau', sharedEmbedding: true, dropout: 0.2, seed: 3 },
  { label: 'LSTM, dot', srcVocab: 30, tgtVocab: 37, embedDim: 7, encoderCell: 'lstm', encoderUnits: 10, bidirectional: false,
    attention: 'dot', seed: 4 },
  { label: 'bidirectional LSTM, general, bridged states', srcVocab: 25, tgtVocab: 52, embedDim: 6, encoderCell: 'lstm', encoderUnits: 5,
    bidirectional: true, decoderUnits: 14, attention: 'general', seed: 5 },
  { label: 'GRU, general', srcVocab: 33, tgtVocab: 29, embedDim: 9, encoderCell: 'gru', encoderUnits: 11, bidirectional: false,
    attention: 'general', seed: 6 },
  { label: 'bidirectional LSTM, bahdanau', srcVocab: 44, tgtVocab: 44, embedDim: 8, encoderCell: 'lstm', encoderUnits: 8, bidirectional: true,
    attention: 'bahdanau', seed: 7 },
  { label: 'GRU, dot, bridged states', srcVocab: 20, tgtVocab: 26, embedDim: 5, encoderCell: 'gru', encoderUnits: 9, bidirectional: true,
    decoderUnits: 18, attention: 'dot', seed: 8 },
];

/** Four sources of different lengths (the shorter ones padded and masked in the batch). */
function sources(vocab: number): number[][] {
  return [[4, 5, 6, 7, 8, 9, 10], [11 % vocab || 4, 5], [6], [7, 8, 9, 4]].map((row) => row.map((id) => 4 + (id % (vocab - 4))));
}

let nativeModule: FusedKernelModule;
let fusedCalls = 0;

/** The native module with seq2seqStep counted, so a test can tell which path ran. */
function countingModule(): FusedKernelModule {
  const seq2seqStep = nativeModule.seq2seqStep!;
  return { ...nativeModule, seq2seqStep: (args) => (fusedCalls++, seq2seqStep(args)) };
}

/** The step function without the fused path: built while the fused ops are off. */
function genericStep(models: Seq2SeqModels): StepFunction {
  useFusedKernels(null);
  try {
    return seq2seqStepFunction(models);
  } finally {
    useFusedKernels(countingModule());
  }
}

function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-6));
}

describe.skipIf(optedOut)('seq2seqStepFunction, fused native step', () => {
  beforeAll(async () => {
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info.native, 'the @rnnkit/native addon must be built').toBe(true);
    nativeModule = (await import('@rnnkit/native')) as unknown as FusedKernelModule;
    expect(typeof nativeModule.seq2seqStep).toBe('function');
    useFusedKernels(countingModule());
    setSeed(11);
  });

  afterEach(() => useFusedKernels(countingModule()));

  CONFIGS.forEach((cfg) => {
    it(`takes the fused path and matches the generic step: ${cfg.label}`, () => {
      const models = buildSeq2Seq(cfg);
      const generic = genericStep(models);
      const fused = seq2seqStepFunction(models);
      for (const rows of [sources(cfg.srcVocab).slice(0, 1), sources(cfg.srcVocab)]) {
        const states = encodeForDecoding(models, rows);
        // Row 1 (when there is one) feeds PAD: a masked decoder step that carries its state.
        const tokens = Int32Array.from(rows, (_, r) => (r === 1 ? 0 : (5 + 7 * r) % cfg.tgtVocab));
        const callsBefore = fusedCalls;
        const a = fused.step(tokens, states);
        expect(fusedCalls, 'the fused step ran').toBe(callsBefore + 1);
        const b = generic.step(tokens, states);
        expect(fusedCalls, 'the generic step did not call the fused op').toBe(callsBefore + 1);
        expect(relativeError(a.logProbs, b.logProbs), 'logProbs').toBeLessThan(1e-4);
        expect(relativeError(a.extras!, b.extras!), 'attention weights').toBeLessThan(1e-4);
        expect(a.states.length).toBe(b.states.length);
        a.states.forEach((s, k) => {
          if (k >= models.decoderStateCount) expect(s, 'the context passes through').toBe(states[k]);
          else expect(relativeError(s, b.states[k]), `decoder state ${k}`).toBeLessThan(1e-4);
        });
        const owned = (o: typeof a) => [o.logProbs, o.extras!, ...o.states.slice(0, models.decoderStateCount)];
        tf.dispose([...states, ...owned(a), ...owned(b)]);
      }

      // Greedy over the batch and beam search give the same tokens either way.
      const states = encodeForDecoding(models, sources(cfg.srcVocab));
      const greedy = (fn: StepFunction) => greedyDecodeBatch(fn, states, { bos: BOS, eos: EOS, maxLen: 9 }).map((r) => r.tokens);
      expect(greedy(fused)).toEqual(greedy(generic));
      const beams = (fn: StepFunction) => beamSearchBatch(fn, states, { beamWidth: 4, bos: BOS, eos: EOS, maxLen: 8, minLen: 3 });
      const fusedBeams = beams(fused);
      const genericBeams = beams(generic);
      expect(fusedBeams.map((hyps) => hyps.map((h) => h.tokens))).toEqual(genericBeams.map((hyps) => hyps.map((h) => h.tokens)));
      fusedBeams.flat().forEach((h, i) => expect(h.logProb).toBeCloseTo(genericBeams.flat()[i].logProb, 3));
      tf.dispose(states);
      disposeSeq2Seq(models);
    });
  });

  it("beam search picks the same candidates with the addon's topIndices as with its JS loop", () => {
    // A step of fixed log-probabilities on a coarse grid (many ties) with banned (-Infinity) tokens, per history length.
    const vocab = 300;
    const table = Array.from({ length: 12 }, (_, t) => Float32Array.from({ length: vocab }, (_, v) => {
      const x = Math.sin(31 * v + 17 * t) * 1e4;
      const u = x - Math.floor(x);
      return u < 0.05 ? -Infinity : -Math.round(u * 24) / 4;
    }));
    let step = 0;
    const lm: StepFunction = {
      step(tokens) {
        const t = step++;
        const rows = Array.from(tokens, (tok) => table[(t + tok) % table.length]);
        return { logProbs: tf.tensor2d(rows.flatMap((r) => Array.from(r)), [tokens.length, vocab]), states: [tf.zeros([tokens.length, 1])] };
      },
    };
    const search = () => {
      step = 0;
      const init = [tf.zeros([2, 1])];
      const out = beamSearchBatch(lm, init, { beamWidth: 5, bos: BOS, eos: EOS, maxLen: 8, lengthPenalty: 0.6 });
      tf.dispose(init);
      return out;
    };
    let nativeCalls = 0;
    const topIndices = nativeModule.topIndices!;
    useFusedKernels({ ...nativeModule, topIndices: (row, k) => (nativeCalls++, topIndices(row, k)) });
    const withAddon = search();
    expect(nativeCalls).toBeGreaterThan(0);
    useFusedKernels(null);
    const withJs = search();
    expect(withAddon).toEqual(withJs);
    expect(withAddon[0].length).toBe(5);
  });

  it('keeps tf.memory().numTensors flat across repeated beam searches on the fused path', () => {
    const models = buildSeq2Seq(CONFIGS[0]);
    const step = seq2seqStepFunction(models);
    const reply = () => {
      const states = encodeForDecoding(models, [sources(CONFIGS[0].srcVocab)[0]]);
      beamSearch(step, states, { beamWidth: 4, bos: BOS, eos: EOS, maxLen: 10, minLen: 10 });
      tf.dispose(states);
    };
    reply();
    const before = tf.memory().numTensors;
    const callsBefore = fusedCalls;
    for (let i = 0; i < 5; i++) reply();
    expect(fusedCalls - callsBefore).toBe(50);
    expect(tf.memory().numTensors).toBe(before);
    disposeSeq2Seq(models);
  });

  it('rejects tokens outside the target vocabulary with a one-line error, on both paths', () => {
    const models = buildSeq2Seq(CONFIGS[1]);
    const states = encodeForDecoding(models, [[4, 5, 6]]);
    for (const step of [seq2seqStepFunction(models), genericStep(models)]) {
      expect(() => step.step(Int32Array.from([37]), states)).toThrow(/^seq2seq step: token 37 \(row 0\) is outside the target vocabulary \[0, 36\]$/);
      expect(() => step.step(Int32Array.from([-1]), states)).toThrow(/token -1 \(row 0\) is outside/);
    }
    tf.dispose(states);
    disposeSeq2Seq(models);
  });

  it('keeps the generic step when the fused ops are off, and falls back per step when they go away', () => {
    const models = buildSeq2Seq(CONFIGS[2]);
    const states = encodeForDecoding(models, sources(CONFIGS[2].srcVocab).slice(0, 2));
    const callsBefore = fusedCalls;
    const generic = genericStep(models);
    const out = generic.step(Int32Array.from([4, 5]), states);
    expect(fusedCalls).toBe(callsBefore);
    const fused = seq2seqStepFunction(models);
    useFusedKernels(null);
    const fallback = fused.step(Int32Array.from([4, 5]), states);
    expect(fusedCalls).toBe(callsBefore + 1); // the creation probe only
    expect(relativeError(fallback.logProbs, out.logProbs)).toBe(0);
    const owned = (o: typeof out) => [o.logProbs, o.extras!, ...o.states.slice(0, models.decoderStateCount)];
    tf.dispose([...states, ...owned(out), ...owned(fallback)]);
    disposeSeq2Seq(models);
  });

  it('keeps the generic step for models it does not recognize', () => {
    const models = buildSeq2Seq(CONFIGS[3]);
    const other = buildSeq2Seq({ ...CONFIGS[3], seed: 99 });
    // The attention layer is not the step model's: the layer list no longer tells which weights the step uses.
    const mixed: Seq2SeqModels = { ...models, attention: other.attention };
    const states = encodeForDecoding(models, [[4, 5, 6]]);
    const callsBefore = fusedCalls;
    const step = seq2seqStepFunction(mixed);
    const out = step.step(Int32Array.from([4]), states);
    expect(fusedCalls).toBe(callsBefore);
    tf.dispose([...states, out.logProbs, out.extras!, ...out.states.slice(0, models.decoderStateCount)]);
    disposeSeq2Seq(models);
    disposeSeq2Seq(other);
  });
});
