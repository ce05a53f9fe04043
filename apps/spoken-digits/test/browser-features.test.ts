import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_FEATURES, FeatureExtractor, decodeWav, resample } from '../src/index.js';

// The feature pipeline a web page runs (wavefile, the resampler, fft.js, mel, DCT) bundled for the browser by Vite
// and run in Chromium on a real recording, against the same code in Node: a page must feed the model the numbers
// training saw. The microphone's 48 kHz is simulated by resampling the recording up first, in each runtime.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dataRoot = process.env.RNNKIT_DATA_DIR;
const file = dataRoot ? path.join(dataRoot, 'spoken-digits', 'recordings', '7_lucas_3.wav') : '';
const tmp = fs.mkdtempSync(path.join(tmpdir(), 'spoken-digits-browser-'));
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it.runIf(file !== '' && fs.existsSync(file))('browser features of a recording (and of its 48 kHz copy) match Node', async () => {
  const entry = path.join(tmp, 'entry.ts');
  const src = path.resolve(import.meta.dirname, '..', 'src');
  fs.writeFileSync(entry, [
    `import { DEFAULT_FEATURES, FeatureExtractor } from '${src}/features.ts';`,
    `import { resample } from '${src}/resample.ts';`,
    `import { decodeWav } from '${src}/wav.ts';`,
    'export function run(bytes: number[]) {',
    "  const audio = decodeWav(Uint8Array.from(bytes), 'page.wav');",
    '  const fx = new FeatureExtractor(DEFAULT_FEATURES);',
    '  const back = resample(resample(audio.samples, 8000, 48000), 48000, 8000);',
    '  return { direct: Array.from(fx.features(audio.samples).data), viaMic: Array.from(fx.features(back).data) };',
    '}',
  ].join('\n'));
  await build({
    configFile: false, logLevel: 'silent', root: tmp,
    resolve: { conditions: ['development', 'browser', 'module', 'import', 'default'] },
    build: { outDir: path.join(tmp, 'out'), lib: { entry, formats: ['iife'], name: 'SpokenDigits', fileName: () => 'features.js' }, minify: false },
  });
  const code = fs.readFileSync(path.join(tmp, 'out', 'features.js'), 'utf8');

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage();
  await page.setContent('<!doctype html><meta charset="utf-8">');
  await page.addScriptTag({ content: code });
  const bytes = Array.from(fs.readFileSync(file));
  const inBrowser = await page.evaluate((b) => (globalThis as unknown as { SpokenDigits: { run(b: number[]): { direct: number[]; viaMic: number[] } } }).SpokenDigits.run(b), bytes);

  const audio = decodeWav(fs.readFileSync(file), file);
  const fx = new FeatureExtractor(DEFAULT_FEATURES);
  const direct = fx.features(audio.samples).data;
  const viaMic = fx.features(resample(resample(audio.samples, 8000, 48_000), 48_000, 8000)).data;
  for (const [browserValues, nodeValues] of [[inBrowser.direct, direct], [inBrowser.viaMic, viaMic]] as const) {
    expect(browserValues.length).toBe(nodeValues.length);
    let maxDiff = 0;
    browserValues.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - nodeValues[i]))));
    // Same code, same float32 storage: only Math.* rounding may differ between V8 builds.
    expect(maxDiff).toBeLessThan(1e-4);
  }
}, 300_000);
