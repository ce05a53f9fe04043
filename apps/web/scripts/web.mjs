// `npm run web`: puts trained models on the playground and serves it.
//   1. copies the built playground (apps/web/dist, from `vite build`) to the site folder (default runs/web/),
//   2. exports each app's model for the web into <site>/models/<app>/ (`rnnkit-<app> export --web`) from the
//      models folder (default runs/demo/, what `npm run demo` trained; `--models DIR` for your own, one sub-folder
//      per app named like apps/: textgen, mnist-rows, stocks, summarize, chatbot, sentiment, translate, spoken-digits),
//   3. writes the sample inputs the pages offer (MNIST / Fashion-MNIST test images, recent stock prices, held-out
//      Tatoeba sentences with their attribution, spoken-digit test recordings) from $RNNKIT_DATA_DIR into <site>/data/,
//   4. serves the site on http://127.0.0.1:<port>/ until Ctrl-C (`--no-serve` stops after writing it).
// The site folder is static: publish it on any static host as it is.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const WEB = resolve(import.meta.dirname, '..');
const ROOT = resolve(WEB, '../..');
const APPS = ['textgen', 'mnist-rows', 'stocks', 'summarize', 'chatbot', 'sentiment', 'translate', 'spoken-digits'];

function fail(message) {
  process.stderr.write(`web: ${message}\n`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    options: {
      models: { type: 'string', default: join(ROOT, 'runs', 'demo') },
      out: { type: 'string', default: join(ROOT, 'runs', 'web') },
      data: { type: 'string', default: process.env.RNNKIT_DATA_DIR ?? join(ROOT, '..', 'shared', 'datasets') },
      quantize: { type: 'string', default: 'none' },
      port: { type: 'string', default: '4173' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-serve': { type: 'boolean', default: false },
    },
    allowPositionals: false,
  }).values;
} catch (err) {
  fail(err.message);
}
const site = resolve(args.out);
const built = join(WEB, 'dist');
if (!existsSync(join(built, 'index.html'))) fail(`${built}/index.html not found: build first (npm run build)`);
if (!/^\d+$/.test(args.port) || Number(args.port) > 65535) fail(`--port ${args.port}: expected a port number`);

