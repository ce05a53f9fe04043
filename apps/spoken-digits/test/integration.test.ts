import { spawnSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { commandContext, initBackend, runTraining } from '@rnnkit/core';
import {
  app, buildModel, configSchema, decodeWav, encodeWav, featureRows, inputFeatures, loadDigitsModel, modelAccuracy, modelConfigOf, type DigitsRun,
} from '../src/index.js';
import { concat, noise } from './signals.js';

// Real recordings: $RNNKIT_DATA_DIR/spoken-digits (the CI sets it); without them the test fails, saying so.
const dataRoot = process.env.RNNKIT_DATA_DIR;
const recordings = dataRoot ? path.join(dataRoot, 'spoken-digits', 'recordings') : '';
if (recordings === '' || !fs.existsSync(recordings)) {
  throw new Error('this test trains on real recordings: set RNNKIT_DATA_DIR to a folder holding spoken-digits/recordings');
}
const cli = path.join(import.meta.dirname, '..', 'dist', 'cli.js');
const dir = fs.mkdtempSync(path.join(tmpdir(), 'spoken-digits-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A small slice of the dataset: indices 0–9 of every speaker and digit (600 files; the official rule makes 0–4 the
// test part), linked into a folder so the run reads only those.
const subset = path.join(dir, 'subset');
beforeAll(() => {
  fs.mkdirSync(subset);
  for (const name of fs.readdirSync(recordings)) {
    const m = /^\d_[a-z]+_(\d+)\.wav$/.exec(name);
    if (m && Number(m[1]) <= 9) fs.symlinkSync(path.join(recordings, name), path.join(subset, name));
  }
});

const runCli = (args: string[], input?: Buffer) => spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: 120_000 });

describe('spoken-digits on real recordings', () => {
  let run: DigitsRun;

  it('learns the digits from 270 recordings well above what the untrained model scores', async () => {
    await initBackend({ quiet: true });
    const config = configSchema.parse({ data: subset, out: path.join(dir, 'run'), epochs: 8, patience: 0, seed: 3, baselines: false });
    run = (await runTraining(app, config, false, commandContext({ quiet: true }))) as DigitsRun;
    const y = Int32Array.from(run.parts.test, (e) => e.rec.digit);
    const untrained = buildModel(modelConfigOf(config));
    expect(modelAccuracy(untrained, run.parts.x.test, y)).toBeLessThan(0.3);
    untrained.dispose();
    expect(run.evaluation!.model.accuracy).toBeGreaterThan(0.7);
    expect(fs.readFileSync(path.join(dir, 'run', 'confusion.svg'), 'utf8')).toMatch(/^<svg/);
    run.model.dispose();
  }, 600_000);

  it('--seed reproduces a run: the same seed gives the same weights, another seed other ones', async () => {
    const weights = async (seed: number, out: string) => {
      const config = configSchema.parse({ data: subset, out: path.join(dir, out), epochs: 1, maxStepsPerEpoch: 3, seed, baselines: false, maxTrain: 100 });
      const r = (await runTraining(app, config, false, commandContext({ quiet: true }))) as DigitsRun;
      const values = r.model.getWeights().map((w) => Array.from(w.dataSync()));
      r.model.dispose();
      return values.flat();
    };
    const a = await weights(5, 'seed-a');
    expect(await weights(5, 'seed-b')).toEqual(a);
    expect(await weights(6, 'seed-c')).not.toEqual(a);
  }, 600_000);

  it('predict FILE.wav and a raw PCM stream on stdin agree; the stream ends at --duration; bad files are one line', async () => {
    const model = path.join(dir, 'run');
    const files = ['3_jackson_0.wav', '8_nicolas_1.wav'].map((f) => path.join(recordings, f));
    const single = files.map((f) => runCli(['predict', f, '--model', model, '--json', '--quiet']));
    single.forEach((r) => expect(r.status, r.stderr).toBe(0));
    const outputs = single.map((r) => JSON.parse(r.stdout));
    expect(outputs[0].top.length).toBe(3);
    expect(outputs[0].probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);

    // Silence, the first recording, silence, the second, silence: as a microphone pipe would send it.
    const audio = files.map((f) => decodeWav(fs.readFileSync(f), f).samples);
    const quiet = (s: number) => noise(Math.round(s * 8000), 0.0005, Math.round(s * 100));
    const stream = concat(quiet(0.5), audio[0], quiet(0.7), audio[1], quiet(0.6));
    const pcm = Buffer.alloc(stream.length * 2);
    stream.forEach((v, i) => pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), i * 2));
    const streamed = runCli(['predict', '-', '--model', model, '--json', '--quiet'], pcm);
    expect(streamed.status, streamed.stderr).toBe(0);
    const lines = streamed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(2);
    expect(lines[0].start).toBeLessThan(0.5);
    expect(lines[1].start).toBeGreaterThan(0.5 + audio[0].length / 8000);
    // Each line is the model's answer on the stream cut at the utterance's reported times (this tiny model is
    // fragile to the few ms of silence the cut adds; the full model's stream accuracy is in the README).
    const predictor = await app.loadPredictor(model);
    for (const l of lines) {
      const cut = stream.subarray(Math.round(l.start * 8000), Math.round(l.end * 8000));
      const pcmCut = Array.from(cut, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767) / 32768);
      expect((await predictor.predict({ samples: pcmCut, sampleRate: 8000 })).probabilities).toEqual(l.probabilities);
    }
    predictor.dispose();

    // A pipe that stays open: --duration returns anyway.
    const child = spawn(process.execPath, [cli, 'predict', '-', '--model', model, '--duration', '1', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.write(pcm.subarray(0, 1600));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    child.stdin.destroy();

    // A float WAV and a file that is not there: one line each, naming the file.
    const float = path.join(dir, 'float.wav');
    const bytes = Buffer.from(encodeWav([0.1, 0.2], 8000));
    bytes.writeUInt16LE(3, 20);
    fs.writeFileSync(float, bytes);
    for (const [file, message] of [[float, `${float}: WAV format tag 3 is not supported`], [path.join(dir, 'nope.wav'), `${path.join(dir, 'nope.wav')}: cannot read (ENOENT)`]]) {
      const r = runCli(['predict', file, '--model', model, '--quiet']);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines.length).toBe(1);
      expect(lines[0].startsWith(`error: ${message}`)).toBe(true);
    }
  }, 600_000);

  it('the predictor classifies a resampled copy like the original and keeps tensors flat', async () => {
    const loaded = await loadDigitsModel(path.join(dir, 'run'));
    const predictor = await app.loadPredictor(path.join(dir, 'run'));
    const file = path.join(recordings, '5_theo_2.wav');
    const audio = decodeWav(fs.readFileSync(file), file);
    const { resample } = await import('../src/resample.js');
    const at48 = resample(audio.samples, 8000, 48_000);
    const a = await predictor.predict({ samples: Array.from(audio.samples), sampleRate: 8000 });
    const b = await predictor.predict({ samples: Array.from(at48, (v) => Math.max(-1, Math.min(1, v))), sampleRate: 48_000 });
    expect(b.digit).toBe(a.digit);
    // features: true adds the normalized frames the model read (the web page draws them), and nothing else changes.
    expect(a.features).toBeUndefined();
    const withFeatures = await predictor.predict({ samples: Array.from(at48, (v) => Math.max(-1, Math.min(1, v))), sampleRate: 48_000, features: true });
    expect(withFeatures.features).toEqual(featureRows(inputFeatures(loaded, Float32Array.from(at48, (v) => Math.max(-1, Math.min(1, v))), 48_000)));
    expect(withFeatures.features![0]).toHaveLength(loaded.extras.model.featureDim);
    expect(withFeatures.probabilities).toEqual(b.probabilities);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await predictor.predict({ samples: Array.from(audio.samples), sampleRate: 8000 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(predictor.predict({ samples: [2], sampleRate: 8000 })).rejects.toThrow(/field "samples/);
    predictor.dispose();
    loaded.model.dispose();
  }, 600_000);
});
