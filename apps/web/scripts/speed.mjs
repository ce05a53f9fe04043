// Browser speed figures: the playground's models in headless Chromium (tfjs cpu, and WebGL emulated by SwiftShader:
// this machine has no GPU) next to the same models and inputs in Node, in one run.
//   node apps/web/scripts/speed.mjs [SITE_DIR] [APP ...]   (a site written by `npm run web`, default runs/web/; default every app)
// One JSON line per measurement: {workload, runtime, median, min, max, unit, runs}. Figures, not a pass/fail test.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, serveStatic } from './chromium.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const site = resolve(process.argv[2] ?? join(ROOT, 'runs', 'web'));

const digits = JSON.parse(readFileSync(join(site, 'data', 'digits.json'), 'utf8'));
const image = Buffer.from(digits.sets[0].images[0].pixels, 'base64');
const pixels = Array.from({ length: 28 }, (_, r) => Array.from(image.subarray(r * 28, (r + 1) * 28)));
// A test-split recording at a microphone's 48 kHz (the app's resampler), as the speech page sends an utterance.
const recording = join(site, 'data', 'speech', '7_jackson_0.wav');
const speech = await import(pathToFileURL(join(ROOT, 'apps', 'spoken-digits', 'dist', 'index.js')).href);
const utterance = existsSync(recording) ? speech.readWavFile(recording, 48_000) : undefined;

/** What is timed: page, input (or a function of the app's own example input), runs (after one untimed run), and how a result becomes the reported figure. */
const WORKLOADS = [
  { name: 'textgen sample 500 chars', app: 'textgen', page: 'textgen.html', input: { text: 'ROMEO:\n', decode: { strategy: 'sample', temperature: 0.8, maxLen: 500, seed: 1 } }, runs: 3, unit: 'chars/s', figure: (ms, out) => (out.text.length / ms) * 1000 },
  { name: 'digit classification', app: 'mnist-rows', page: 'digits.html', input: { pixels }, runs: 30, unit: 'ms', figure: (ms) => ms },
  { name: 'headline, beam 4', app: 'summarize', page: 'summarize.html', input: (example) => ({ text: example.text, decode: { strategy: 'beam', beamWidth: 4, maxLen: 20 } }), runs: 5, unit: 'ms', figure: (ms) => ms },
  { name: 'sentiment of a sentence', app: 'sentiment', page: 'sentiment.html', input: (example) => example, runs: 30, unit: 'ms', figure: (ms) => ms },
  { name: 'translation, beam 5', app: 'translate', page: 'translate.html', input: { text: 'Where is the station?', decode: { strategy: 'beam', beamWidth: 5, lengthPenalty: 0.6 }, attention: true }, runs: 10, unit: 'ms', figure: (ms) => ms },
  { name: 'spoken digit at 48 kHz (resampling, MFCCs, model)', app: 'spoken-digits', page: 'speech.html', input: (example) => (utterance ? { samples: Array.from(utterance.samples, (v) => Math.max(-1, Math.min(1, v))), sampleRate: 48_000 } : example), runs: 20, unit: 'ms', figure: (ms) => ms },
  { name: 'chat reply, greedy', app: 'chatbot', page: 'chat.html', input: { message: 'how are you?', decode: { strategy: 'greedy' } }, runs: 10, unit: 'ms', figure: (ms) => ms },
];

const only = process.argv.slice(3);
if (only.length > 0) WORKLOADS.splice(0, WORKLOADS.length, ...WORKLOADS.filter((w) => only.includes(w.app)));

function report(workload, runtime, values) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const round = (v) => Number(v.toPrecision(4));
  console.log(JSON.stringify({ workload: workload.name, runtime, median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), unit: workload.unit, runs: values.length }));
}

// Node: the apps' own predictors on the same model folders (tfjs cpu + rnnkit's native kernels when built).
const core = await import(pathToFileURL(join(ROOT, 'packages', 'core', 'dist', 'index.js')).href);
const backend = await core.initBackend();
const nodeRuntime = `node (${backend.name}${backend.native ? ' + native kernels' : ''})`;
for (const w of WORKLOADS) {
  const mod = await import(pathToFileURL(join(ROOT, 'apps', w.app, 'dist', 'index.js')).href);
  const app = Object.values(mod).find((v) => v && typeof v === 'object' && typeof v.loadPredictor === 'function');
  if (typeof w.input === 'function') w.input = w.input(app.predict.example);
  const predictor = await app.loadPredictor(join(site, 'models', w.app));
  await predictor.predict(w.input);
  const values = [];
  for (let i = 0; i < w.runs; i++) {
    const started = performance.now();
    const out = await predictor.predict(w.input);
    values.push(w.figure(performance.now() - started, out));
  }
  predictor.dispose();
  report(w, nodeRuntime, values);
}

// Chromium: the same calls through each page's worker; the worker's own timing (no message passing in it).
const server = await serveStatic(site);
const browser = await launchChromium();
try {
  for (const browserBackend of ['cpu', 'webgl']) {
    for (const w of WORKLOADS) {
      const page = await browser.newPage();
      await page.goto(`${server.url}${w.page}?backend=${browserBackend}`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 300_000 });
      const results = await page.evaluate(
        async ({ input, runs }) => {
          const predict = globalThis.rnnkitPredict;
          await predict(input);
          const out = [];
          for (let i = 0; i < runs; i++) out.push(await predict(input));
          return out;
        },
        { input: w.input, runs: w.runs },
      );
      report(w, `chromium ${browserBackend === 'webgl' ? 'webgl (SwiftShader, no GPU)' : 'cpu'}`, results.map((r) => w.figure(r.ms, r.output)));
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
