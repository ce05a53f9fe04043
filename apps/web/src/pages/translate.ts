import { heatmapSvg } from '@rnnkit/core/charts';
import type { AppInput, AppOutput } from '@rnnkit/translate/predictor';
import { latestOnly } from '../latest.js';
import { byId, el, fetchJson, startPage } from '../page.js';

// Translation: English in, Chinese out. The sentence is translated again after each pause in typing (or with the
// button), by beam search or greedily; the page shows the best translation, the n-best list with its scores and the
// attention heatmap (which English words each Chinese character was written from).

/** The held-out sentences `npm run web` writes from the model's own test split (scripts/web.mjs). */
interface ExampleSet {
  split: string;
  examples: { en: string; references: { zh: string; attribution: string }[] }[];
}

/** Written for this page (a sentence the model is not trained on verbatim); the test-split examples follow it. */
const FIRST_TEXT = 'Where is the station?';
/** How long typing must pause before the sentence is translated again (beam search takes longer than a keystroke). */
const PAUSE_MS = 300;
/** The widest beam offered: the worker runs one beam per hypothesis, and wider ones rarely change the best. */
const MAX_BEAM = 16;

const main = byId('app');
const text = el('textarea', { id: 'text', rows: 2, maxLength: 2000, value: FIRST_TEXT });
const greedy = el('input', { id: 'greedy', type: 'checkbox' });
const beam = el('input', { id: 'beam-width', type: 'number', min: '1', max: String(MAX_BEAM), step: '1', value: '5' });
const penalty = el('input', { id: 'length-penalty', type: 'number', min: '0', max: '2', step: '0.1', value: '0.6' });
const run = el('button', { id: 'translate', textContent: 'Translate', disabled: true });
const examples = el('div', { id: 'examples' });
const reference = el('p', { id: 'reference', className: 'credit' });
const translation = el('h2', { id: 'translation', lang: 'zh-Hans' });
const meta = el('p', { id: 'translation-meta', className: 'status' });
const nBest = el('table', { id: 'nbest' });
const heatmapNote = el('p', { className: 'intro' });
const heatmap = el('div', { id: 'attention', className: 'figure' });
main.append(
  el('label', {}, 'English (translated as you type)'),
  text,
  el('p', {}, el('label', {}, greedy, 'greedy'), el('label', {}, 'beam width', beam), el('label', {}, 'length penalty', penalty), run),
  examples,
  reference,
  translation,
  meta,
  nBest,
  heatmapNote,
  heatmap,
);

const page = await startPage(
  'translate.html',
  'A Seq2Seq network with attention (a bidirectional GRU or LSTM reads the English words; a decoder writes Simplified Chinese one character at a time) translates a sentence by beam search.',
);

/** The decoding the controls ask for, or a sentence saying what is wrong with them. */
function decoding(): { decode: NonNullable<AppInput['decode']>; label: string } | string {
  if (greedy.checked) return { decode: { strategy: 'greedy' }, label: 'greedy' };
  const width = Number(beam.value);
  const alpha = Number(penalty.value);
  if (!Number.isInteger(width) || width < 1 || width > MAX_BEAM) return `beam width: a whole number from 1 to ${MAX_BEAM}`;
  if (!Number.isFinite(alpha) || alpha < 0 || alpha > 2) return 'length penalty: a number from 0 to 2';
  return { decode: { strategy: 'beam', beamWidth: width, lengthPenalty: alpha }, label: `beam:${width}:${alpha}` };
}

function show(output: AppOutput, ms: number, label: string): void {
  translation.textContent = output.translation;
  const how = label === 'greedy' ? 'greedy' : `beam width ${beam.value}, length penalty ${penalty.value}`;
  const unknown = output.unknown.length > 0 ? `; not in the vocabulary (read as <unk>): ${output.unknown.join(' ')}` : '';
  meta.textContent = `${how}: score ${output.score.toFixed(3)}, ${ms.toFixed(0)} ms on ${page.info.backend}${unknown}`;
  nBest.replaceChildren(
    ...(output.nBest
      ? [
          el('tr', {}, el('th', { textContent: '#' }), el('th', { textContent: 'translation' }), el('th', { textContent: 'score (log-probability ÷ length penalty)' })),
          ...output.nBest.map((h, i) => el('tr', {}, el('td', { textContent: String(i + 1) }), el('td', { textContent: h.translation, lang: 'zh-Hans' }), el('td', { textContent: h.score.toFixed(3) }))),
        ]
      : []),
  );
  const a = output.attention;
  if (a && a.weights.length > 0 && a.sourceTokens.length > 0) {
    heatmapNote.textContent = 'Each row: where the decoder looked among the English tokens when it wrote that character (the row sums to 1; lighter = more weight; hover a cell for its weight).';
    heatmap.innerHTML = heatmapSvg({
      title: 'attention',
      rows: a.targetTokens,
      cols: a.sourceTokens,
      values: a.weights.map((row) => row.slice(0, a.sourceTokens.length)),
      min: 0,
      showValues: false,
      xLabel: 'English tokens read',
      yLabel: 'characters written',
    });
  } else {
    heatmapNote.textContent = '';
    heatmap.replaceChildren();
  }
}

/** Translates the current sentence with the current settings (the last ones always are; see latest.ts). */
const translate = latestOnly(async (stale) => {
  const current = text.value;
  const wanted = decoding();
  if (current.trim() === '' || typeof wanted === 'string') {
    translation.textContent = '';
    nBest.replaceChildren();
    heatmapNote.textContent = '';
    heatmap.replaceChildren();
    meta.textContent = typeof wanted === 'string' ? wanted : 'Type an English sentence.';
    page.status('ready');
    return;
  }
  page.status('translating…');
  const { output, ms } = await page.client.predict<AppOutput>({ text: current, decode: wanted.decode, attention: true } satisfies AppInput);
  // A newer sentence or setting is waiting: skip drawing this one.
  if (stale()) return;
  show(output, ms, wanted.label);
  // What the shown result answers (the browser tests wait for it).
  translation.dataset.text = current;
  translation.dataset.decode = wanted.label;
  page.status('ready');
}, (err) => page.fail(err));

text.addEventListener('input', () => {
  reference.textContent = '';
  translate.after(PAUSE_MS);
});
for (const control of [greedy, beam, penalty]) {
  control.addEventListener('input', () => translate.after(PAUSE_MS));
  control.addEventListener('change', () => translate.after(PAUSE_MS));
}
greedy.addEventListener('change', () => {
  beam.disabled = greedy.checked;
  penalty.disabled = greedy.checked;
});
run.onclick = () => void translate.now();
run.disabled = false;

// Sentences from the test split of this model's data (written next to the models by `npm run web`): never trained on.
const sets = (await fetchJson('./data/translate.json')) as ExampleSet | undefined;
if (sets && sets.examples.length > 0) {
  examples.append(
    el('span', { className: 'intro', textContent: `Sentences from the ${sets.split} split (not trained on): ` }),
    ...sets.examples.map((example, i) => {
      const button = el('button', { className: 'secondary sample', textContent: example.en, title: 'translate this held-out sentence' });
      button.dataset.index = String(i);
      button.onclick = () => {
        text.value = example.en;
        // Tatoeba's license (CC-BY 2.0 France) asks for each sentence's attribution wherever it is shown.
        reference.replaceChildren(
          ...example.references.flatMap((r) => [el('span', { lang: 'zh-Hans', textContent: `Reference: ${r.zh}` }), ` — ${r.attribution}`, el('br')]),
        );
        void translate.now();
      };
      return button;
    }),
  );
}
await translate.now();
