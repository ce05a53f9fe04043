import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binName } from '@rnnkit/core';
import { loadModelFromArtifacts, type LoadedModelArtifacts, type Predictor } from '@rnnkit/core/browser';
import { bundle, bundleProblems, coreDir } from '../../core/test/fixtures/browser-bundle.js';
import { discoverApps, type DiscoveredApp } from './apps.js';
import { trainTiny } from './cli.js';

/**
 * Every app's predictor runs in a web page. Its module (apps/<app>/src/predictor.ts, the package's "./predictor"
 * export) bundles for the browser with esbuild with nothing of Node in it, and exports the same names in every app;
 * a tiny trained model of the app, loaded from its files in memory as a page loads it (`loadModelFromArtifacts`,
 * then `predictorFromArtifacts`), predicts what the app's Node loader (`loadPredictor` on the directory) predicts:
 * numbers within 1e-5, text and tokens identical (greedy, beam and seeded sampling). Another app's model and
 * invalid extras are refused with the loader's one-line errors, the loaded model disposed.
 */

if (!process.env.RNNKIT_DATA_DIR) throw new Error('RNNKIT_DATA_DIR is not set: this test trains tiny models on the real datasets');

const apps = await discoverApps();
const root = mkdtempSync(join(tmpdir(), 'rnnkit-browser-predictor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What a page imports from `@rnnkit/<app>/predictor`. */
interface PredictorModule {
  predictorFromArtifacts(loaded: LoadedModelArtifacts): Predictor;
  exampleInput: Record<string, unknown>;
}

/**
 * Inputs compared besides the app's exampleInput: the other decoding strategies and the extra outputs a playground
 * page shows (rows of mnist-rows, attention and copy probabilities of the Seq2Seq apps).
 */
const MORE_INPUTS: Record<string, (example: Record<string, unknown>) => unknown[]> = {
  textgen: (example) => [{ ...example, decode: { strategy: 'greedy', maxLen: 40 } }],
  'mnist-rows': (example) => [{ ...example, rows: true }],
  summarize: (example) => [{ ...example, attention: true }, { ...example, decode: { beamWidth: 3, maxLen: 12 }, attention: true }],
  chatbot: (example) => [{ ...example, decode: { strategy: 'greedy', maxLen: 12 }, attention: true }, { ...example, decode: { strategy: 'sample', seed: 7, maxLen: 12 } }],
  stocks: () => [],
  translate: (example) => [{ ...example, decode: { strategy: 'greedy' }, attention: true }, { ...example, decode: { beamWidth: 4, lengthPenalty: 1 }, attention: true }],
  'spoken-digits': (example) => [{ ...example, features: true }, { ...example, sampleRate: 44_100, features: true }],
};

const TOLERANCE = 1e-5;

/**
 * Compares two outputs: numbers within TOLERANCE, everything else equal. Returns how many values with content
 * (numbers, non-empty strings) it compared.
 */
function expectSameOutput(actual: unknown, expected: unknown, path: string): number {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(TOLERANCE);
    return 1;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, `${path}.length`).toBe(expected.length);
    return expected.reduce((n: number, e, i) => n + expectSameOutput((actual as unknown[])[i], e, `${path}[${i}]`), 0);
  }
  if (typeof expected === 'object' && expected !== null) {
    expect(Object.keys(actual as object).sort(), `${path} fields`).toEqual(Object.keys(expected).sort());
    return Object.entries(expected).reduce((n, [k, e]) => n + expectSameOutput((actual as Record<string, unknown>)[k], e, `${path}.${k}`), 0);
  }
  expect(actual, path).toEqual(expected);
  return typeof expected === 'string' && expected !== '' ? 1 : 0;
}

/** A model directory's files in memory, as a page has them after fetching. */
function readArtifacts(modelDir: string) {
  const modelJson = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  const rnnkitJson = JSON.parse(readFileSync(join(modelDir, 'rnnkit.json'), 'utf8')) as Record<string, unknown>;
  const weights = Buffer.concat(modelJson.weightsManifest.flatMap((group) => group.paths).map((p) => readFileSync(join(modelDir, p))));
  return { modelJson, rnnkitJson, weights, source: modelDir };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected an error').toBeInstanceOf(Error);
  return (err as Error).message;
}

