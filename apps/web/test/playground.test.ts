import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY } from '@rnnkit/contract-tests/tiny';
import * as tf from '@tensorflow/tfjs';
import { initBackend, loadModelDir, runModel, type AppDefinition, type Predictor } from '@rnnkit/core';
import { textgenApp } from '@rnnkit/textgen';
import { mnistApp } from '@rnnkit/mnist-rows';
import { stocksApp } from '@rnnkit/stocks';
import { summarizeApp } from '@rnnkit/summarize';
import { chatbotApp } from '@rnnkit/chatbot';
import { sentimentApp } from '@rnnkit/sentiment';
import { app as translateApp } from '@rnnkit/translate';
import { launchChromium, openPage, serveStatic } from './browser.js';

// The playground in a real Chromium: tiny models of every app are trained with the apps' CLIs, put on the site by
// `npm run web`'s script, and each page is driven like a user would (typing, drawing, clicking). Numbers the page
// shows are compared with the Node predictor on the same model and input.

const ROOT = resolve(import.meta.dirname, '../../..');
const WEB = resolve(import.meta.dirname, '..');
/** The apps whose models export to stock tfjs layers (the attention models need rnnkit's layers; stocks' quantile head is stock layers). */
const PLAIN_APPS = ['textgen', 'mnist-rows', 'stocks'];
const APPS: Record<string, AppDefinition<any, any, any>> = { textgen: textgenApp, 'mnist-rows': mnistApp, stocks: stocksApp, summarize: summarizeApp, chatbot: chatbotApp, sentiment: sentimentApp, translate: translateApp };

let tmp: string;
let site: string;
let url: string;
let closeServer: () => Promise<void>;
let browser: Browser;
/** Node's predictor for each app's model (the reference the browser must match). */
const nodePredictors = new Map<string, Predictor>();
/** Node runs tfjs cpu with rnnkit's native kernels (different summation order): the 1e-3; plain cpu 1e-4. */
let nodeTolerance = 1e-4;

