import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, createLogger } from 'vite';
import { afterAll, expect, it } from 'vitest';

// The playground's production bundle: nothing from Node (a Node built-in would be replaced by an empty stub that
// throws when called, in the page of a user), and its size, which the README states.

const WEB = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'rnnkit-web-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('bundles every page and the worker without a Node built-in', async () => {
  const warnings: string[] = [];
  const logger = createLogger('silent');
  logger.warn = (msg) => warnings.push(msg);
  logger.warnOnce = (msg) => warnings.push(msg);
  await build({ root: WEB, logLevel: 'silent', customLogger: logger, build: { outDir: out, emptyOutDir: true } });
  expect(warnings.filter((w) => /externalized for browser compatibility|node:/.test(w))).toEqual([]);
  const assets = readdirSync(join(out, 'assets')).filter((f) => f.endsWith('.js'));
  const code = assets.map((f) => readFileSync(join(out, 'assets', f), 'utf8'));
  // Vite's stub for a Node module, Node-only packages rnnkit uses elsewhere, and opencc-js's Traditional → Simplified
  // table (an entry of it): translate's data pipeline reads Chinese with it, its predictor never does.
  for (const marker of ['__vite-browser-external', '"@tensorflow/tfjs-node"', 'danfojs', 'pngjs', '@resvg', '們 们']) {
    expect(code.filter((c) => c.includes(marker)).map((c) => c.slice(Math.max(0, c.indexOf(marker) - 120), c.indexOf(marker) + 60)), marker).toEqual([]);
  }
  for (const page of ['index', 'textgen', 'digits', 'stocks', 'summarize', 'chat', 'sentiment', 'translate', 'speech']) expect(readdirSync(out)).toContain(`${page}.html`);
  const worker = assets.find((f) => f.startsWith('worker-'));
  expect(worker).toBeDefined();
  // tfjs (its kernel names) only in the worker: a page script that pulled it in (say through @rnnkit/core/browser
  // for an error class) would make the page download and start a second copy on its main thread.
  expect(assets.filter((f, i) => f !== worker && code[i].includes('BatchMatMul'))).toEqual([]);
  const raw = code.reduce((n, c) => n + c.length, 0);
  const gzip = code.reduce((n, c) => n + gzipSync(c, { level: 9 }).length, 0);
  console.log(`playground bundle: ${assets.length} scripts, ${(raw / 1e6).toFixed(2)} MB raw, ${(gzip / 1e3).toFixed(0)} kB gzip (the worker with tfjs: ${(gzipSync(readFileSync(join(out, 'assets', worker!))).length / 1e3).toFixed(0)} kB gzip)`);
});
