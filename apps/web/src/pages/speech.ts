import { heatmapSvg } from '@rnnkit/core/charts';
import { Endpointer, decodeWav } from '@rnnkit/spoken-digits/browser';
import type { AppOutput } from '@rnnkit/spoken-digits/predictor';
import workletUrl from '../capture-worklet.ts?worker&url';
import { byId, el, fetchJson, startPage } from '../page.js';

// Spoken digits: the microphone's audio is cut into utterances by the app's energy endpointer on this page, and each
// utterance goes to the model worker at the microphone's own rate (44.1 or 48 kHz), where the app's predictor
// resamples it to the model's 8 kHz and computes the MFCCs with the code Node runs. Test-split recordings and the
// visitor's own WAV files go the same way, a whole file at a time (as `rnnkit-spoken-digits predict FILE.wav`).

interface SampleRecording {
  file: string;
  digit: string;
  speaker: string;
  seconds: number;
}

/** Utterances kept on the page (newest first); older ones are dropped. */
const MAX_SHOWN = 20;

const main = byId('app');
const record = el('button', { id: 'record', textContent: 'Record', disabled: true });
const stop = el('button', { id: 'stop', className: 'secondary', textContent: 'Stop', disabled: true });
const micStatus = el('p', { id: 'mic-status', className: 'status' });
const micError = el('p', { id: 'mic-error', className: 'error', hidden: true });
const samples = el('div', { id: 'samples' });
const upload = el('input', { id: 'upload', type: 'file', accept: '.wav,audio/wav,audio/x-wav' });
const player = el('audio', { id: 'player', controls: true, hidden: true });
const utterances = el('ol', { id: 'utterances', className: 'utterances', reversed: true });
const featuresNote = el('p', { id: 'features-note', className: 'intro' });
const featuresBox = el('div', { id: 'features', className: 'figure' });
main.append(
  el('p', {}, record, ' ', stop),
  micStatus,
  micError,
  samples,
  el('p', {}, el('label', {}, 'Or a WAV file of your own (PCM, any rate):', upload), player),
  el('h2', { textContent: 'What the model heard' }),
  utterances,
  featuresNote,
  featuresBox,
);

const page = await startPage(
  'speech.html',
  'Say a digit (zero to nine) into your microphone: the page finds each utterance by its energy and a bidirectional GRU over MFCC frames names the digit. Or play a recording from the test split.',
);
const features = page.card.extras?.features as { sampleRate?: number; hop?: number } | undefined;
const modelRate = features?.sampleRate ?? 8000;
const frameSeconds = (features?.hop ?? 80) / modelRate;

/** One classification at a time, in order: utterances that end while the model runs wait their turn. */
let queue: Promise<void> = Promise.resolve();
let count = 0;

function classify(audio: Float32Array, sampleRate: number, source: string): Promise<void> {
  queue = queue.then(async () => {
    try {
      page.status('classifying…');
      // Web Audio can overshoot ±1 (a clipped recording resampled by the browser); the predictor reads [-1, 1].
      const input = { samples: Array.from(audio, (v) => Math.max(-1, Math.min(1, v))), sampleRate, features: true };
      const { output, ms } = await page.client.predict<AppOutput>(input);
      show(output, ms, sampleRate, source);
      page.status('ready');
    } catch (err) {
      page.fail(err);
    }
  });
  return queue;
}

function show(output: AppOutput, ms: number, sampleRate: number, source: string): void {
  count++;
  const bars = output.top.map((t) => {
    const bar = el('span', { className: 'bar' });
    bar.style.width = `${(t.probability * 100).toFixed(1)}%`;
    return el('div', { className: 'prob' }, el('span', { className: 'name', textContent: t.digit }), el('span', { className: 'track' }, bar), el('span', { textContent: t.probability.toFixed(3) }));
  });
  const item = el(
    'li',
    {},
    el('strong', { className: 'digit', textContent: output.digit }),
    ` (p = ${output.probability.toFixed(3)}) — ${source}: ${output.seconds.toFixed(2)} s at ${sampleRate} Hz, ${ms.toFixed(0)} ms on ${page.info.backend}`,
    ...bars,
  );
  item.dataset.digit = output.digit;
  item.dataset.index = String(count);
  utterances.prepend(item);
  while (utterances.children.length > MAX_SHOWN) utterances.lastElementChild?.remove();
  if (output.features) drawFeatures(output.features);
}

/** The normalized MFCC frames the model read, one column per 10 ms frame. */
function drawFeatures(rows: number[][]): void {
  const dim = rows[0]?.length ?? 0;
  if (dim === 0) return;
  const half = dim / 2;
  const names = Array.from({ length: dim }, (_, j) => (j < half ? `c${j}` : `Δc${j - half}`));
  const every = Math.max(1, Math.round(0.1 / frameSeconds));
  featuresNote.textContent = `The ${rows.length} frames the model read (${(rows.length * frameSeconds).toFixed(2)} s at the model's ${modelRate} Hz): ${half} MFCCs and their deltas per frame, normalized with the training part's statistics (colour range clipped at ±3).`;
  featuresBox.innerHTML = heatmapSvg({
    rows: names,
    cols: rows.map((_, t) => (t % every === 0 ? `${(t * frameSeconds).toFixed(1)} s` : '')),
    values: names.map((_, j) => rows.map((r) => r[j])),
    min: -3,
    max: 3,
    xLabel: 'time',
    yLabel: 'feature',
    showValues: false,
  });
}