function run(args: string[]): string {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rnnkit-web-'));
  if ((await initBackend()).native) nodeTolerance = 1e-3;
  for (const app of Object.keys(APPS)) {
    run([join(ROOT, 'apps', app, 'dist', 'cli.js'), 'train', '--out', join(tmp, 'models', app), '--epochs', '1', '--max-steps-per-epoch', '2', '--seed', '7', '--quiet', ...TINY[app].train]);
    nodePredictors.set(app, await APPS[app].loadPredictor(join(tmp, 'models', app)));
  }
  site = join(tmp, 'site');
  run([join(WEB, 'scripts', 'web.mjs'), '--models', join(tmp, 'models'), '--out', site, '--no-serve']);
  // Plain-tfjs exports and a page with nothing but tfjs's own bundle: the models must load there without rnnkit.
  for (const app of PLAIN_APPS) run([join(ROOT, 'apps', app, 'dist', 'cli.js'), 'export', join(tmp, 'models', app), '--plain-tfjs', join(site, 'plain', app), '--quiet']);
  copyFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs/dist/tf.min.js'), join(site, 'plain', 'tf.min.js'));
  writeFileSync(join(site, 'plain', 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="tf.min.js"></script>');
  const served = await serveStatic(site);
  url = served.url;
  closeServer = served.close;
  browser = await launchChromium();
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await closeServer?.();
  for (const p of nodePredictors.values()) p.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Opens a page on a backend and waits until its model is loaded. */
async function open(file: string, backend: 'cpu' | 'webgl'): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser, `${url}${file}?backend=${backend}`);
  await opened.page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready' || !document.getElementById('error')?.hidden, undefined, { timeout: 120_000 });
  expect(await opened.page.locator('#error').textContent()).toBe('');
  expect(await opened.page.evaluate(() => document.body.dataset.backend)).toBe(backend);
  // The model card states the model and its download size (from the export's manifest).
  expect(await opened.page.locator('#model-card').textContent()).toMatch(/parameters, [\d.]+ (kB|MB) download \([\d.]+ (kB|MB) gzipped\), float32 weights/);
  return opened;
}

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

describe('the home page', () => {
  it('links every app page and loads without errors', async () => {
    const { page, errors } = await openPage(browser, url);
    const links = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['./index.html', './textgen.html', './digits.html', './stocks.html', './summarize.html', './chat.html', './sentiment.html', './translate.html', './speech.html']);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('a site without a model', () => {
  it('the page says its model is missing, in one line, and offers nothing to run', async () => {
    const empty = join(tmp, 'no-models');
    mkdirSync(empty);
    run([join(WEB, 'scripts', 'web.mjs'), '--models', empty, '--out', join(tmp, 'site-empty'), '--no-serve']);
    // Vite's preview server answers unknown paths with index.html (status 200), as many static hosts do.
    const served = await serveStatic(join(tmp, 'site-empty'));
    try {
      const { page, errors } = await openPage(browser, `${served.url}translate.html`);
      await page.waitForFunction(() => !document.getElementById('error')?.hidden, undefined, { timeout: 60_000 });
      expect(await page.locator('#error').textContent()).toMatch(/^no translate model on this site \(http:\/\/[^ ]+\/models\/translate\/rnnkit\.json not found\): build the site with a trained translate model \(npm run web\)$/);
      expect(await page.locator('#status').textContent()).toBe('the model could not be loaded');
      expect(await page.locator('#translate').isDisabled()).toBe(true);
      expect(errors.some((e) => e.includes('no translate model on this site'))).toBe(true);
      await page.close();
    } finally {
      await served.close();
    }
  });
});

/** The attention cells a heatmap SVG drew, row by row: each cell's <title> is "row / column: value". */
async function heatmapCells(page: Page, selector: string): Promise<number[]> {
  const titles = await page.locator(`${selector} svg rect > title`).allTextContents();
  return titles.map((t) => Number(t.slice(t.lastIndexOf(': ') + 2)));
}

interface TranslateOutput {
  translation: string;
  score: number;
  nBest?: { translation: string; score: number }[];
  attention: { sourceTokens: string[]; targetTokens: string[]; weights: number[][] };
}

const nodeTranslate = async (input: Record<string, unknown>) => (await nodePredictors.get('translate')!.predict({ ...input, attention: true })) as TranslateOutput;
const shownOutput = (page: Page) => page.evaluate(() => (window as unknown as { rnnkitLastOutput?: TranslateOutput }).rnnkitLastOutput!);
/** Waits until the translate page shows its answer for `text` decoded as `decode` ("greedy" or "beam:width:penalty"). */
const answered = (page: Page, text: string, decode: string) =>
  page.waitForFunction(([t, d]) => document.getElementById('translation')?.dataset.text === t && document.getElementById('translation')?.dataset.decode === d, [text, decode], { timeout: 120_000 });

describe.each(['cpu', 'webgl'] as const)('on the %s backend', (backend) => {
  const tolerance = () => (backend === 'cpu' ? nodeTolerance : 1e-2);

  it('textgen: greedy generation streams the same text as Node', async () => {
    const { page, errors } = await open('textgen.html', backend);
    await page.fill('#prime', 'To be');
    await page.fill('#temperature', '0');
    await page.fill('#length', '40');
    await page.click('#generate');
    await page.waitForFunction(() => /chars\/s/.test(document.getElementById('speed')?.textContent ?? ''), undefined, { timeout: 120_000 });
    const text = await page.locator('#generated').textContent();
    const node = (await nodePredictors.get('textgen')!.predict({ text: 'To be', decode: { strategy: 'greedy', maxLen: 40 } })) as { text: string };
    expect(text).toBe(node.text);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('digits: a drawn stroke and a test image are classified as Node classifies them, row by row', async () => {
    const { page, errors } = await open('digits.html', backend);
    // Draw a vertical stroke with the mouse.
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + 140, box.y + 40);
    await page.mouse.down();
    for (let y = 40; y <= 240; y += 20) await page.mouse.move(box.x + 140, box.y + y);
    await page.mouse.up();
    await page.waitForFunction(() => /prediction:/.test(document.getElementById('prediction')?.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await page.locator('#reading svg').count()).toBe(1);
    // A test image: the page's numbers against Node's on the same pixels.
    // The stroke's answer is on the page already: wait for the answer to the click, not for a filled table.
    await page.evaluate(() => delete (globalThis as { rnnkitLastOutput?: unknown }).rnnkitLastOutput);
    await page.locator('#samples button.sample').first().click();
    await page.waitForFunction(() => (globalThis as { rnnkitLastOutput?: unknown }).rnnkitLastOutput !== undefined, undefined, { timeout: 60_000 });
    const digits = JSON.parse(readFileSync(join(site, 'data', 'digits.json'), 'utf8')) as { sets: { dataset: string; images: { pixels: string }[] }[] };
    const pixelsB64 = digits.sets.find((s) => s.dataset === 'mnist')!.images[0].pixels;
    const bytes = Buffer.from(pixelsB64, 'base64');
    const pixels = Array.from({ length: 28 }, (_, r) => Array.from(bytes.subarray(r * 28, (r + 1) * 28)));
    const node = (await nodePredictors.get('mnist-rows')!.predict({ pixels, rows: true })) as { probabilities: number[]; rows: number[][] };
    const shown = await page.evaluate(() => (window as unknown as { rnnkitLastOutput?: { probabilities: number[]; rows: number[][] } }).rnnkitLastOutput);
    expect(shown).toBeDefined();
    expect(maxAbsDiff(shown!.probabilities, node.probabilities)).toBeLessThan(tolerance());
    expect(maxAbsDiff(shown!.rows.flat(), node.rows.flat())).toBeLessThan(tolerance());
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stocks: the forecast and its band equal Node’s for the same prices', async () => {
    const { page, errors } = await open('stocks.html', backend);
    await page.click('#forecast');
    await page.waitForFunction(() => document.querySelectorAll('#forecast-table tr').length > 1, undefined, { timeout: 60_000 });
    expect(await page.locator('#chart svg').count()).toBe(1);
    const ticker = await page.locator('#ticker').inputValue();
    const prices = JSON.parse(readFileSync(join(site, 'data', 'stocks.json'), 'utf8')) as { series: { ticker: string }[] };
    const { ticker: name, ...rows } = prices.series.find((s) => s.ticker === ticker) as Record<string, unknown>;
    const node = (await nodePredictors.get('stocks')!.predict({ ticker: name, ...rows })) as { days: { close: number; low: number; high: number }[] };
    const shown = await page.evaluate(() => (window as unknown as { rnnkitLastOutput?: { days: { close: number; low: number; high: number }[] } }).rnnkitLastOutput);
    // The tiny model is a quantile model (the default --loss pinball): the label names that source, not backtest errors.
    expect(await page.locator('#forecast-summary').textContent()).toMatch(/band: the model's own 10% and 90% quantiles \(an 80% interval; it held [\d.]+% of \d+ walk-forward next-day closes\)/);
    const flat = (o: { days: { close: number; low: number; high: number }[] }) => o.days.flatMap((d) => [d.close, d.low, d.high]);
    // Prices are in dollars: compare relative to the price level.
    expect(maxAbsDiff(flat(shown!), flat(node)) / Math.max(...flat(node))).toBeLessThan(tolerance());
    expect(errors).toEqual([]);
    await page.close();
  });

  it('summarize: a greedy headline with its attention equals Node’s', async () => {
    const { page, errors } = await open('summarize.html', backend);
    await page.fill('#beam-width', '1');
    await page.click('#summarize');
    await page.waitForFunction(() => (document.getElementById('headline-meta')?.textContent ?? '') !== '', undefined, { timeout: 120_000 });
    const text = await page.locator('#article').inputValue();
    const node = (await nodePredictors.get('summarize')!.predict({ text, decode: { strategy: 'greedy', maxLen: 20 }, attention: true })) as { tokens: string[]; attention: number[][] };
    const shown = await page.evaluate(() => (window as unknown as { rnnkitLastOutput?: { tokens: string[]; attention: number[][] } }).rnnkitLastOutput);
    expect(shown!.tokens).toEqual(node.tokens);
    expect(maxAbsDiff(shown!.attention.flat(), node.attention.flat())).toBeLessThan(tolerance());
    expect(await page.locator('#attention svg').count()).toBe(1);
    expect(await page.locator('#copy span').count()).toBe(node.tokens.length);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('chat: two greedy turns with history give Node’s replies', async () => {
    const { page, errors } = await open('chat.html', backend);
    const node = nodePredictors.get('chatbot')!;
    const history: string[] = [];
    for (const message of ['hello', 'how are you?']) {
      await page.fill('#message', message);
      await page.press('#message', 'Enter');
      await page.waitForFunction((n) => document.querySelectorAll('#chat-log p.bot').length === n && !(document.getElementById('send') as HTMLButtonElement).disabled, history.length / 2 + 1, { timeout: 120_000 });
      const expected = (await node.predict({ message, history: [...history], decode: { strategy: 'greedy' } })) as { reply: string };
      const shown = await page.locator('#chat-log p.bot').last().textContent();
      expect(shown).toBe(expected.reply);
      history.push(message, expected.reply);
    }
    await page.click('#reset');
    expect(await page.locator('#chat-log p').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sentiment: classifies while the text is typed, with Node’s probabilities and attention for the final text', async () => {
    const { page, errors } = await open('sentiment.html', backend);
    // The example on the page is classified on load.
    await page.waitForFunction(() => document.querySelectorAll('#highlight span.token').length > 0, undefined, { timeout: 60_000 });
    await page.fill('#text', '');
    // Typed key by key, in three parts: the page answers after each part with no click, for the text so far.
    const parts = ["it 's a charming", ' , funny and moving film', ' , but the ending is a bit of a mess .'];
    let typed = '';
    for (const part of parts) {
      await page.locator('#text').pressSequentially(part, { delay: 20 });
      typed += part;
      await page.waitForFunction((t) => document.getElementById('highlight')?.dataset.text === t, typed, { timeout: 60_000 });
      expect(await page.locator('#highlight span.token').count()).toBe(typed.trim().split(/\s+/).length);
    }
    const node = (await nodePredictors.get('sentiment')!.predict({ text: typed })) as { label: string; probabilities: number[]; tokens: string[]; attention: number[] };
    const shown = await page.evaluate(() => (window as unknown as { rnnkitLastOutput?: { label: string; probabilities: number[]; tokens: string[]; attention: number[] } }).rnnkitLastOutput);
    expect(shown!.tokens).toEqual(node.tokens);
    expect(shown!.label).toBe(node.label);
    expect(maxAbsDiff(shown!.probabilities, node.probabilities)).toBeLessThan(tolerance());
    expect(maxAbsDiff(shown!.attention, node.attention)).toBeLessThan(tolerance());
    // One highlighted span per token read, shaded by its weight, the heaviest fully.
    const spans = await page.locator('#highlight span.token').evaluateAll((ss) => ss.map((s) => ({ text: s.textContent, weight: Number((s as HTMLElement).dataset.weight), bg: (s as HTMLElement).style.background })));
    expect(spans.map((s) => s.text)).toEqual(node.tokens);
    expect(maxAbsDiff(spans.map((s) => s.weight), node.attention)).toBeLessThan(tolerance());
    expect(spans[node.attention.indexOf(Math.max(...node.attention))].bg).toMatch(/rgb\(231, 111, 81\)|rgba\(231, 111, 81, 1\)/);
    expect(await page.locator('#verdict').textContent()).toContain(node.label);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('translate: a held-out example, and a typed sentence, greedily and by beam search, give Node’s translations, n-best list and attention heatmap', async () => {
    const { page, errors } = await open('translate.html', backend);
    // The page's own first sentence is translated on load (beam width 5, length penalty 0.6).
    await answered(page, await page.locator('#text').inputValue(), 'beam:5:0.6');

    // A test-split sentence from the button row, shown with its Tatoeba reference and attribution.
    const example = page.locator('#examples button.sample').first();
    const exampleText = (await example.textContent())!;
    await example.click();
    await answered(page, exampleText, 'beam:5:0.6');
    expect(await page.locator('#reference').textContent()).toMatch(/^Reference: .+ — CC-BY 2\.0 \(France\) Attribution: tatoeba\.org #\d+/);
    const beam5 = await nodeTranslate({ text: exampleText, decode: { beamWidth: 5, lengthPenalty: 0.6 } });
    expect(await page.locator('#translation').textContent()).toBe(beam5.translation);

    // Typed key by key, greedy: translated after the pause in typing, with no click.
    await page.check('#greedy');
    await page.fill('#text', '');
    const typed = 'Tom is my friend.';
    await page.locator('#text').pressSequentially(typed, { delay: 20 });
    await answered(page, typed, 'greedy');
    const greedy = await nodeTranslate({ text: typed, decode: { strategy: 'greedy' } });
    expect(await page.locator('#translation').textContent()).toBe(greedy.translation);
    expect(await page.locator('#nbest tr').count()).toBe(0);
    // The heatmap: one cell per (character written, <eos> included) × (English token read), each row summing to 1,
    // the weights Node computes.
    const { targetTokens, sourceTokens, weights } = greedy.attention;
    // The characters written, then <eos> unless the decoder stopped at the length limit.
    const written = Array.from(greedy.translation);
    expect(targetTokens.slice(0, written.length)).toEqual(written);
    expect(targetTokens.slice(written.length)).toEqual(targetTokens.length > written.length ? ['<eos>'] : []);
    expect(sourceTokens).toEqual(['tom', 'is', 'my', 'friend', '.']);
    const cells = await heatmapCells(page, '#attention');
    expect(cells).toHaveLength(targetTokens.length * sourceTokens.length);
    for (let r = 0; r < targetTokens.length; r++) {
      const row = cells.slice(r * sourceTokens.length, (r + 1) * sourceTokens.length);
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    }
    expect(maxAbsDiff(cells, weights.flat())).toBeLessThan(tolerance());

    // Beam search with the page's controls: the n-best list is Node's, best first, with its scores.
    await page.uncheck('#greedy');
    await page.fill('#beam-width', '3');
    await page.fill('#length-penalty', '1');
    await answered(page, typed, 'beam:3:1');
    const beam3 = await nodeTranslate({ text: typed, decode: { beamWidth: 3, lengthPenalty: 1 } });
    expect(await page.locator('#translation').textContent()).toBe(beam3.translation);
    const rows = await page.locator('#nbest tr td:nth-child(2)').allTextContents();
    expect(rows).toEqual(beam3.nBest!.map((h) => h.translation));
    const shown = await shownOutput(page);
    // A score sums one log-probability per character written: it may differ by more than each of them.
    expect(maxAbsDiff(shown.nBest!.map((h) => h.score), beam3.nBest!.map((h) => h.score))).toBeLessThan(tolerance() * 10);
    expect(await heatmapCells(page, '#attention')).toHaveLength(beam3.attention.targetTokens.length * beam3.attention.sourceTokens.length);
    expect(maxAbsDiff(shown.attention.weights.flat(), beam3.attention.weights.flat())).toBeLessThan(tolerance());
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('plain tfjs exports', () => {
  it.each(PLAIN_APPS)('%s: loads in a page with only tfjs (no rnnkit) and predicts within 1e-5 of rnnkit in Node', async (app) => {
    const { page, errors } = await openPage(browser, `${url}plain/index.html`);
    // A deterministic test batch of the model's input shape: token ids for textgen, pixel rows for mnist.
    const { model } = await loadModelDir(join(tmp, 'models', app));
    const [, steps, features] = model.inputs[0].shape as number[];
    const ids = model.inputs[0].dtype === 'int32';
    const shape = ids ? [2, 12] : [2, steps, features];
    const values = Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => (ids ? (i * 7 + 3) % 3 : Math.abs(Math.sin(i))));
    const expected = tf.tidy(() => Array.from(runModel(model, tf.tensor(values, shape, ids ? 'int32' : 'float32'))[0].dataSync()));
    model.dispose();
    const shown = await page.evaluate(
      async ({ app, values, shape, ids }) => {
        const tfjs = (globalThis as unknown as { tf: typeof tf }).tf;
        const loaded = await tfjs.loadLayersModel(`./${app}/model.json`);
        const out = loaded.predict(tfjs.tensor(values, shape, ids ? 'int32' : 'float32')) as tf.Tensor;
        return { values: Array.from(await out.data()), classes: loaded.layers.map((l) => l.getClassName()) };
      },
      { app, values, shape, ids },
    );
    expect(shown.classes.some((c) => c.startsWith('Rnnkit'))).toBe(false);
    expect(maxAbsDiff(shown.values, expected)).toBeLessThan(1e-5);
    expect(errors).toEqual([]);
    await page.close();
  });
});
