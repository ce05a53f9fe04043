// seq2seqStep: one attention Seq2Seq decoding step in one native call, against the same step written with plain
// tf ops (embedding, the reference recurrent step, attention with the source mask, Dense tanh, Dense, log-softmax).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { seq2seqStep, type CellType, type Seq2SeqStepArgs } from '../src/index.js';
import { expectAddonLoaded, expectClose, gemmConfigs, optedOut, randomTensor, referenceSequence, useGemmConfig } from './helpers.js';

const GATES: Record<CellType, number> = { lstm: 4, gru: 3, simple: 1 };

interface Case {
  N: number;
  cell: CellType;
  attention: 'bahdanau' | 'dot' | 'general';
  vocab: number;
  embed: number;
  units: number;
  /** Encoder output width (dot attention needs it equal to units). */
  valuesDim: number;
  /** Real source length of each row (the rest is padding); null: no mask. */
  lengths: number[] | null;
  S: number;
  biases: boolean;
  /** Token 0 in some row: a masked step when maskZero. */
  maskZero: boolean;
}

// Batch 1 and 4 (a beam), every attention kind, GRU and LSTM (and SimpleRNN), sources of different lengths.
const CASES: Case[] = [
  { N: 1, cell: 'gru', attention: 'bahdanau', vocab: 50, embed: 8, units: 16, valuesDim: 12, lengths: [5], S: 5, biases: true, maskZero: true },
  { N: 4, cell: 'gru', attention: 'bahdanau', vocab: 300, embed: 16, units: 32, valuesDim: 24, lengths: [7, 3, 1, 5], S: 7, biases: true, maskZero: true },
  { N: 4, cell: 'lstm', attention: 'bahdanau', vocab: 61, embed: 9, units: 21, valuesDim: 10, lengths: null, S: 6, biases: false, maskZero: false },
  { N: 1, cell: 'lstm', attention: 'dot', vocab: 40, embed: 8, units: 16, valuesDim: 16, lengths: [4], S: 6, biases: true, maskZero: true },
  { N: 4, cell: 'gru', attention: 'dot', vocab: 97, embed: 12, units: 20, valuesDim: 20, lengths: [9, 2, 9, 4], S: 9, biases: true, maskZero: true },
  { N: 4, cell: 'lstm', attention: 'general', vocab: 130, embed: 10, units: 18, valuesDim: 26, lengths: [3, 8, 1, 8], S: 8, biases: true, maskZero: true },
  { N: 1, cell: 'gru', attention: 'general', vocab: 33, embed: 7, units: 9, valuesDim: 14, lengths: null, S: 3, biases: false, maskZero: false },
  { N: 3, cell: 'simple', attention: 'bahdanau', vocab: 45, embed: 6, units: 11, valuesDim: 8, lengths: [2, 4, 3], S: 4, biases: true, maskZero: true },
];

const ATTENTION_UNITS = 13;
const ATTENTIONAL_UNITS = 15;

