// Core's Adam (train/adam.ts) on the fused native update and on tfjs's own ops: the same numbers step for step, the
// same checkpoints, schedules and resume, no leaks, and tfjs's path whenever the fused kernels are off.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { useFusedKernels, type FusedKernelModule } from '../src/layers/fused-kernels.js';
import { adamOptimizer, FusedAdamOptimizer } from '../src/train/adam.js';
import { meanSquaredError } from '../src/train/losses.js';
import { stepDecay } from '../src/train/schedules.js';
import { train } from '../src/train/trainer.js';
import type { TrainConfig } from '../src/train/types.js';
import { maxAbsDiff, rowSource, weightValues } from './fixtures/train-fixtures.js';

const optedOut = process.env.RNNKIT_NATIVE === '0';
const VOCAB = 3000;
const EMBEDDING = 64; // 192,000 embedding weights: the native update splits them over its threads

let root: string;
let nativeModule: FusedKernelModule | null = null;
let fusedCalls = 0;

/** The native module with its Adam update counted, so a test can tell which path ran. */
function countingNative(): FusedKernelModule {
  const mod = nativeModule as FusedKernelModule;
  return {
    ...mod,
    fusedAdamUpdate: (args) => {
      fusedCalls += 1;
      return mod.fusedAdamUpdate(args);
    },
  };
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-adam-'));
  const info = await initBackend({ backend: 'cpu', quiet: true });
  if (!optedOut) {
    expect(info.native, 'the @rnnkit/native addon must be built (node scripts/build-addon.mjs in packages/native)').toBe(true);
    nativeModule = (await import('@rnnkit/native')) as unknown as FusedKernelModule;
  }
});
afterEach(() => {
  useFusedKernels(nativeModule === null ? null : countingNative());
  fusedCalls = 0;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Embedding → flatten → dense: variables of 192,000, 256 and 1 elements, and no fused layer besides Adam. */
function embeddingModel(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.embedding({
        inputDim: VOCAB,
        outputDim: EMBEDDING,
        inputLength: 4,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Token rows and a target that depends on them, from a fixed LCG. */
function tokenData(n: number): { xs: number[][]; ys: number[][] } {
  let s = 11;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  const xs = Array.from({ length: n }, () => Array.from({ length: 4 }, () => next() % VOCAB));
  const ys = xs.map((row) => [row.reduce((a, t) => a + Math.sin(t), 0) / 4]);
  return { xs, ys };
}

const { xs, ys } = tokenData(64);
const data = () => ({ train: rowSource(xs, ys, 16) });

function stepLoss(model: tf.LayersModel, batch: number[][], targets: number[][]): () => tf.Scalar {
  return () => tf.tidy(() => tf.losses.meanSquaredError(tf.tensor2d(targets), model.apply(tf.tensor2d(batch)) as tf.Tensor) as tf.Scalar);
}

async function slotValues(optimizer: tf.Optimizer): Promise<number[][]> {
  const slots = await optimizer.getWeights();
  const values = slots.map((s) => Array.from(s.tensor.dataSync()));
  for (const s of slots) if (!(s.tensor instanceof tf.Variable)) s.tensor.dispose();
  return values;
}

describe('adamOptimizer', () => {
  it("is tfjs's Adam under its serialized name and config", () => {
    const ours = adamOptimizer(0.01);
    const theirs = tf.train.adam(0.01);
    expect(ours).toBeInstanceOf(FusedAdamOptimizer);
    expect(ours).toBeInstanceOf(tf.AdamOptimizer);
    expect(ours.getClassName()).toBe('Adam');
    expect(ours.getConfig()).toEqual(theirs.getConfig());
    ours.dispose();
    theirs.dispose();
  });

  it("runs tfjs's own update when the fused kernels are off", async () => {
    useFusedKernels(null);
    const model = embeddingModel(1);
    const optimizer: tf.Optimizer = adamOptimizer(0.01); // typed as train() holds it
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(stepLoss(model, xs.slice(0, 8), ys.slice(0, 8)), vars);
    const names = (await tf.profile(() => optimizer.applyGradients(grads))).kernels.map((k) => k.name);
    tf.dispose(grads);
    expect(names).toContain('Sqrt');
    expect(names).not.toContain('RnnkitAdamUpdate');
    expect(optimizer.iterations).toBe(1);
    optimizer.dispose();
    model.dispose();
  });
});

describe.skipIf(optedOut)('adamOptimizer on the fused native update', () => {
  beforeAll(() => useFusedKernels(countingNative()));

  it('is one RnnkitAdamUpdate op per variable instead of tfjs elementwise ops', async () => {
    const model = embeddingModel(1);
    const optimizer: tf.Optimizer = adamOptimizer(0.01); // typed as train() holds it
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(stepLoss(model, xs.slice(0, 8), ys.slice(0, 8)), vars);
    const info = await tf.profile(() => optimizer.applyGradients(grads));
    tf.dispose(grads);
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'RnnkitAdamUpdate')).toHaveLength(vars.length);
    expect(names).not.toContain('Sqrt');
    expect(fusedCalls).toBe(vars.length);
    optimizer.dispose();
    model.dispose();
  });

  it('matches tf.train.adam step for step: weights, both moments and the iteration count', async () => {
    const fusedModel = embeddingModel(2);
    const plainModel = embeddingModel(2);
    const fused = adamOptimizer(0.02);
    const plain = tf.train.adam(0.02);
    const fusedVars = fusedModel.trainableWeights.map((w) => w.read() as tf.Variable);
    const plainVars = plainModel.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let step = 0; step < 5; step++) {
      const rows = xs.slice(step * 8, step * 8 + 8);
      const targets = ys.slice(step * 8, step * 8 + 8);
      fused.minimize(stepLoss(fusedModel, rows, targets), false, fusedVars);
      plain.minimize(stepLoss(plainModel, rows, targets), false, plainVars);
    }
    expect(fusedCalls).toBe(5 * fusedVars.length);
    const fusedSlots = await slotValues(fused);
    const plainSlots = await slotValues(plain);
    expect(fusedSlots[0]).toEqual([5]); // iterations
    // tfjs's layout, then the two beta^t products that make a restore exact
    expect(fusedSlots).toHaveLength(1 + 2 * fusedVars.length + 2);
    expectRelativeClose(fusedSlots.slice(0, plainSlots.length), plainSlots, 'moments');
    expect(fusedSlots.slice(-2)[0][0]).toBeCloseTo(0.9 ** 6, 6);
    expect(fusedSlots.slice(-1)[0][0]).toBeCloseTo(0.999 ** 6, 6);
    expectRelativeClose(weightValues(fusedModel), weightValues(plainModel), 'weights');
    // training moved the weights by far more than the tolerance
    expect(maxAbsDiff(weightValues(fusedModel), weightValues(embeddingModel(2)))).toBeGreaterThan(1e-2);
    [fused, plain].forEach((o) => o.dispose());
    [fusedModel, plainModel].forEach((m) => m.dispose());
  });

  it('skips a variable without a gradient but creates its slots, as tfjs does', async () => {
    const a = tf.variable(tf.ones([3]), true);
    const b = tf.variable(tf.ones([2]), true);
    const optimizer = adamOptimizer(0.1);
    const g = tf.ones([3]);
    optimizer.applyGradients([
      { name: a.name, tensor: g },
      { name: b.name, tensor: null as unknown as tf.Tensor },
    ]);
    expect(fusedCalls).toBe(1);
    expect(Array.from(b.dataSync())).toEqual([1, 1]);
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 5);
    expect((await slotValues(optimizer)).map((s) => s.length)).toEqual([1, 3, 2, 3, 2, 1, 1]);
    tf.dispose([a, b, g]);
    optimizer.dispose();
  });

  it('train(): same losses and weights as tfjs Adam under a learning-rate schedule', async () => {
    const cfg: TrainConfig = { epochs: 3, learningRate: 0.02, progress: 'none', seed: 4, schedule: stepDecay({ factor: 0.5, everyEpochs: 1 }) };
    const run = async () => {
      const model = embeddingModel(3);
      const res = await train(model, data(), meanSquaredError, cfg);
      const w = weightValues(model);
      model.dispose();
      return { losses: res.history.map((h) => h.loss), lrs: res.history.map((h) => h.lr), w };
    };
    const fused = await run();
    expect(fusedCalls).toBe(3 * 4 * 3); // epochs × batches × variables
    useFusedKernels(null);
    const plain = await run();
    expect(fused.lrs).toEqual([0.02, 0.01, 0.005]);
    expectRelativeClose(fused.w, plain.w, 'weights');
    fused.losses.forEach((l, i) => expect(Math.abs(l - plain.losses[i])).toBeLessThan(1e-6 * Math.abs(plain.losses[i])));
  });

  it('train(): resuming from a checkpoint matches the uninterrupted run, also when resumed without native', async () => {
    const cfg: TrainConfig = { epochs: 4, learningRate: 0.02, progress: 'none', seed: 5, schedule: stepDecay({ factor: 0.5, everyEpochs: 2 }) };
    const full = embeddingModel(6);
    await train(full, data(), meanSquaredError, cfg);
    const resumedWith = async (fusedOn: boolean, dir: string) => {
      useFusedKernels(countingNative());
      const first = embeddingModel(6);
      await train(first, data(), meanSquaredError, { ...cfg, epochs: 2, checkpointDir: dir });
      first.dispose();
      if (!fusedOn) useFusedKernels(null);
      const callsBefore = fusedCalls;
      const second = embeddingModel(99); // other random weights: resume must overwrite them all
      const res = await train(second, data(), meanSquaredError, { ...cfg, checkpointDir: dir, resume: true });
      expect(res.epochsRun).toBe(2);
      expect(fusedCalls > callsBefore).toBe(fusedOn);
      const w = weightValues(second);
      second.dispose();
      return w;
    };
    // The beta^t products are restored exactly, so a resume on the same path is bit-identical.
    expect(maxAbsDiff(await resumedWith(true, path.join(root, 'resume-true')), weightValues(full))).toBe(0);
    expect(maxAbsDiff(await resumedWith(false, path.join(root, 'resume-false')), weightValues(full))).toBeLessThan(1e-5);
    expect(maxAbsDiff(weightValues(full), weightValues(embeddingModel(6)))).toBeGreaterThan(1e-2);
    full.dispose();
  });

  it('train(): numTensors stays flat across steps and returns to the start afterwards', async () => {
    const model = embeddingModel(7);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(model, data(), meanSquaredError, {
      epochs: 3,
      learningRate: 0.01,
      progress: 'none',
      seed: 1,
      callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(fusedCalls).toBeGreaterThan(0);
    expect(counts).toHaveLength(12);
    // after step 1 the optimizer has created its slots; from then on nothing may accumulate
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

/** Every value within 1e-6 of the other's, relative to the largest magnitude of its array. */
function expectRelativeClose(actual: number[][], expected: number[][], what: string): void {
  expect(actual.map((a) => a.length), `${what}: sizes`).toEqual(expected.map((e) => e.length));
  expected.forEach((e, i) => {
    let scale = 0;
    let worst = 0;
    e.forEach((x, j) => {
      scale = Math.max(scale, Math.abs(x));
      worst = Math.max(worst, Math.abs(actual[i][j] - x));
    });
    expect(worst / Math.max(scale, 1e-30), `${what}[${i}] relative error`).toBeLessThan(1e-6);
  });
}
