import { it } from 'vitest';
import { initBackend, setSeed, train } from '@rnnkit/core';
import { buildCharVocab, buildStepModel, buildTrainingModel, charWindowSource, encodeText, nextCharLoss, readCorpus, splitTrainVal, streamLoss } from '../src/index.js';

it('scratch timing', async () => {
  await initBackend({});
  const text = readCorpus(`${process.env.RNNKIT_DATA_DIR}/tinyshakespeare/input.txt`);
  const vocab = buildCharVocab(text);
  const seqLen = Number(process.env.SEQ ?? 64), batch = Number(process.env.BATCH ?? 32), steps = Number(process.env.STEPS ?? 30);
  const split = splitTrainVal(encodeText(vocab, text), seqLen);
  setSeed(1);
  const config = { vocabSize: vocab.size, embedDim: 32, cell: (process.env.CELL ?? 'lstm') as 'lstm', units: (process.env.UNITS ?? '128').split(',').map(Number), dropout: 0 };
  const model = buildTrainingModel(config);
  const t0 = Date.now();
  const r = await train(model, { train: charWindowSource(split.train, { seqLen, batchSize: batch, shuffle: true }) }, nextCharLoss,
    { epochs: 1, learningRate: Number(process.env.LR ?? 1e-2), clipNorm: 5, maxStepsPerEpoch: steps, progress: 'none', handleSignals: false });
  const dt = (Date.now() - t0) / 1000;
  const t1 = Date.now();
  const val = streamLoss(buildStepModel(config, model), config, split.val.subarray(0, Number(process.env.VALN ?? 20000)));
  console.log(`steps ${steps} in ${dt}s (${(steps / dt).toFixed(2)} steps/s); train loss ${r.history[0].loss.toFixed(3)}; val ${val.toFixed(3)} in ${(Date.now() - t1) / 1000}s`);
}, 600_000);
