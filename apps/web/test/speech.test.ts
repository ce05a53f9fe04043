import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Predictor } from '@rnnkit/core';
import { encodeWav, listRecordings, loadPredictor, readWavFile, resample, recordingsDir, type AppInput, type AppOutput, type Recording } from '@rnnkit/spoken-digits';
import { launchChromium, serveStatic } from './browser.js';

// The spoken-digits page in a real Chromium whose microphone is a WAV file (Chromium's fake audio capture, which
// converts the file to the capture's rate and plays it in a loop). A small model is trained with the app's CLI and
// put on a site by `npm run web`'s script; a test-split recording that Node classifies right is given to Chromium
// as its microphone; the page must find the utterance, resample it from the browser's rate and name the digit, with
// the features and probabilities Node computes.

const ROOT = resolve(import.meta.dirname, '../../..');
const WEB = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'apps', 'spoken-digits', 'dist', 'cli.js');

let tmp: string;
let url: string;
let closeServer: () => Promise<void>;
/** Its microphone plays `recording` (padded with silence) in a loop. */
let fakeMic: Browser;
let node: Predictor<AppInput, AppOutput>;
let recording: Recording;
let original: Float32Array;

let nodeTolerance = 1e-4;

function run(args: string[]): void {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rnnkit-web-speech-'));
  if ((await initBackend()).native) nodeTolerance = 1e-3;
  // Small but not tiny: the page must name the right digit, so the model must know some (about 90% on the test split).
  const models = join(tmp, 'models');
  run([CLI, 'train', '--out', join(models, 'spoken-digits'), '--units', '16', '--max-train', '1000', '--epochs', '10', '--no-baselines', '--seed', '7', '--quiet']);
  node = (await loadPredictor(join(models, 'spoken-digits'))) as Predictor<AppInput, AppOutput>;
  // The first test-split recording (index 0–4) Node reads right and sure of it: the browser must agree.
  const dir = await recordingsDir(undefined);
  const candidates = listRecordings(dir).filter((r) => r.index <= 4).sort((a, b) => a.index - b.index || a.digit - b.digit || a.speaker.localeCompare(b.speaker));
  let found: { rec: Recording; samples: Float32Array } | undefined;
  for (const rec of candidates) {
    const audio = readWavFile(rec.file);
    const out = await node.predict({ samples: Array.from(audio.samples), sampleRate: audio.sampleRate });
    if (out.digit === String(rec.digit) && out.probability >= 0.9) {
      found = { rec, samples: audio.samples };
      break;
    }
  }
  if (!found) throw new Error('the trained model reads no test recording right with p >= 0.9');
  recording = found.rec;
  original = found.samples;
  // A microphone starts with its background (the endpointer's noise floor), then the word, then a pause that ends it.
  const silence = (seconds: number) => new Float32Array(Math.round(seconds * 8000));
  const fakeWav = join(tmp, 'microphone.wav');
  writeFileSync(fakeWav, encodeWav([...silence(1), ...original, ...silence(1.5)], 8000));
  const site = join(tmp, 'site');
  run([join(WEB, 'scripts', 'web.mjs'), '--models', models, '--out', site, '--no-serve']);
  const served = await serveStatic(site);
  url = served.url;
  closeServer = served.close;
  fakeMic = await launchChromium(['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeWav}`]);
}, 600_000);

afterAll(async () => {
  await fakeMic?.close();
  await closeServer?.();
  node?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The speech page in a fresh context (with or without the microphone permission), once its model is loaded. */
async function openSpeech(browser: Browser, backend: 'cpu' | 'webgl', permissions: string[]): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ permissions });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${url}speech.html?backend=${backend}`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready' || !document.getElementById('error')?.hidden, undefined, { timeout: 120_000 });
  expect(await page.locator('#error').textContent()).toBe('');
  expect(await page.evaluate(() => document.body.dataset.backend)).toBe(backend);
  expect(await page.locator('#model-card').textContent()).toMatch(/spoken-digits [\d.]+, [\d,]+ parameters, [\d.]+ (kB|MB) download/);
  return { context, page, errors };
}

function diffs(a: number[][], b: number[][]): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  a.forEach((row, t) => row.forEach((v, j) => {
    const d = Math.abs(v - b[t][j]);
    max = Math.max(max, d);
    sum += d;
  }));
  return { max, mean: sum / (a.length * a[0].length) };
}

/** Normalized cross-correlation of `x` with `y` shifted by `lag` (y read at i + lag; outside y counts as zero). */
function correlation(x: Float32Array, y: Float32Array, lag: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    const v = y[i + lag] ?? 0;
    xy += x[i] * v;
    xx += x[i] * x[i];
    yy += v * v;
  }
  return xy / Math.sqrt(xx * yy + 1e-20);
}

/**
 * Where the captured utterance sits in `reference` (the recording at the capture's rate): a coarse search at 8 kHz,
 * refined sample by sample at the full rate. Returns the lag and its correlation.
 */
function align(captured: Float32Array, reference: Float32Array, rate: number): { lag: number; r: number } {
  const step = rate / 8000;
  const small = (s: Float32Array) => resample(s, rate, 8000);
  const [c8, r8] = [small(captured), small(reference)];
  let coarse = { lag: 0, r: -1 };
  for (let lag = -c8.length; lag < r8.length; lag++) {
    const r = correlation(c8, r8, lag);
    if (r > coarse.r) coarse = { lag, r };
  }
  let best = { lag: 0, r: -1 };
  const centre = Math.round(coarse.lag * step);
  for (let lag = centre - Math.ceil(2 * step); lag <= centre + Math.ceil(2 * step); lag++) {
    const r = correlation(captured, reference, lag);
    if (r > best.r) best = { lag, r };
  }
  return best;
}

describe.each(['cpu', 'webgl'] as const)('on the %s backend', (backend) => {
  it('names the digit spoken into the (fake) microphone, with Node’s features and probabilities', async () => {
    const { context, page, errors } = await openSpeech(fakeMic, backend, ['microphone']);
    await page.click('#record');
    // The recording loops: take the utterance classified last, with the input and output of that very call (read in
    // one turn of the page, so a newer utterance cannot slip in between).
    const handle = await page.waitForFunction(() => {
      const items = document.querySelectorAll<HTMLElement>('#utterances li');
      if (items.length === 0) return false;
      const g = globalThis as { rnnkitLastInput?: unknown; rnnkitLastOutput?: unknown };
      return { shown: items[0].dataset.digit, count: items.length, input: g.rnnkitLastInput, output: g.rnnkitLastOutput };
    }, undefined, { timeout: 90_000 });
    const got = (await handle.jsonValue()) as { shown: string; input: AppInput & { features: boolean }; output: AppOutput };
    expect(await page.locator('#mic-status').textContent()).toMatch(/^listening at \d+ Hz/);
    const rate = got.input.sampleRate;
    // The browser's rate, not the model's: the page must have resampled (Chromium captures at 44.1 or 48 kHz).
    expect(rate).toBeGreaterThanOrEqual(16_000);

    // End to end: the digit on the page is the recording's.
    expect(got.shown).toBe(String(recording.digit));
    expect(got.output.digit).toBe(String(recording.digit));

    // The same input in Node: the same features (the same JavaScript) and probabilities (tfjs on either backend).
    const same = await node.predict({ samples: got.input.samples, sampleRate: rate, features: true });
    expect(diffs(got.output.features!, same.features!).max).toBeLessThan(1e-4);
    expect(Math.max(...got.output.probabilities.map((p, i) => Math.abs(p - same.probabilities[i])))).toBeLessThan(backend === 'cpu' ? nodeTolerance : 1e-2);

    // The captured audio is the recording: aligned with the recording brought to the capture's rate by the app's
    // resampler, its features match those of the same stretch of the file. What remains is Chromium's own
    // resampling of the file to its capture rate; reading the audio at a wrong rate is far off.
    const captured = Float32Array.from(got.input.samples);
    const reference = resample(original, 8000, rate);
    const { lag, r } = align(captured, reference, rate);
    expect(r).toBeGreaterThan(0.99);
    const stretch = Array.from(captured, (_, i) => Math.max(-1, Math.min(1, reference[i + lag] ?? 0)));
    const fromFile = await node.predict({ samples: stretch, sampleRate: rate, features: true });
    // Frames whose samples (and the ±2 frames their deltas read) lie inside the recording: the endpointer keeps 30 ms
    // on each side, where the page hears the fake device's silence through Chromium's resampler and the reference
    // hears zeros, two silences whose log energies differ for no reason that matters.
    const hop = 80;
    const frameLength = 200;
    const first = Math.max(0, -lag) / (rate / 8000) + 16;
    const last = (reference.length - lag) / (rate / 8000) - 16;
    const inside = got.output.features!.map((_, t) => t).filter((t) => (t - 2) * hop >= first && (t + 2) * hop + frameLength <= last);
    expect(inside.length).toBeGreaterThan(0.6 * got.output.features!.length);
    const near = diffs(inside.map((t) => got.output.features![t]), inside.map((t) => fromFile.features![t]));
    expect(near.mean).toBeLessThan(0.05);
    expect(near.max).toBeLessThan(0.25);
    const wrongRate = await node.predict({ samples: got.input.samples, sampleRate: rate === 48_000 ? 44_100 : 48_000, features: true });
    const frames = inside.filter((t) => t < wrongRate.features!.length);
    const wrong = diffs(frames.map((t) => got.output.features![t]), frames.map((t) => wrongRate.features![t]));
    expect(wrong.mean).toBeGreaterThan(4 * near.mean + 0.1);
    // The figures the README quotes.
    console.log(`speech page (${backend}): ${recording.file.split(/[\\/]/).pop()} through the fake microphone at ${rate} Hz, read as ${got.output.digit} (p = ${got.output.probability.toFixed(3)}); correlation with the file ${r.toFixed(6)}; features of ${inside.length} frames vs the file's: mean |Δ| ${near.mean.toFixed(4)}, max ${near.max.toFixed(4)} (read at a wrong rate: mean ${wrong.mean.toFixed(3)})`);

    expect(await page.locator('#features svg').count()).toBe(1);
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('mic-status')?.textContent === 'stopped', undefined, { timeout: 30_000 });
    expect(await page.locator('#record').isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);
});

