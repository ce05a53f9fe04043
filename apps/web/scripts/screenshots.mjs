// Screenshots of every playground page after a real interaction, for the README: serves a site folder written by
// `npm run web` (default runs/web/) and saves docs/web/<page>.png at the repository root.
//   node apps/web/scripts/screenshots.mjs [SITE_DIR] [PAGE.html ...]   (default: every page)
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium, serveStatic } from './chromium.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const site = resolve(process.argv[2] ?? join(ROOT, 'runs', 'web'));
const only = process.argv.slice(3);
const outDir = join(ROOT, 'docs', 'web');
mkdirSync(outDir, { recursive: true });

const ready = (page) => page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 180_000 });

/** What a visitor does on each page before the screenshot. */
const ACTIONS = {
  'index.html': async () => {},
  'textgen.html': async (page) => {
    await page.fill('#seed', '1');
    await page.click('#generate');
    await page.waitForFunction(() => /chars\/s/.test(document.getElementById('speed')?.textContent ?? ''), undefined, { timeout: 180_000 });
  },
  'digits.html': async (page) => {
    await page.locator('#samples button.sample').nth(6).click();
    await page.waitForFunction(() => document.querySelectorAll('#reading svg').length === 1, undefined, { timeout: 180_000 });
  },
  'stocks.html': async (page) => {
    await page.click('#forecast');
    await page.waitForFunction(() => document.querySelectorAll('#chart svg').length === 1, undefined, { timeout: 180_000 });
  },
  'summarize.html': async (page) => {
    await page.click('#summarize');
    await page.waitForFunction(() => document.querySelectorAll('#attention svg').length === 1, undefined, { timeout: 180_000 });
  },
  'sentiment.html': async (page) => {
    await page.fill('#text', '');
    const text = "I didn't expect much, but it's a funny, warm and beautifully acted film.";
    await page.locator('#text').pressSequentially(text, { delay: 30 });
    await page.waitForFunction((t) => document.getElementById('highlight')?.dataset.text === t, text, { timeout: 180_000 });
  },
  'translate.html': async (page) => {
    // The fourth held-out Tatoeba sentence (a longer one: a wider heatmap; its reference and attribution show under
    // it), by beam search.
    const example = page.locator('#examples button.sample').nth(3);
    const text = await example.textContent();
    await example.click();
    await page.waitForFunction((t) => document.getElementById('translation')?.dataset.text === t && document.getElementById('status')?.textContent === 'ready', text, { timeout: 180_000 });
  },
  'speech.html': async (page) => {
    // Three test-split recordings, played through the model (the microphone needs a person, or the fake capture of
    // the page's test).
    for (const [i, n] of [7, 3, 0].entries()) {
      await page.locator('#samples button.sample').nth(n).click();
      await page.waitForFunction((count) => document.querySelectorAll('#utterances li').length === count, i + 1, { timeout: 180_000 });
    }
  },
  'chat.html': async (page) => {
    for (const [i, message] of ['hello', 'what is your name?', 'do you like music?'].entries()) {
      await page.fill('#message', message);
      await page.press('#message', 'Enter');
      await page.waitForFunction((n) => document.querySelectorAll('#chat-log p.bot').length === n && !document.getElementById('send').disabled, i + 1, { timeout: 180_000 });
    }
  },
};

const server = await serveStatic(site);
const browser = await launchChromium();
try {
  for (const [file, act] of Object.entries(ACTIONS)) {
    if (only.length > 0 && !only.includes(file)) continue;
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (err) => console.error(`${file}: ${err.message}`));
    await page.goto(`${server.url}${file}`);
    if (file !== 'index.html') await ready(page);
    await act(page);
    const png = join(outDir, file.replace('.html', '.png'));
    await page.screenshot({ path: png, fullPage: true });
    console.log(`screenshots: ${png}`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
