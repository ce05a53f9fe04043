import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RNNKIT_JSON, Vocab, initBackend, loadModelFromArtifacts, runModel, saveModelDir, setSeed } from '@rnnkit/core';
import {
  AttentionPooling, buildClassifier, loadSentimentModel, loadSentimentPredictor, predictorFromArtifacts, withAttentionOutput,
  type ModelConfig, type SentimentExtras,
} from '../src/index.js';
import { tempDir } from './fixtures.js';

const dir = tempDir('model');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const vocab = Vocab.build([['a', 'gorgeous', 'witty', 'film', 'dull', ',', '.', 'the']]);
const modelConfig = (over: Partial<ModelConfig> = {}): ModelConfig => ({
  vocabSize: vocab.size, embedDim: 8, cell: 'gru', units: [6], bidirectional: true, pooling: 'attention', attentionUnits: 5,
  dropout: 0.2, numClasses: 2, maxLen: 6, ...over,
});
const extrasFor = (cfg: ModelConfig): SentimentExtras => ({
  model: cfg, dataset: 'sst2', language: 'en', classNames: ['negative', 'positive'], vocab: vocab.toJSON(),
  split: { valFraction: 0.05, splitSeed: 1 }, data: 'fixture', dataDescription: 'fixture',
});

async function saved(name: string, cfg: ModelConfig): Promise<string> {
  setSeed(3);
  const model = buildClassifier(cfg);
  const out = join(dir, name);
  await saveModelDir(out, model, { app: { name: 'sentiment', version: '0.2.0' }, extras: extrasFor(cfg) });
  model.dispose();
  return out;
}

