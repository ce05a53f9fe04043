import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeStep, type CellType, type DecodeLayerArgs } from '../src/index.js';
import { expectAddonLoaded, expectClose, gemmConfigs, optedOut, randomTensor, referenceSequence, useGemmConfig } from './helpers.js';

const GATES: Record<CellType, number> = { lstm: 4, gru: 3, simple: 1 };

interface Case {
  N: number;
  vocab: number;
  embed: number;
  layers: { cell: CellType; units: number; bias: boolean }[];
  denseBias: boolean;
}

// Odd widths, one to five rows (decoding batches and beams), stacks of mixed cells.
const CASES: Case[] = [
  { N: 1, vocab: 65, embed: 32, layers: [{ cell: 'lstm', units: 37, bias: true }], denseBias: true },
  { N: 3, vocab: 11, embed: 5, layers: [{ cell: 'gru', units: 7, bias: true }, { cell: 'gru', units: 33, bias: false }], denseBias: false },
  { N: 5, vocab: 300, embed: 9, layers: [{ cell: 'simple', units: 17, bias: true }, { cell: 'lstm', units: 70, bias: true }], denseBias: true },
  { N: 4, vocab: 40, embed: 16, layers: [{ cell: 'lstm', units: 128, bias: true }, { cell: 'lstm', units: 64, bias: true }], denseBias: true },
];

function build(c: Case, seed: number) {
  let width = c.embed;
  const layers: DecodeLayerArgs[] = c.layers.map((l, i) => {
    const s = seed + 10 * i;
    const layer: DecodeLayerArgs = {
      cell: l.cell,
      kernel: randomTensor([width, GATES[l.cell] * l.units], s, 0.5),
      recurrentKernel: randomTensor([l.units, GATES[l.cell] * l.units], s + 1, 0.5),
      bias: l.bias ? randomTensor([GATES[l.cell] * l.units], s + 2, 0.3) : null,
      h: randomTensor([c.N, l.units], s + 3, 0.7),
      c: l.cell === 'lstm' ? randomTensor([c.N, l.units], s + 4, 0.7) : null,
    };
    width = l.units;
    return layer;
  });
  const tokens = Int32Array.from({ length: c.N }, (_, i) => (seed * 7 + i * 13) % c.vocab);
  return {
    tokens,
    embedding: randomTensor([c.vocab, c.embed], seed + 100),
    layers,
    dense: randomTensor([width, c.vocab], seed + 101, 0.4),
    denseBias: c.denseBias ? randomTensor([c.vocab], seed + 102, 0.2) : null,
  };
}

/** The same step with tf ops: gather, each layer's one-step reference, dense, log-softmax. */
function reference(args: ReturnType<typeof build>): { logProbs: tf.Tensor; states: tf.Tensor[] } {
  return tf.tidy(() => {
    let x: tf.Tensor = tf.gather(args.embedding, tf.tensor1d(args.tokens, 'int32'));
    const states: tf.Tensor[] = [];
    for (const l of args.layers) {
      const r = referenceSequence({ ...l, x: x.expandDims(1), h0: l.h, c0: l.c, mask: null, goBackwards: false });
      states.push(r.h, ...(r.c ? [r.c] : []));
      x = r.h;
    }
    let logits = tf.matMul(x, args.dense);
    if (args.denseBias) logits = logits.add(args.denseBias);
    return { logProbs: tf.logSoftmax(logits), states };
  });
}

describe.skipIf(optedOut)('decodeStep', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
  });

  for (const config of gemmConfigs()) {
    describe(`with the ${config.label} GEMM`, () => {
      beforeAll(() => useGemmConfig(config));
      CASES.forEach((c, i) => {
        const label = `N=${c.N} vocab=${c.vocab} embed=${c.embed} ${c.layers.map((l) => `${l.cell}${l.units}${l.bias ? '' : ' no-bias'}`).join(' > ')}`;
        it(`matches the tf-ops step: ${label}`, () => {
          const args = build(c, 17 * i + 3);
          const out = decodeStep(args);
          const ref = reference(args);
          expectClose(out.logProbs, ref.logProbs, 1e-4, 'logProbs');
          expect(out.states.length).toBe(ref.states.length);
          out.states.forEach((s, k) => expectClose(s, ref.states[k], 1e-4, `state ${k}`));
          tf.dispose([out.logProbs, ...out.states, ref.logProbs, ...ref.states]);
        });
      });
    });
  }

  it('rejects a token outside the vocabulary with a message naming it', () => {
    const args = build(CASES[0], 1);
    expect(() => decodeStep({ ...args, tokens: Int32Array.from([65]) })).toThrow(/token 65 outside the vocabulary \[0, 65\)/);
    expect(() => decodeStep({ ...args, tokens: Int32Array.from([-1]) })).toThrow(/token -1 outside/);
  });

  it('rejects weights of the wrong size', () => {
    const args = build(CASES[0], 2);
    expect(() => decodeStep({ ...args, dense: tf.zeros([36, 65]) })).toThrow(/dense/);
  });

  it('leaks no tensors across repeated steps', () => {
    const args = build(CASES[1], 5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const out = decodeStep(args);
      tf.dispose([out.logProbs, ...out.states]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