function build(c: Case, seed: number): Seq2SeqStepArgs {
  const G = GATES[c.cell] * c.units;
  const optional = (t: () => tf.Tensor) => (c.biases ? t() : null);
  // Row 1 feeds PAD (0) when there are several rows: the masked step of an Embedding with maskZero.
  const tokens = Int32Array.from({ length: c.N }, (_, i) => (i === 1 ? 0 : (seed * 7 + i * 13 + 1) % c.vocab || 1));
  const srcMask = c.lengths ? tf.tensor2d(c.lengths.flatMap((len) => Array.from({ length: c.S }, (_, s) => (s < len ? 1 : 0))), [c.N, c.S]) : null;
  let attention: Seq2SeqStepArgs['attention'];
  if (c.attention === 'bahdanau') {
    attention = {
      kind: 'bahdanau',
      queryKernel: randomTensor([c.units, ATTENTION_UNITS], seed + 20, 0.5),
      queryBias: optional(() => randomTensor([ATTENTION_UNITS], seed + 21, 0.3)),
      scoreVector: randomTensor([ATTENTION_UNITS], seed + 22, 0.8),
      keys: randomTensor([c.N, c.S, ATTENTION_UNITS], seed + 23, 0.8),
    };
  } else if (c.attention === 'general') {
    attention = { kind: 'general', kernel: randomTensor([c.units, c.valuesDim], seed + 24, 0.5) };
  } else {
    attention = { kind: 'dot' };
  }
  return {
    tokens,
    embedding: randomTensor([c.vocab, c.embed], seed),
    maskZero: c.maskZero,
    cell: c.cell,
    kernel: randomTensor([c.embed, G], seed + 1, 0.5),
    recurrentKernel: randomTensor([c.units, G], seed + 2, 0.5),
    bias: optional(() => randomTensor([G], seed + 3, 0.3)),
    h: randomTensor([c.N, c.units], seed + 4, 0.7),
    c: c.cell === 'lstm' ? randomTensor([c.N, c.units], seed + 5, 0.7) : null,
    attention,
    values: randomTensor([c.N, c.S, c.valuesDim], seed + 6, 0.9),
    srcMask,
    attentionalKernel: randomTensor([c.valuesDim + c.units, ATTENTIONAL_UNITS], seed + 7, 0.4),
    attentionalBias: optional(() => randomTensor([ATTENTIONAL_UNITS], seed + 8, 0.2)),
    outputKernel: randomTensor([ATTENTIONAL_UNITS, c.vocab], seed + 9, 0.6),
    outputBias: optional(() => randomTensor([c.vocab], seed + 10, 0.2)),
  };
}

function disposeArgs(a: Seq2SeqStepArgs): void {
  const attention = a.attention.kind === 'bahdanau' ? [a.attention.queryKernel, a.attention.queryBias, a.attention.scoreVector, a.attention.keys]
    : a.attention.kind === 'general' ? [a.attention.kernel] : [];
  tf.dispose([a.embedding, a.kernel, a.recurrentKernel, a.bias, a.h, a.c, a.values, a.srcMask, a.attentionalKernel, a.attentionalBias,
    a.outputKernel, a.outputBias, ...attention].filter((t): t is tf.Tensor => t !== null));
}

/** The same step with tf ops, as core's layers compose it (masked scores get -1e9 before the softmax). */
function reference(a: Seq2SeqStepArgs): { logProbs: tf.Tensor; attention: tf.Tensor; states: tf.Tensor[] } {
  return tf.tidy(() => {
    const N = a.tokens.length;
    const x = tf.gather(a.embedding, tf.tensor1d(a.tokens, 'int32')).expandDims(1);
    const mask = a.maskZero ? tf.tensor2d(Array.from(a.tokens, (t) => (t === 0 ? 0 : 1)), [N, 1]) : null;
    const r = referenceSequence({ cell: a.cell, x, h0: a.h, c0: a.c, kernel: a.kernel, recurrentKernel: a.recurrentKernel, bias: a.bias, mask, goBackwards: false });
    const query = r.outputs.reshape([N, -1]);
    let scores: tf.Tensor;
    const att = a.attention;
    if (att.kind === 'bahdanau') {
      let q = tf.matMul(query, att.queryKernel);
      if (att.queryBias) q = q.add(att.queryBias);
      scores = tf.tanh(q.expandDims(1).add(att.keys)).mul(att.scoreVector.reshape([-1])).sum(-1);
    } else {
      const q = att.kind === 'general' ? tf.matMul(query, att.kernel) : query;
      scores = tf.matMul(q.expandDims(1), a.values, false, true).reshape([N, -1]);
    }
    if (a.srcMask) scores = scores.add(tf.scalar(1).sub(a.srcMask).mul(-1e9));
    const weights = tf.softmax(scores, -1);
    const context = tf.matMul(weights.expandDims(1), a.values).reshape([N, -1]);
    let pre = tf.matMul(tf.concat([context, query], 1), a.attentionalKernel);
    if (a.attentionalBias) pre = pre.add(a.attentionalBias);
    let logits = tf.matMul(tf.tanh(pre), a.outputKernel);
    if (a.outputBias) logits = logits.add(a.outputBias);
    return { logProbs: tf.logSoftmax(logits), attention: weights, states: r.c ? [r.h, r.c] : [r.h] };
  });
}

