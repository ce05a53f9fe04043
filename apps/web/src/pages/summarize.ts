import { heatmapSvg } from '@rnnkit/core/charts';
import type { SummarizeOutput } from '@rnnkit/summarize/predictor';
import { byId, el, startPage } from '../page.js';

// Headlines: paste an article, get a headline by beam search, with where the model looked (attention over the
// article's words) and how much each headline word was copied from the article rather than generated.

// Written for this page (in the style of the Inshorts articles the model was trained on).
const EXAMPLE =
  'The Indian Railways on Tuesday announced that 150 new trains will start running from next month to ease the rush during the festival season. The railway minister said tickets for the new trains can be booked online from Friday and that more coaches will be added to busy routes.';

const main = byId('app');
const article = el('textarea', { id: 'article', rows: 7, value: EXAMPLE });
const beam = el('input', { id: 'beam-width', type: 'number', min: '1', max: '16', step: '1', value: '4' });
const maxLen = el('input', { id: 'max-len', type: 'number', min: '2', max: '60', step: '1', value: '20' });
const run = el('button', { id: 'summarize', textContent: 'Write a headline', disabled: true });
const headline = el('h2', { id: 'headline' });
const meta = el('p', { id: 'headline-meta', className: 'status' });
const copy = el('div', { id: 'copy' });
const heatmap = el('div', { id: 'attention', className: 'figure' });
main.append(el('label', {}, 'Article'), article, el('p', {}, el('label', {}, 'beam width', beam), el('label', {}, 'max words', maxLen), run), headline, meta, copy, heatmap);

const page = await startPage('summarize.html', 'A pointer-generator Seq2Seq (bidirectional encoder, Bahdanau attention, copying) writes a headline for a news article.');
run.disabled = false;
run.onclick = async () => {
  run.disabled = true;
  try {
    const width = Number(beam.value);
    const decode = width > 1 ? { strategy: 'beam', beamWidth: width, maxLen: Number(maxLen.value) } : { strategy: 'greedy', maxLen: Number(maxLen.value) };
    const { output, ms } = await page.client.predict<SummarizeOutput>({ text: article.value, decode, attention: true });
    headline.textContent = output.summary;
    meta.textContent = `${output.tokens.length} words, score ${output.score.toFixed(3)}, ${ms.toFixed(0)} ms on ${page.info.backend}`;
    if (output.copyProbability) {
      copy.replaceChildren(
        el('p', { className: 'intro', textContent: 'Each word shaded by the probability that it was copied from the article (darker = copied):' }),
        ...output.tokens.map((t, i) => {
          const p = output.copyProbability![i] ?? 0;
          const word = el('span', { textContent: `${t} `, title: `copy probability ${p.toFixed(2)}` });
          word.style.background = `rgba(231, 111, 81, ${p.toFixed(2)})`;
          return word;
        }),
      );
    }
    if (output.attention && output.sourceTokens) {
      heatmap.innerHTML = heatmapSvg({
        title: 'attention: headline words (rows) over article words (columns)',
        rows: output.tokens.concat(output.attention.length > output.tokens.length ? ['<eos>'] : []).slice(0, output.attention.length),
        cols: output.sourceTokens,
        values: output.attention,
        min: 0,
        showValues: false,
      });
    }
    page.status('ready');
  } catch (err) {
    page.fail(err);
  } finally {
    run.disabled = false;
  }
};