describe('recordings and refusals', () => {
  it('a test-split sample plays and is classified as Node classifies the file', async () => {
    const { context, page, errors } = await openSpeech(fakeMic, 'cpu', []);
    const samples = JSON.parse(readFileSync(join(tmp, 'site', 'data', 'speech.json'), 'utf8')) as { recordings: { file: string; digit: string }[] };
    expect(samples.recordings.map((r) => r.digit)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await page.locator('#samples button.sample').nth(3).click();
    await page.waitForFunction(() => document.querySelectorAll('#utterances li').length === 1, undefined, { timeout: 60_000 });
    const shown = await page.evaluate(() => (globalThis as { rnnkitLastOutput?: AppOutput }).rnnkitLastOutput!);
    const audio = readWavFile(join(tmp, 'site', 'data', samples.recordings[3].file));
    // Node reads the file at its own 8 kHz: no resampling on either side.
    const expected = await node.predict({ samples: Array.from(audio.samples), sampleRate: audio.sampleRate, features: true });
    expect(shown.digit).toBe(expected.digit);
    expect(Math.max(...shown.probabilities.map((p, i) => Math.abs(p - expected.probabilities[i])))).toBeLessThan(nodeTolerance);
    expect(diffs(shown.features!, expected.features!).max).toBeLessThan(1e-4);
    expect(await page.locator('#player').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('a file that is not a WAV is refused in one line naming it', async () => {
    const { context, page, errors } = await openSpeech(fakeMic, 'cpu', []);
    await page.locator('#upload').setInputFiles({ name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('not audio at all') });
    await page.waitForFunction(() => !document.getElementById('error')?.hidden, undefined, { timeout: 30_000 });
    expect(await page.locator('#error').textContent()).toMatch(/^notes\.wav: not a readable WAV file/);
    expect(await page.locator('#utterances li').count()).toBe(0);
    // The page reports it on the console too (as every page's errors), and nothing else went wrong.
    expect(errors.filter((e) => !e.includes('notes.wav'))).toEqual([]);
    await context.close();
  }, 120_000);

  it('says so when the microphone permission is denied', async () => {
    const { context, page, errors } = await openSpeech(fakeMic, 'cpu', []);
    await page.click('#record');
    await page.waitForFunction(() => !document.getElementById('mic-error')?.hidden, undefined, { timeout: 30_000 });
    expect(await page.locator('#mic-error').textContent()).toMatch(/^Microphone permission denied: allow this page/);
    expect(await page.locator('#record').isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('says so when the site has no spoken-digits model', async () => {
    const context = await fakeMic.newContext({ permissions: ['microphone'] });
    // A site built without the model: its folder answers 404, as a static host does.
    await context.route('**/models/spoken-digits/**', (route) => route.fulfill({ status: 404, body: 'not found' }));
    const page = await context.newPage();
    await page.goto(`${url}speech.html`);
    await page.waitForFunction(() => !document.getElementById('error')?.hidden, undefined, { timeout: 60_000 });
    expect(await page.locator('#error').textContent()).toMatch(/^no spoken-digits model on this site \(http:\/\/[^ ]+\/models\/spoken-digits\/rnnkit\.json not found\): build the site with a trained spoken-digits model \(npm run web\)$/);
    expect(await page.locator('#status').textContent()).toBe('the model could not be loaded');
    expect(await page.locator('#record').isDisabled()).toBe(true);
    await context.close();
  }, 120_000);

  it('says so when there is no microphone', async () => {
    // Chromium without the fake device on a machine with no audio input (this one, CI's container).
    const plain = await launchChromium();
    try {
      const { page, errors } = await openSpeech(plain, 'cpu', ['microphone']);
      await page.click('#record');
      await page.waitForFunction(() => !document.getElementById('mic-error')?.hidden, undefined, { timeout: 30_000 });
      expect(await page.locator('#mic-error').textContent()).toMatch(/^No microphone found/);
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  }, 120_000);
});