describe.skipIf(optedOut)('seq2seqStep', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
  });

  for (const config of gemmConfigs()) {
    describe(`with the ${config.label} GEMM`, () => {
      beforeAll(() => useGemmConfig(config));
      CASES.forEach((c, i) => {
        const label = `N=${c.N} ${c.cell}${c.units} ${c.attention}, source lengths ${c.lengths ? c.lengths.join('/') : 'unmasked'} of ${c.S}` +
          `${c.biases ? '' : ', no biases'}${c.maskZero && c.N > 1 ? ', a PAD token' : ''}`;
        it(`matches the tf-ops step: ${label}`, () => {
          const args = build(c, 31 * i + 5);
          const out = seq2seqStep(args);
          const ref = reference(args);
          expectClose(out.logProbs, ref.logProbs, 1e-4, 'logProbs');
          expectClose(out.attention, ref.attention, 1e-4, 'attention');
          expect(out.states.length).toBe(ref.states.length);
          out.states.forEach((s, k) => expectClose(s, ref.states[k], 1e-4, `state ${k}`));
          if (c.lengths) {
            // Padding gets no attention (exp of the -1e9 score saturates near 1e-38).
            const w = out.attention.arraySync() as number[][];
            c.lengths.forEach((len, row) => expect(Math.max(0, ...w[row].slice(len)), `row ${row} padding weight`).toBeLessThan(1e-30));
          }
          if (c.maskZero && c.N > 1) {
            // The PAD row's states carry over unchanged.
            expectClose(out.states[0].slice([1, 0], [1, c.units]), args.h.slice([1, 0], [1, c.units]), 1e-7, 'carried h');
          }
          tf.dispose([out.logProbs, out.attention, ...out.states, ref.logProbs, ref.attention, ...ref.states]);
          disposeArgs(args);
        });
      });
    });
  }

  it('rejects a token outside the vocabulary with a message naming it', () => {
    const args = build(CASES[0], 1);
    expect(() => seq2seqStep({ ...args, tokens: Int32Array.from([50]) })).toThrow(/token 50 outside the vocabulary \[0, 50\)/);
    expect(() => seq2seqStep({ ...args, tokens: Int32Array.from([-3]) })).toThrow(/token -3 outside/);
    disposeArgs(args);
  });

  it('rejects inputs of the wrong size, naming them', () => tf.tidy(() => {
    const args = build(CASES[1], 2);
    const wrong = tf.zeros([4, 7, 23]);
    expect(() => seq2seqStep({ ...args, values: tf.zeros([3, 7, 24]) })).toThrow(/values/);
    expect(() => seq2seqStep({ ...args, srcMask: tf.zeros([4, 6]) })).toThrow(/srcMask/);
    expect(() => seq2seqStep({ ...args, outputKernel: tf.zeros([14, 300]) })).toThrow(/outputKernel/);
    expect(() => seq2seqStep({ ...args, attentionalKernel: tf.zeros([55, 15]) })).toThrow(/attentionalKernel/);
    const attention = args.attention;
    if (attention.kind === 'bahdanau') {
      expect(() => seq2seqStep({ ...args, attention: { ...attention, keys: wrong } })).toThrow(/keys/);
    }
    const dot = build(CASES[4], 3);
    expect(() => seq2seqStep({ ...dot, values: tf.zeros([4, 9, 21]) })).toThrow(/dot attention needs valuesDim \(21\) equal to units \(20\)/);
  }));

  it('leaks no tensors across repeated steps', () => {
    const args = build(CASES[5], 5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const out = seq2seqStep(args);
      tf.dispose([out.logProbs, out.attention, ...out.states]);
    }
    expect(tf.memory().numTensors).toBe(before);
    disposeArgs(args);
  });
});
