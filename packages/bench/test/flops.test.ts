import { describe, expect, it } from 'vitest';
import { cellStepFlops, floorMs, workloadFlops } from '../src/flops.js';
import { maskedLengths } from '../src/models.js';
import type { RecurrentWorkload, Seq2SeqWorkload } from '../src/workloads.js';

// Shapes of ../shared/bench/workloads.json, inlined so the test needs no file outside the repo.
const textgen: RecurrentWorkload = {
  kind: 'sequence', name: 'textgen-lstm', cell: 'lstm', units: 128, layers: 1, timesteps: 40, batch: 64,
  vocab: 65, embed: 32, manyToMany: true, bidirectional: false, masked: false,
};
const speech: RecurrentWorkload = {
  kind: 'sequence', name: 'speech-bigru', cell: 'gru', units: 128, layers: 2, timesteps: 100, batch: 64,
  features: 40, classes: 10, manyToMany: false, bidirectional: true, masked: true,
};
const seq2seq: Seq2SeqWorkload = {
  kind: 'seq2seq', name: 'seq2seq-attn', vocab: 8000, embed: 128, encoderCell: 'gru', encoderUnits: 128,
  bidirectional: true, decoderUnits: 256, srcTimesteps: 40, tgtTimesteps: 12, batch: 32,
};

describe('FLOP counts (matrix products, 2 per multiply-add)', () => {
  it('one cell step: input and recurrent products of every gate', () => {
    expect(cellStepFlops('lstm', 32, 128)).toBe(2 * 160 * 512);
    expect(cellStepFlops('gru', 40, 128)).toBe(2 * 168 * 384);
  });

  it('textgen-lstm: LSTM over 64×40 steps plus the vocabulary head at every step; training = 3× forward', () => {
    // LSTM 2560 steps × 163,840 + head 2560 × 2·128·65
    const forward = 2560 * 163_840 + 2560 * 16_640;
    expect(workloadFlops(textgen)).toEqual({ forward, train: 3 * forward });
    expect(forward).toBe(462_028_800);
  });

  it('speech-bigru counts only the real steps of each sequence, both directions, second layer on 256 inputs', () => {
    const perRealStep = 2 * 129_024 + 2 * 294_912; // layer 1 (40 in) and layer 2 (256 in), two directions each
    const head = 64 * 2 * 256 * 10;
    const lengths = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 50 : 100));
    expect(workloadFlops(speech, lengths).forward).toBe(32 * 150 * perRealStep + head);
    // Without lengths every row runs all 100 steps.
    expect(workloadFlops(speech).forward).toBe(6400 * perRealStep + head);
    expect(() => workloadFlops(speech, [100])).toThrow(/1 lengths for a batch of 64/);
  });

  it('seq2seq-attn: encoder, decoder, additive attention, attentional layer and the 8000-word output', () => {
    const encoder = 2 * 32 * 40 * 196_608;
    const decoder = 32 * 12 * 589_824;
    const attention = 167_772_160 + 50_331_648 + 7_864_320 + 7_864_320;
    const attentional = 100_663_296;
    const output = 1_572_864_000;
    expect(workloadFlops(seq2seq).forward).toBe(encoder + decoder + attention + attentional + output);
  });

  it('floor: FLOPs at the GEMM peak, in ms', () => {
    expect(floorMs(2e9, 100)).toBeCloseTo(20, 12);
    expect(() => floorMs(1, 0)).toThrow(/must be positive/);
  });
});

describe('masked lengths', () => {
  it('are drawn from half the timesteps to all of them, the same on every call', () => {
    const lengths = maskedLengths(speech);
    expect(lengths).toHaveLength(64);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(100);
    expect(new Set(lengths).size).toBeGreaterThan(10); // actually varied, not one length
    expect(maskedLengths(speech)).toEqual(lengths);
    expect(maskedLengths(speech, 7)).not.toEqual(lengths);
  });
});
