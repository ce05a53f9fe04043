import type { SentimentOutput } from '@rnnkit/sentiment/predictor';
import { latestOnly } from '../latest.js';
import { byId, el, startPage } from '../page.js';

// Sentiment: the text is classified again each time it changes (as you type), and each word it read is shaded by
// the attention weight the model's pooling gave it.

// Written for this page: an English review (SST-2 models read lowercased words, punctuation split off).
const EXAMPLES = [
  "The acting is superb and the story is moving, but the ending feels rushed.",
  "A dull, lifeless film that wastes a talented cast.",
  "I didn't expect much, yet it turned out to be funny and surprisingly warm.",
];
/** How long typing must pause before the text is classified again (each call is a few ms; this spares the worker). */
const PAUSE_MS = 120;

const main = byId('app');
const text = el('textarea', { id: 'text', rows: 4, value: EXAMPLES[0] });
const samples = el('p', { id: 'samples' }, 'Try: ', ...EXAMPLES.map((s, i) => el('button', { className: 'secondary sample', textContent: `example ${i + 1}`, title: s, onclick: () => setText(s) })));
const verdict = el('h2', { id: 'verdict' });
const bars = el('div', { id: 'probabilities' });
const highlight = el('p', { id: 'highlight', className: 'highlight' });
const notes = el('p', { id: 'notes', className: 'status' });
main.append(el('label', {}, 'Text (classified as you type)'), text, samples, verdict, bars, highlight, notes);

const page = await startPage('sentiment.html', 'A recurrent classifier (word embeddings, an LSTM or GRU, attention pooling) reads a text and says whether it is positive or negative; the words it attended to are shaded.');
const classNames = Array.isArray(page.card.extras?.classNames) ? (page.card.extras.classNames as string[]) : undefined;

function show(output: SentimentOutput, ms: number): void {
  verdict.textContent = `${output.label} (p = ${output.probability.toFixed(3)})`;
  verdict.className = output.label;
  bars.replaceChildren(
    ...output.probabilities.map((p, c) => {
      const bar = el('span', { className: 'bar' });
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      return el('div', { className: 'prob' }, el('span', { className: 'name', textContent: classNames?.[c] ?? `class ${c}` }), el('span', { className: 'track' }, bar), el('span', { textContent: p.toFixed(3) }));
    }),
  );
  const weights = output.attention;
  // Chinese models read characters: no space between them.
  const gap = output.tokens.some((t) => /\p{Script=Han}/u.test(t)) ? '' : ' ';
  const top = weights ? Math.max(...weights) : 0;
  highlight.replaceChildren(
    ...output.tokens.flatMap((token, i) => {
      const span = el('span', { className: 'token', textContent: token });
      if (weights) {
        // Shade relative to the largest weight: the absolute weights shrink as the text grows.
        span.style.background = `rgba(231, 111, 81, ${(top > 0 ? weights[i] / top : 0).toFixed(3)})`;
        span.title = `attention ${weights[i].toFixed(3)}`;
        span.dataset.weight = String(weights[i]);
      }
      return i === 0 ? [span] : [gap, span];
    }),
  );
  const lines = [weights ? 'Words shaded by attention weight (darkest = the largest; hover for the weight).' : 'This model pools its last state: it has no attention weights to show.'];
  if (output.unknownTokens.length > 0) lines.push(`Not in the vocabulary (read as <unk>): ${output.unknownTokens.join(' ')}.`);
  if (output.truncated) lines.push(`Only the first ${output.tokens.length} tokens were read.`);
  lines.push(`${ms.toFixed(0)} ms on ${page.info.backend}.`);
  notes.textContent = lines.join(' ');
}

/** Classifies the current text (the last text typed always is; see latest.ts). */
const classify = latestOnly(async (stale) => {
  const current = text.value;
  if (current.trim() === '') {
    verdict.textContent = '';
    bars.replaceChildren();
    highlight.replaceChildren();
    notes.textContent = 'Type a sentence.';
    page.status('ready');
    return;
  }
  page.status('classifying…');
  const { output, ms } = await page.client.predict<SentimentOutput>({ text: current });
  // A newer text is waiting: skip drawing this one.
  if (stale()) return;
  show(output, ms);
  highlight.dataset.text = current;
  page.status('ready');
}, (err) => page.fail(err));

function setText(value: string): void {
  text.value = value;
  void classify.now();
}

text.addEventListener('input', () => classify.after(PAUSE_MS));
await classify.now();
