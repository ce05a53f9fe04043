// `npm run decode-ab`: the bench's beam-4 Seq2Seq reply (seq2seq-attn shapes, see reply.ts) decoded two ways in one
// process, in alternating rounds (the side that goes first swaps every round), so that load from other jobs hits
// both alike: "tfjs step", the step model run through tfjs kernels with every state tensor (the encoder context
// included) gathered by beam search at every step, as decoding ran before the fused Seq2Seq step; and "fused step",
// what seq2seqStepFunction gives with @rnnkit/native (one native call per step, the context copied once per search).
// Both use the native kernels elsewhere (encoder, GEMM). Prints one JSON line per side and the per-round ratios
// fused / tfjs; first checks that both give the same hypotheses.
//
//   npm run decode-ab -- [--rounds 9] [--replies 5] [--attention bahdanau|dot|general]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildSeq2Seq, initBackend, median, seq2seqStepFunction, setSeed, spread, useFusedKernels, type StepFunction } from '@rnnkit/core';
import * as native from '@rnnkit/native';
import { emit, integerFlag } from './output.js';
import { medianReplyMs, reply, replySource } from './reply.js';
import { pairedRatios, round, roundSpread } from './stats.js';
import { loadWorkloads } from './workloads.js';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    replies: { type: 'string', default: '5' },
    attention: { type: 'string', default: 'bahdanau' },
  },
});

async function main(): Promise<void> {
  const rounds = integerFlag('rounds', opts.rounds, 1);
  const replies = integerFlag('replies', opts.replies, 1);
  const attention = opts.attention;
  if (attention !== 'bahdanau' && attention !== 'dot' && attention !== 'general') {
    throw new Error(`--attention must be bahdanau, dot or general, got '${attention}'`);
  }
  const w = loadWorkloads(['seq2seq-attn']).workloads[0];
  if (w.kind !== 'seq2seq') throw new Error(`workload seq2seq-attn is not a Seq2Seq workload (kind ${w.kind})`);
  setSeed(1234);
  const info = await initBackend({ backend: 'cpu', native: true });
  if (!info.native) throw new Error('decode-ab needs the native addon (build it with `npm run build` in packages/native)');
  emit({ metric: 'machine', date: new Date().toISOString(), loadavg: loadavg().map((x) => round(x, 2)), node: process.version });
  const models = buildSeq2Seq({
    srcVocab: w.vocab, tgtVocab: w.vocab, embedDim: w.embed, encoderCell: w.encoderCell, encoderUnits: w.encoderUnits,
    bidirectional: w.bidirectional, decoderUnits: w.decoderUnits, attention, seed: 1234,
  });
  // Built while the fused ops are off, this step function runs the step model through tfjs; without selectRows,
  // beam search gathers every state tensor.
  useFusedKernels(null);
  const tfjs = seq2seqStepFunction(models);
  useFusedKernels(native);
  const sides: { label: string; step: StepFunction; ms: number[] }[] = [
    { label: 'fused step', step: seq2seqStepFunction(models), ms: [] },
    { label: 'tfjs step', step: { step: (tokens, states) => tfjs.step(tokens, states) }, ms: [] },
  ];
  const source = replySource(w);
  const [a, b] = sides.map((s) => reply(models, s.step, source));
  const sameTokens = JSON.stringify(a.map((h) => h.tokens)) === JSON.stringify(b.map((h) => h.tokens));
  const logProbDiff = Math.max(...a.map((h, i) => Math.abs(h.logProb - b[i].logProb)));
  emit({ metric: 'decode-ab-check', attention, same_tokens: sameTokens, max_logprob_diff: Number(logProbDiff.toExponential(2)) });
  if (!sameTokens) throw new Error('the two steps gave different hypotheses');
  // Untimed replies first (V8 compiling each path), as many as are timed.
  for (const s of sides) for (let i = 0; i < replies; i++) reply(models, s.step, source);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) s.ms.push(medianReplyMs(models, s.step, source, replies));
    process.stderr.write(`decode-ab: round ${r + 1}/${rounds}\n`);
  }
  for (const s of sides) {
    emit({ metric: 'seq2seq-reply', workload: w.name, attention, side: s.label, rounds, replies, reply_ms: round(median(s.ms), 2), reply_ms_spread: roundSpread(spread(s.ms), 2) });
  }
  const ratios = pairedRatios(sides[0].ms, sides[1].ms);
  emit({ metric: 'seq2seq-reply-ratio', workload: w.name, attention, of: 'fused step / tfjs step, per round', ratios: ratios.map((x) => round(x, 3)), ratio: roundSpread(spread(ratios), 3) });
  emit({ metric: 'machine-end', date: new Date().toISOString(), loadavg: loadavg().map((x) => round(x, 2)) });
}

main().catch((err: unknown) => {
  process.stderr.write(`decode-ab: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