// ---- the microphone ----

interface Capture {
  stream: MediaStream;
  context: AudioContext;
  endpointer: Endpointer;
  rate: number;
}
let capture: Capture | undefined;

function showMicError(message: string): void {
  micError.textContent = message;
  micError.hidden = false;
  micStatus.textContent = '';
}

/** What went wrong in getUserMedia, in the visitor's terms (the browser's error names are standard). */
function micProblem(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone permission denied: allow this page to use the microphone (the icon next to the address) and press Record again — or play a test recording below.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone found: connect one and press Record again — or play a test recording below.';
  if (name === 'NotReadableError' || name === 'AbortError') return `The microphone could not be opened (another program may be using it): ${message}`;
  return `The microphone could not be started: ${message}`;
}

function level(chunk: Float32Array): number {
  let sum = 0;
  for (const v of chunk) sum += v * v;
  return 10 * Math.log10(sum / chunk.length + 1e-12);
}

async function startRecording(): Promise<void> {
  micError.hidden = true;
  if (!navigator.mediaDevices?.getUserMedia) {
    showMicError('This page has no microphone access here: browsers allow it only on secure pages (https://, or http://localhost). Play a test recording below instead.');
    return;
  }
  record.disabled = true;
  let stream: MediaStream;
  try {
    // Raw audio, as the model was trained on: no echo cancellation, noise suppression or automatic gain.
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  } catch (err) {
    showMicError(micProblem(err));
    record.disabled = false;
    return;
  }
  try {
    const context = new AudioContext();
    // Created after an await: a browser that wants a fresh user gesture starts it suspended.
    if (context.state === 'suspended') await context.resume();
    await context.audioWorklet.addModule(workletUrl);
    const node = new AudioWorkletNode(context, 'rnnkit-capture', { numberOfInputs: 1, numberOfOutputs: 1 });
    const rate = Math.round(context.sampleRate);
    // The endpointer runs at the microphone's rate (its 10 ms blocks are in samples); utterances are resampled later.
    const current: Capture = { stream, context, endpointer: new Endpointer({ sampleRate: rate }), rate };
    node.port.onmessage = (event: MessageEvent<Float32Array>) => {
      if (capture !== current) return;
      micStatus.textContent = `listening at ${rate} Hz (each utterance is resampled to the model's ${modelRate} Hz); level ${level(event.data).toFixed(0)} dBFS — say a digit, then pause`;
      for (const u of current.endpointer.push(event.data)) void classify(u.samples, rate, `microphone ${u.start.toFixed(2)}–${u.end.toFixed(2)} s`);
    };
    context.createMediaStreamSource(stream).connect(node);
    // The processor writes silence; connecting it keeps the graph pulling audio through it.
    node.connect(context.destination);
    capture = current;
    micStatus.textContent = `listening at ${rate} Hz — say a digit, then pause`;
    stop.disabled = false;
  } catch (err) {
    for (const track of stream.getTracks()) track.stop();
    showMicError(`The audio capture could not be started: ${err instanceof Error ? err.message : String(err)}`);
    record.disabled = false;
  }
}

async function stopRecording(): Promise<void> {
  const current = capture;
  if (!current) return;
  capture = undefined;
  stop.disabled = true;
  for (const track of current.stream.getTracks()) track.stop();
  await current.context.close();
  // An utterance still going when Stop was pressed ends there.
  for (const u of current.endpointer.flush()) void classify(u.samples, current.rate, `microphone ${u.start.toFixed(2)}–${u.end.toFixed(2)} s`);
  micStatus.textContent = 'stopped';
  record.disabled = false;
}

record.onclick = () => void startRecording();
stop.onclick = () => void stopRecording();
record.disabled = false;

// ---- recordings: the test split's (written next to the models by `npm run web`) and the visitor's own ----

/** Decodes WAV bytes with the app's reader (integer PCM only; errors name the file), plays and classifies them. */
async function playAndClassify(bytes: Uint8Array, name: string): Promise<void> {
  micError.hidden = true;
  try {
    const audio = decodeWav(bytes, name);
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'audio/wav' }));
    player.hidden = false;
    await classify(audio.samples, audio.sampleRate, name);
  } catch (err) {
    page.fail(err);
  }
}

const recordings = ((await fetchJson('./data/speech.json')) ?? { recordings: [] }) as { recordings: SampleRecording[] };
if (recordings.recordings.length > 0) {
  samples.append(el('p', { className: 'intro', textContent: 'Recordings from the official test split (not trained on):' }));
  for (const rec of recordings.recordings) {
    const button = el('button', { className: 'secondary sample', textContent: `${rec.digit} (${rec.speaker})`, title: `${rec.file}, ${rec.seconds.toFixed(2)} s` });
    button.onclick = async () => {
      const response = await fetch(`./data/${rec.file}`);
      if (!response.ok) {
        page.fail(`data/${rec.file}: HTTP ${response.status}`);
        return;
      }
      await playAndClassify(new Uint8Array(await response.arrayBuffer()), rec.file.replace(/^speech\//, ''));
    };
    samples.append(button, ' ');
  }
}
upload.onchange = async () => {
  const file = upload.files?.[0];
  if (file) await playAndClassify(new Uint8Array(await file.arrayBuffer()), file.name);
};
