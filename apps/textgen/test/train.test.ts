import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@rnnkit/core';
import { loadTextgenModel, trainTextgen, type TextgenTrainOptions } from '../src/index.js';
import { TINY_TEXT, tempDir, writeFixture } from './fixtures.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dataPath = writeFixture(dir, 'tiny.txt', TINY_TEXT);

function options(outDir: string, log: string[], over: Partial<TextgenTrainOptions> = {}): TextgenTrainOptions {
  return {
    dataPath,
    outDir,
    model: { cell: 'gru', units: [12], embedDim: 4, dropout: 0.1 },
    seqLen: 8,
    batchSize: 4,
    epochs: 2,
    maxStepsPerEpoch: 3,
    learningRate: 1e-2,
    clipNorm: 5,
    seed: 3,
    sampleLength: 15,
    sampleTemperatures: [0.5, 1],
    progress: 'none',
    log: (line) => log.push(line),
    ...over,
  };
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('trainTextgen on a tiny fixture', () => {
  it('prints val loss in nats and bits and samples per epoch, and saves a loadable model with its vocab', async () => {
    const log: string[] = [];
    const outDir = join(dir, 'run');
    const run = await trainTextgen(options(outDir, log));
    expect(log.filter((l) => /^epoch \d+: train \d+\.\d+ nats\/char, val \d+\.\d+ nats\/char = \d+\.\d+ bits\/char/.test(l))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('--- sample, temperature 0.5 ---\n'))).toHaveLength(2);
    expect(run.result.history).toHaveLength(2);
    const loaded = await loadTextgenModel(outDir);
    expect(loaded.vocab.toJSON()).toEqual(run.vocab.toJSON());
    expect(loaded.config).toEqual(run.config);
    expect(readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThan(0);
    expect(existsSync(join(outDir, 'loss.svg'))).toBe(true);
    expect(existsSync(join(outDir, 'checkpoints', 'last'))).toBe(true);
  });

  it('is reproducible for a seed', async () => {
    const losses = async (name: string) =>
      (await trainTextgen(options(join(dir, name), [], { sampleLength: 0 }))).result.history.map((h) => h.loss);
    expect(await losses('a')).toEqual(await losses('b'));
  });

  it('resumes from the last checkpoint', async () => {
    const outDir = join(dir, 'resumed');
    await trainTextgen(options(outDir, [], { sampleLength: 0 }));
    const resumed = await trainTextgen(options(outDir, [], { sampleLength: 0, epochs: 3, resume: true }));
    expect(resumed.result.epochsRun).toBe(1);
    expect(resumed.result.history.at(-1)?.epoch).toBe(3);
  });

  it('rejects a file shorter than one window, naming it', async () => {
    const short = writeFixture(dir, 'short.txt', 'too short');
    await expect(trainTextgen(options(join(dir, 'x'), [], { dataPath: short }))).rejects.toThrow(
      `${short}: 9 characters is shorter than one training window`,
    );
  });
});