// 1. The site: a fresh copy of the build, swapped in at the end so a failed run never leaves half a site.
const staging = `${site}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(dirname(site), { recursive: true });
cpSync(built, staging, { recursive: true });

// 2. Models: each app's own CLI exports its model (with its checks); a missing model leaves its page explaining.
const missing = [];
for (const app of APPS) {
  const source = join(resolve(args.models), app);
  if (!existsSync(source)) {
    missing.push(app);
    continue;
  }
  const cli = join(ROOT, 'apps', app, 'dist', 'cli.js');
  const out = join(staging, 'models', app);
  const run = spawnSync(process.execPath, [cli, 'export', source, '--web', out, '--quantize', args.quantize, '--quiet'], { encoding: 'utf8' });
  if (run.status !== 0) fail(`exporting ${source}: ${(run.stderr || run.stdout).trim()}`);
}

// 3. Sample inputs, from the apps' own readers.
const data = resolve(args.data);
mkdirSync(join(staging, 'data'), { recursive: true });
const mnist = await import(pathToFileURL(join(ROOT, 'apps', 'mnist-rows', 'dist', 'index.js')).href);
const sets = [];
for (const dataset of ['mnist', 'fashion-mnist']) {
  const dir = join(data, dataset);
  const images = join(dir, 't10k-images-idx3-ubyte.gz');
  if (!existsSync(images)) continue;
  const pair = mnist.readIdxPair(images, join(dir, 't10k-labels-idx1-ubyte.gz'));
  const size = pair.images.rows * pair.images.cols;
  // The first two test images of each class: every class on the page, and the same images on every build.
  const picked = [];
  for (let i = 0; i < pair.images.count && picked.length < 20; i++) {
    if (picked.filter((p) => p.label === pair.labels[i]).length < 2) {
      picked.push({ label: pair.labels[i], pixels: Buffer.from(pair.images.pixels.subarray(i * size, (i + 1) * size)).toString('base64') });
    }
  }
  picked.sort((a, b) => a.label - b.label);
  sets.push({ dataset, classNames: [...mnist.CLASS_NAMES[dataset]], images: picked });
}
writeFileSync(join(staging, 'data', 'digits.json'), JSON.stringify({ sets }));
const stocks = await import(pathToFileURL(join(ROOT, 'apps', 'stocks', 'dist', 'index.js')).href);
const series = [];
const priceDir = join(data, 'stocks', 'sp500-5yr');
if (existsSync(priceDir)) {
  for (const s of await stocks.loadTickers(priceDir)) {
    // A year of rows: enough for any model's lookback plus the features' warm-up.
    const tail = (values) => values.slice(-260);
    series.push({ ticker: s.ticker, dates: tail(s.dates), opens: tail(s.open), highs: tail(s.high), lows: tail(s.low), closes: tail(s.close), volumes: tail(s.volume) });
  }
}
writeFileSync(join(staging, 'data', 'stocks.json'), JSON.stringify({ series }));
const translate = await import(pathToFileURL(join(ROOT, 'apps', 'translate', 'dist', 'index.js')).href);
const corpusFile = join(data, translate.DEFAULT_DATA_PATH);
if (existsSync(corpusFile)) {
  // Test-split sentences of the published model's own split (its recorded seed and fractions), so the page never
  // offers a sentence the model was trained on; without a model, the app's default split.
  const card = join(staging, 'models', 'translate', 'rnnkit.json');
  const split = existsSync(card) ? JSON.parse(readFileSync(card, 'utf8')).extras.text : translate.DEFAULT_DATA_CONFIG;
  writeFileSync(join(staging, 'data', 'translate.json'), JSON.stringify(translate.heldOutExamples(translate.readTatoeba(corpusFile), split, 12)));
}
const speech = await import(pathToFileURL(join(ROOT, 'apps', 'spoken-digits', 'dist', 'index.js')).href);
const recordings = [];
const recordingsDir = join(data, 'spoken-digits', 'recordings');
if (existsSync(recordingsDir)) {
  // One recording of each digit from the official test split (index 0), the speakers taken in turn: the same ten
  // files on every build. Each is decoded first (the app's checks), then copied unchanged (CC BY-SA 4.0, credited).
  const all = speech.listRecordings(recordingsDir);
  const speakers = [...new Set(all.map((r) => r.speaker))].sort();
  mkdirSync(join(staging, 'data', 'speech'), { recursive: true });
  for (let digit = 0; digit < 10; digit++) {
    const rec = all.find((r) => r.digit === digit && r.speaker === speakers[digit % speakers.length] && r.index === 0);
    if (!rec) continue;
    const audio = speech.readWavFile(rec.file);
    const name = basename(rec.file);
    cpSync(rec.file, join(staging, 'data', 'speech', name));
    recordings.push({ file: `speech/${name}`, digit: String(digit), speaker: rec.speaker, seconds: audio.samples.length / audio.sampleRate });
  }
}
writeFileSync(join(staging, 'data', 'speech.json'), JSON.stringify({ recordings }));

rmSync(site, { recursive: true, force: true });
renameSync(staging, site);
process.stdout.write(`web: site written to ${site}\n`);
if (missing.length > 0) {
  process.stdout.write(`web: no model for ${missing.join(', ')} in ${resolve(args.models)} (run npm run demo, or give --models): those pages will say so\n`);
}
if (args['no-serve']) process.exit(0);

// 4. Serve the static folder with Vite's preview server (a plain static file server).
const { serveStatic } = await import('./chromium.mjs');
const server = await serveStatic(site, { port: Number(args.port), host: args.host });
process.stdout.write(`web: serving the playground at ${server.url} (Ctrl-C stops)\n`);