/** Trained model directories by app name: all of them first, since each app is also shown the next one's model. */
const modelDirs = new Map<string, string>();
beforeAll(() => {
  for (const app of apps) modelDirs.set(app.app.name, trainTiny(app, join(root, app.app.name)));
}, 1_800_000);

describe.each(apps.map((a, i) => [a.app.name, a, apps[(i + 1) % apps.length]] as const))('%s', (name, app: DiscoveredApp, other: DiscoveredApp) => {
  let predictorModule: PredictorModule;

  beforeAll(async () => {
    predictorModule = (await import(`${app.pkg}/predictor`)) as PredictorModule;
  });

  it('its package exports ./predictor like "." and the module exports predictorFromArtifacts and exampleInput', () => {
    const pkg = JSON.parse(readFileSync(join(app.dir, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(pkg.exports['./predictor']).toEqual({ development: './src/predictor.ts', types: './dist/predictor.d.ts', default: './dist/predictor.js' });
    expect(typeof predictorModule.predictorFromArtifacts).toBe('function');
    expect(app.app.predict.example).toBe(predictorModule.exampleInput);
  });

  it('its predictor module bundles for the browser: no Node built-in, Node-only package or Node-only module of core', async () => {
    const entry = join(app.dir, 'src', 'predictor.ts');
    // The development condition resolves the workspace packages to their sources, as the tests and Vite's dev server do.
    const result = await bundle({ entryPoints: [entry], conditions: ['development'], minify: false });
    expect(bundleProblems(result.metafile)).toEqual([]);
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    // It is the real thing: the app's predictor on core's browser entry, with tfjs.
    expect(inputs).toContain(relative(coreDir, entry));
    expect(inputs).toContain('src/browser.ts');
    expect(inputs.some((p) => p.includes('node_modules/@tensorflow/tfjs-layers/'))).toBe(true);
  }, 120_000);

  it('a model loaded from its files in memory predicts what the Node loader predicts', async () => {
    const modelDir = modelDirs.get(name)!;
    const fromDir = await app.app.loadPredictor(modelDir);
    const fromMemory = predictorModule.predictorFromArtifacts(await loadModelFromArtifacts(readArtifacts(modelDir)));
    try {
      expect(fromMemory.app).toBe(name);
      const inputs = [predictorModule.exampleInput, ...(MORE_INPUTS[name]?.(predictorModule.exampleInput) ?? [])];
      let compared = 0;
      for (const [i, input] of inputs.entries()) {
        compared += expectSameOutput(await fromMemory.predict(input), await fromDir.predict(input), `input ${i}`);
      }
      if (fromDir.stream) {
        const pieces: string[][] = [[], []];
        const input = inputs.at(-1);
        await fromDir.stream(input, (p) => pieces[0].push(p));
        await fromMemory.stream!(input, (p) => pieces[1].push(p));
        expect(pieces[1]).toEqual(pieces[0]);
        expect(pieces[0].join('').length).toBeGreaterThan(0);
      }
      // Not two empty outputs: text, scores, probabilities or prices were compared.
      expect(compared).toBeGreaterThan(0);
    } finally {
      fromDir.dispose();
      fromMemory.dispose();
    }
  });

  it("refuses another app's model and invalid extras with the loader's errors, disposing the model", async () => {
    const otherDir = modelDirs.get(other.app.name)!;
    const modelDir = modelDirs.get(name)!;
    const tensors = tf.memory().numTensors;
    expect(await rejection((async () => predictorModule.predictorFromArtifacts(await loadModelFromArtifacts(readArtifacts(otherDir))))())).toBe(
      `${otherDir}: holds a ${other.app.name} model (use ${binName(other.app)}), not a ${name} model`,
    );
    const crafted = readArtifacts(modelDir);
    (crafted.rnnkitJson.extras as Record<string, unknown>).bogus = 1;
    expect(await rejection((async () => predictorModule.predictorFromArtifacts(await loadModelFromArtifacts(crafted)))())).toBe(
      `${modelDir}/rnnkit.json (extras): unknown field "bogus"`,
    );
    // The loaded models' weights are freed; tfjs keeps one internal tensor per model it builds (two models here).
    expect(tf.memory().numTensors - tensors).toBeLessThanOrEqual(2);
  });
});
