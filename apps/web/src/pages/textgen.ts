import { byId, el, startPage } from '../page.js';

// Text generation: a priming text, decoding settings, and characters appearing as the worker samples them.
const main = byId('app');
const prime = el('textarea', { id: 'prime', rows: 3, value: 'ROMEO:\n' });
const temperature = el('input', { id: 'temperature', type: 'number', min: '0', max: '2', step: '0.05', value: '0.8' });
const topK = el('input', { id: 'top-k', type: 'number', min: '0', step: '1', value: '0' });
const topP = el('input', { id: 'top-p', type: 'number', min: '0', max: '1', step: '0.05', value: '1' });
const length = el('input', { id: 'length', type: 'number', min: '1', max: '5000', step: '50', value: '400' });
const seed = el('input', { id: 'seed', type: 'number', step: '1', placeholder: 'random' });
const generate = el('button', { id: 'generate', textContent: 'Generate', disabled: true });
const output = el('div', { id: 'output', className: 'output' });
const speed = el('p', { id: 'speed', className: 'status' });
main.append(
  el('label', {}, 'Priming text'),
  prime,
  el('div', {}, el('label', {}, 'temperature (0 = greedy)', temperature), el('label', {}, 'top-k (0 = off)', topK), el('label', {}, 'top-p', topP), el('label', {}, 'characters', length), el('label', {}, 'seed', seed)),
  el('p', {}, generate),
  output,
  speed,
);

const page = await startPage('textgen.html', 'A character-level LSTM/GRU language model: give it a beginning and it continues, one sampled character at a time.');
generate.disabled = false;
generate.onclick = async () => {
  generate.disabled = true;
  output.replaceChildren(el('span', { className: 'prime', textContent: prime.value }));
  const generated = el('span', { id: 'generated' });
  output.append(generated);
  const t = Number(temperature.value);
  const decode = {
    strategy: t === 0 ? 'greedy' : 'sample',
    ...(t === 0 ? {} : { temperature: t }),
    ...(Number(topK.value) > 0 ? { topK: Number(topK.value) } : {}),
    ...(Number(topP.value) < 1 ? { topP: Number(topP.value) } : {}),
    maxLen: Number(length.value),
    ...(seed.value !== '' ? { seed: Number(seed.value) } : {}),
  };
  page.status('generating…');
  try {
    const { output: result, ms } = await page.client.predict<{ text: string }>({ text: prime.value, decode }, (piece) => {
      generated.textContent += piece;
    });
    generated.textContent = result.text;
    speed.textContent = `${result.text.length} characters in ${ms.toFixed(0)} ms: ${((result.text.length / ms) * 1000).toFixed(0)} chars/s on ${page.info.backend}`;
    page.status('ready');
  } catch (err) {
    page.fail(err);
  } finally {
    generate.disabled = false;
  }
};
