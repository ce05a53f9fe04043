import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandContext, initBackend, runTraining } from '@rnnkit/core';
import { loadTextgenModel, textgenApp, textgenConfigSchema, type TextgenConfig, type TextgenRun } from '../src/index.js';
import { TINY_TEXT, tempDir, writeFixture } from './fixtures.js';

const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dataPath = writeFixture(dir, 'tiny.txt', TINY_TEXT);

/** A tiny run through the same path as the CLI's train command (config schema, run dir, lock, run.json). */
async function trainTiny(outDir: string, log: string[], over: Partial<TextgenConfig> = {}, resume = false): Promise<TextgenRun> {
  const config = textgenConfigSchema.parse({
    data: dataPath, out: outDir, cell: 'gru', units: [12], embedDim: 4, dropout: 0.1, seqLen: 8, batchSize: 4, epochs: 2,
    maxStepsPerEpoch: 3, lr: 1e-2, clipNorm: 5, seed: 3, sampleLength: 15, ...over,
  });
  const ctx = commandContext({ info: (line) => log.push(line), progress: 'none' });
  return (await runTraining(textgenApp, config, resume, ctx)) as TextgenRun;
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('trainTextgen on a tiny fixture', () => {
  it('prints val loss in nats and bits and samples per epoch, and saves a loadable model with its vocab', async () => {
    const log: string[] = [];
    const outDir = join(dir, 'run');
    const run = await trainTiny(outDir, log);
    expect(log.filter((l) => /^epoch \d+: train \d+\.\d+ nats\/char, val \d+\.\d+ nats\/char = \d+\.\d+ bits\/char/.test(l))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('--- sample, temperature 0.5 ---\n'))).toHaveLength(2);
    expect(log.filter((l) => l.startsWith('--- sample, temperature 1 ---\n'))).toHaveLength(2);
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
      (await trainTiny(join(dir, name), [], { sampleLength: 0 })).result.history.map((h) => h.loss);
    expect(await losses('a')).toEqual(await losses('b'));
  });

  it('resumes from the last checkpoint', async () => {
    const outDir = join(dir, 'resumed');
    await trainTiny(outDir, [], { sampleLength: 0 });
    const resumed = await trainTiny(outDir, [], { sampleLength: 0, epochs: 3 }, true);
    expect(resumed.result.epochsRun).toBe(1);
    expect(resumed.result.history.at(-1)?.epoch).toBe(3);
  });

  it('refuses to resume on other text, naming the file, even when it has the same characters', async () => {
    const outDir = join(dir, 'other-text');
    const data = writeFixture(dir, 'changing.txt', TINY_TEXT);
    await trainTiny(outDir, [], { sampleLength: 0, epochs: 1, data });
    // The same characters in another order: the same vocabulary, so only the data's fingerprint can tell.
    writeFixture(dir, 'changing.txt', [...TINY_TEXT].reverse().join(''));
    await expect(trainTiny(outDir, [], { sampleLength: 0, epochs: 2, data }, true)).rejects.toThrow(`${data}: content differs from the data the checkpoint was trained on`);
    const other = writeFixture(dir, 'other.txt', TINY_TEXT.replace(/e/g, 'E'));
    await expect(trainTiny(outDir, [], { sampleLength: 0, epochs: 2, data: other }, true)).rejects.toThrow(`${other}: content differs`);
  });

  it('with --lr-plateau, halves the rate after each epoch whose validation loss did not improve, and only then', async () => {
    const run = await trainTiny(join(dir, 'plateau'), [], { sampleLength: 0, epochs: 8, lr: 0.3, lrPlateau: 0.5, patience: 0, randomOffset: true });
    const h = run.result.history;
    expect(h).toHaveLength(8);
    let best = Infinity;
    let expected = 0.3;
    for (const epoch of h) {
      expect(epoch.lr).toBeCloseTo(expected, 10);
      const val = epoch.val_loss as number;
      if (val < best) best = val;
      else expected *= 0.5;
    }
    expect(expected).toBeLessThan(0.3); // the rate at 0.3 is high enough for this fixture to have non-improving epochs
  });

  it('refuses --lr-decay together with --lr-plateau', async () => {
    await expect(trainTiny(join(dir, 'both'), [], { lrDecay: 0.9, lrPlateau: 0.5 })).rejects.toThrow('--lr-decay and --lr-plateau cannot both be set');
  });

  it('rejects a file shorter than one window, naming it', async () => {
    const short = writeFixture(dir, 'short.txt', 'too short');
    await expect(trainTiny(join(dir, 'x'), [], { data: short })).rejects.toThrow(
      `${short}: 9 characters is shorter than one training window`,
    );
  });
});
