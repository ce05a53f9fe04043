import { heatmapSvg } from '@rnnkit/core/charts';
import type { MnistOutput } from '@rnnkit/mnist-rows/predictor';
import { byId, el, startPage } from '../page.js';

// Digits: draw on a canvas or pick a test image; the model reads it row by row, and the heatmap shows what it
// believes after each row (the classifier applied to the recurrent state after row 1, 2, …, 28).

interface SampleSet {
  /** "mnist" or "fashion-mnist". */
  dataset: string;
  classNames: string[];
  images: { label: number; pixels: string }[];
}

const SIZE = 28;
const main = byId('app');
const canvas = el('canvas', { id: 'pad', width: 280, height: 280 });
canvas.style.cssText = 'background:#000;border-radius:6px;touch-action:none;cursor:crosshair';
const clear = el('button', { id: 'clear', className: 'secondary', textContent: 'Clear' });
const classify = el('button', { id: 'classify', textContent: 'Classify', disabled: true });
const samples = el('div', { id: 'samples' });
const result = el('p', { id: 'prediction', className: 'status' });
const table = el('table', { id: 'probabilities' });
const reading = el('div', { id: 'reading', className: 'figure' });
const note = el('p', { id: 'reading-note', className: 'intro' });
main.append(
  el('div', { className: 'row' }, el('div', {}, canvas, el('p', {}, clear, ' ', classify), samples), el('div', {}, result, table)),
  el('h2', { textContent: 'How the RNN reads it, row by row' }),
  note,
  reading,
);

// Drawing with pointer events: one code path for mouse, pen and touch.
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
function resetPad(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}
resetPad();
let drawing = false;
canvas.addEventListener('pointerdown', (e) => {
  drawing = true;
  canvas.setPointerCapture(e.pointerId);
  ctx.beginPath();
  ctx.moveTo(e.offsetX, e.offsetY);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  ctx.lineWidth = 20;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#fff';
  ctx.lineTo(e.offsetX, e.offsetY);
  ctx.stroke();
});
canvas.addEventListener('pointerup', () => {
  drawing = false;
  void run(drawnPixels());
});
clear.onclick = () => resetPad();

/**
 * The drawing as MNIST prepares its digits: the ink's bounding box scaled to fit 20×20 pixels, placed in a 28×28
 * image so that its centre of mass is the image centre. Values 0..255, ink high.
 */
function drawnPixels(): number[][] {
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let top = height, left = width, bottom = -1, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4] > 32) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  const empty = Array.from({ length: SIZE }, () => new Array<number>(SIZE).fill(0));
  if (bottom < 0) return empty;
  const w = right - left + 1;
  const h = bottom - top + 1;
  const scale = 20 / Math.max(w, h);
  const small = new OffscreenCanvas(SIZE, SIZE);
  const sctx = small.getContext('2d', { willReadFrequently: true })!;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, SIZE, SIZE);
  sctx.imageSmoothingQuality = 'high';
  const dw = w * scale;
  const dh = h * scale;
  sctx.drawImage(canvas, left, top, w, h, (SIZE - dw) / 2, (SIZE - dh) / 2, dw, dh);
  const px = sctx.getImageData(0, 0, SIZE, SIZE).data;
  const gray = Array.from({ length: SIZE }, (_, y) => Array.from({ length: SIZE }, (_, x) => px[(y * SIZE + x) * 4]));
  // Shift so the centre of mass sits at the centre (MNIST's own preprocessing).
  let mass = 0, cy = 0, cx = 0;
  gray.forEach((row, y) => row.forEach((v, x) => {
    mass += v;
    cy += v * y;
    cx += v * x;
  }));
  const dy = Math.round((SIZE - 1) / 2 - cy / mass);
  const dx = Math.round((SIZE - 1) / 2 - cx / mass);
  return empty.map((row, y) => row.map((_, x) => gray[y - dy]?.[x - dx] ?? 0));
}

function decodePixels(base64: string): number[][] {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return Array.from({ length: SIZE }, (_, y) => Array.from(bytes.subarray(y * SIZE, (y + 1) * SIZE)));
}

function showImage(pixels: number[][]): void {
  const image = ctx.createImageData(SIZE, SIZE);
  pixels.flat().forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
  const small = new OffscreenCanvas(SIZE, SIZE);
  small.getContext('2d')!.putImageData(image, 0, 0);
  resetPad();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

const page = await startPage('digits.html', 'An RNN classifies a 28×28 image by reading it one row of pixels at a time, top to bottom. Draw a digit, or pick a test image.');
const classNames = (page.card.extras?.classNames as string[] | undefined) ?? Array.from({ length: 10 }, (_, i) => String(i));
let rowsSupported = true;

async function run(pixels: number[][]): Promise<void> {
  classify.disabled = true;
  try {
    let answer: { output: MnistOutput; ms: number };
    try {
      answer = await page.client.predict<MnistOutput>({ pixels, ...(rowsSupported ? { rows: true } : {}) });
    } catch (err) {
      // A bidirectional model, or one reading columns (--mode columns), has no state "after row r": classify the
      // whole image and say why the view is missing (the predictor's refusal names the reason).
      if (!rowsSupported || !/bidirectional|reads columns/i.test(String(err))) throw err;
      rowsSupported = false;
      note.textContent = `This model has no belief after row r (${err instanceof Error ? err.message : err}). Train a unidirectional row reader for this view.`;
      answer = await page.client.predict<MnistOutput>({ pixels });
    }
    const { output, ms } = answer;
    result.textContent = `prediction: ${output.className} (${(100 * output.probabilities[output.label]).toFixed(1)}%), ${ms.toFixed(1)} ms on ${page.info.backend}`;
    table.replaceChildren(
      el('tr', {}, el('th', { textContent: 'class' }), el('th', { textContent: 'probability' })),
      ...output.probabilities
        .map((p, c) => ({ p, c }))
        .sort((a, b) => b.p - a.p)
        .map(({ p, c }) => el('tr', {}, el('td', { textContent: classNames[c] }), el('td', { textContent: `${(100 * p).toFixed(2)}%` }))),
    );
    if (output.rows) {
      note.textContent = 'Each row of the heatmap: the class probabilities after the network has read the image down to that row.';
      reading.innerHTML = heatmapSvg({
        rows: output.rows.map((_, r) => `row ${r + 1}`),
        cols: classNames,
        values: output.rows,
        min: 0,
        max: 1,
        xLabel: 'class',
        yLabel: 'rows read',
      });
    }
    page.status('ready');
  } catch (err) {
    page.fail(err);
  } finally {
    classify.disabled = false;
  }
}

classify.disabled = false;
classify.onclick = () => void run(drawnPixels());

// Test images of the dataset this model was trained on (written next to the models by `npm run web`).
const sets = (await fetch('./data/digits.json').then((r) => (r.ok ? r.json() : { sets: [] }))) as { sets: SampleSet[] };
const set = sets.sets.find((s) => JSON.stringify(s.classNames) === JSON.stringify(classNames));
if (set) {
  samples.append(el('p', { className: 'intro', textContent: `${set.dataset} test images:` }));
  set.images.forEach((image, i) => {
    const button = el('button', { className: 'secondary sample', textContent: classNames[image.label], title: `test image ${i + 1}` });
    button.dataset.index = String(i);
    button.onclick = () => {
      const pixels = decodePixels(image.pixels);
      showImage(pixels);
      void run(pixels);
    };
    samples.append(button, ' ');
  });
}