/** A copy of a saved model with its rnnkit.json extras edited. */
function editedCopy(source: string, name: string, change: (extras: SentimentExtras) => void): string {
  const copy = join(dir, name);
  rmSync(copy, { recursive: true, force: true });
  cpSync(source, copy, { recursive: true });
  const file = join(copy, RNNKIT_JSON);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { extras: SentimentExtras };
  change(json.extras);
  writeFileSync(file, JSON.stringify(json));
  return copy;
}

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe('AttentionPooling', () => {
  it('gives padding no weight, weights summing to 1 over the tokens, and pools the weighted values', () => {
    setSeed(1);
    const layer = new AttentionPooling({ units: 4 });
    const values = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const mask = tf.tensor2d([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    const [pooled, weights] = layer.apply([values, mask]) as tf.Tensor[];
    const w = weights.arraySync() as number[][];
    expect(w[0][3]).toBeLessThan(1e-6);
    expect(w[0][4]).toBeLessThan(1e-6);
    for (const row of w) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const expected = tf.tidy(() => tf.sum(tf.mul(values, tf.expandDims(weights, -1)), 1));
    const [got, want] = [pooled.dataSync(), expected.dataSync()];
    want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    tf.dispose([values, mask, pooled, weights, expected]);
    layer.dispose();
  });
});

describe('the classifier', () => {
  it.each([
    ['attention, bidirectional', modelConfig()],
    ['last state, bidirectional LSTM', modelConfig({ pooling: 'last', cell: 'lstm' })],
    ['attention + max + mean (concat)', modelConfig({ pooling: 'concat' })],
  ])('%s: padding does not change a text\'s probabilities', (_name, cfg) => {
    setSeed(2);
    const model = buildClassifier(cfg);
    const ids = [vocab.idOf('a'), vocab.idOf('witty'), vocab.idOf('film')];
    const [alone, padded] = tf.tidy(() => [
      runModel(model, tf.tensor2d([ids], [1, 3], 'int32'))[0].dataSync(),
      runModel(model, tf.tensor2d([[...ids, 0, 0, 0], [5, 6, 7, 8, 9, 10]], [2, 6], 'int32'))[0].dataSync().slice(0, 2),
    ]);
    expect(padded[0]).toBeCloseTo(alone[0], 5);
    expect(padded[1]).toBeCloseTo(alone[1], 5);
    expect(withAttentionOutput(model) === null).toBe(cfg.pooling === 'last');
    model.dispose();
  });
});

describe('the predictor', () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = await saved('attention', modelConfig());
  });

  it('returns the label, its probability, the tokens read and one attention weight per token', async () => {
    const predictor = await loadSentimentPredictor(modelDir);
    const out = await predictor.predict({ text: 'A gorgeous, witty film about nothing at all.' });
    expect(out.label === 'positive' || out.label === 'negative').toBe(true);
    expect(out.probability).toBeCloseTo(Math.max(...out.probabilities), 6);
    expect(out.tokens).toEqual(['a', 'gorgeous', ',', 'witty', 'film', 'about']);
    expect(out.truncated).toBe(true);
    expect(out.unknownTokens).toEqual(['about']);
    expect(out.attention).toHaveLength(6);
    expect(out.attention!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    predictor.dispose();
  });

  it('a saved concat-pooling model loads (its max and mean layers are core\'s, registered for loading) and shows attention', async () => {
    setSeed(3);
    const built = buildClassifier(modelConfig({ pooling: 'concat' }));
    const ids = tf.tensor2d([[vocab.idOf('a'), vocab.idOf('witty'), vocab.idOf('film')]], [1, 3], 'int32');
    const direct = tf.tidy(() => runModel(built, ids)[0].dataSync());
    built.dispose();
    const predictor = await loadSentimentPredictor(await saved('concat', modelConfig({ pooling: 'concat' })));
    const out = await predictor.predict({ text: 'a witty film' });
    expect(out.probabilities).toEqual(Array.from(direct, (p) => expect.closeTo(p, 5)));
    expect(out.attention).toHaveLength(3);
    predictor.dispose();
    ids.dispose();
  });

  it('predictBatch gives what predict gives, one text at a time', async () => {
    const predictor = await loadSentimentPredictor(modelDir);
    const texts = ['a dull film .', 'gorgeous', 'the witty , gorgeous film'];
    const batch = await predictor.predictBatch!(texts.map((text) => ({ text })));
    for (const [i, text] of texts.entries()) {
      const one = await predictor.predict({ text });
      expect(batch[i].probabilities[1]).toBeCloseTo(one.probabilities[1], 5);
      expect(batch[i].attention!.map((w) => w.toFixed(5))).toEqual(one.attention!.map((w) => w.toFixed(5)));
    }
    predictor.dispose();
  });

  it('refuses bad input naming the field, and keeps the tensor count flat over many predictions', async () => {
    const predictor = await loadSentimentPredictor(modelDir);
    await expect(predictor.predict({ text: '' })).rejects.toThrow(/field "text"/);
    await expect(predictor.predict({ text: ' ... ' })).resolves.toBeDefined();
    await expect(predictor.predict({ text: '   ' })).rejects.toThrow(/field "text".*no words/);
    await expect(predictor.predict({ text: 'x', extra: 1 })).rejects.toThrow(/unknown field "extra"/);
    await predictor.predict({ text: 'warm up' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await predictor.predict({ text: `a witty film number ${i}` });
    expect(tf.memory().numTensors).toBe(before);
    predictor.dispose();
  });

  it('builds the same predictor from the files in memory (the browser path)', async () => {
    const read = (f: string) => JSON.parse(readFileSync(join(modelDir, f), 'utf8')) as unknown;
    const loaded = await loadModelFromArtifacts({
      modelJson: read('model.json'), rnnkitJson: read(RNNKIT_JSON), weights: readFileSync(join(modelDir, 'weights.bin')), source: modelDir,
    });
    const fromMemory = predictorFromArtifacts(loaded);
    const fromDisk = await loadSentimentPredictor(modelDir);
    const input = { text: 'a gorgeous film' };
    expect((await fromMemory.predict(input)).probabilities[0]).toBeCloseTo((await fromDisk.predict(input)).probabilities[0], 6);
    fromMemory.dispose();
    fromDisk.dispose();
  });

  it('refuses extras that do not match the weights, naming rnnkit.json and the field', async () => {
    const edit = (name: string, change: (extras: SentimentExtras) => void) => editedCopy(modelDir, name, change);
    await expect(loadSentimentModel(edit('huge', (e) => (e.model.units = [1e9])))).rejects.toThrow(/rnnkit\.json \(extras\): field "model\.units\[0\]"/);
    await expect(loadSentimentModel(edit('units', (e) => (e.model.units = [7])))).rejects.toThrow(/rnnkit\.json: field "extras\.model\.units" is 7, which is not a size of the saved weights/);
    await expect(loadSentimentModel(edit('vocab', (e) => ((e.vocab as { tokens: string[] }).tokens.pop())))).rejects.toThrow(/rnnkit\.json: extras\.vocab has \d+ entries but extras\.model\.vocabSize/);
    await expect(loadSentimentModel(edit('pooling', (e) => (e.model.pooling = 'last')))).rejects.toThrow(/extras\.model\.pooling is "last" but the network has attention/);
  });
});

describe('sub-word features (--subword-buckets)', () => {
  const subwords = { buckets: 64, minN: 3, maxN: 5, maxPerWord: 32 };
  let subDir: string;
  beforeAll(async () => {
    subDir = await saved('subwords', modelConfig({ subwords }));
  });

  it('reads unknown words through their character n-grams: two unseen words differ, where a word-only model reads both as <unk>', async () => {
    const withSub = await loadSentimentPredictor(subDir);
    const wordsOnly = await loadSentimentPredictor(await saved('words-only', modelConfig()));
    const texts = ['a witty film , unfunny .', 'a witty film , marvelous .'];
    const [a, b] = await Promise.all(texts.map((text) => withSub.predict({ text })));
    expect(a.unknownTokens).toEqual(['unfunny']);
    expect(Math.abs(a.probabilities[1] - b.probabilities[1])).toBeGreaterThan(1e-6);
    const [c, d] = await Promise.all(texts.map((text) => wordsOnly.predict({ text })));
    expect(c.probabilities).toEqual(d.probabilities);
    withSub.dispose();
    wordsOnly.dispose();
  });

  it('predictBatch = predict, padding invariance, the browser path, and a flat tensor count', async () => {
    const predictor = await loadSentimentPredictor(subDir);
    const texts = ['a dull film .', 'gorgeous', 'the witty , gorgeous film , quite extraordinary'];
    const batch = await predictor.predictBatch!(texts.map((text) => ({ text })));
    for (const [i, text] of texts.entries()) {
      expect(batch[i].probabilities[1]).toBeCloseTo((await predictor.predict({ text })).probabilities[1], 5);
    }
    const read = (f: string) => JSON.parse(readFileSync(join(subDir, f), 'utf8')) as unknown;
    const fromMemory = predictorFromArtifacts(await loadModelFromArtifacts({
      modelJson: read('model.json'), rnnkitJson: read(RNNKIT_JSON), weights: readFileSync(join(subDir, 'weights.bin')), source: subDir,
    }));
    expect((await fromMemory.predict({ text: texts[2] })).probabilities[1]).toBeCloseTo(batch[2].probabilities[1], 6);
    fromMemory.dispose();
    await predictor.predict({ text: 'warm up' });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) await predictor.predict({ text: `an unseen word number ${i}` });
    expect(tf.memory().numTensors).toBe(before);
    predictor.dispose();
  });

  it('refuses sub-word settings that do not match the network, naming the field', async () => {
    const edit = (name: string, change: (extras: SentimentExtras) => void) => editedCopy(subDir, name, change);
    await expect(loadSentimentModel(edit('sub-buckets', (e) => (e.model.subwords!.buckets = 100)))).rejects.toThrow(/field "extras\.model\.subwords\.buckets" is 101, which is not a size of the saved weights/);
    await expect(loadSentimentModel(edit('sub-none', (e) => delete e.model.subwords))).rejects.toThrow(/extras\.model\.subwords is absent but the network has sub-word embedding layer/);
    await expect(loadSentimentModel(edit('sub-n', (e) => (e.model.subwords!.maxN = 2)))).rejects.toThrow(/field "model\.subwords\.maxN"/);
  });
});
