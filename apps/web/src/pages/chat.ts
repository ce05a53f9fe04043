import type { ChatbotOutput } from '@rnnkit/chatbot/predictor';
import { byId, el, startPage } from '../page.js';

// Chat: a conversation with the Seq2Seq chatbot. The history is kept on this page and sent with every message,
// so the model answers in context; greedy and sampled replies stream word by word, beam replies arrive whole.

const main = byId('app');
const log = el('div', { id: 'chat-log', className: 'chat-log' });
const message = el('input', { id: 'message', type: 'text', placeholder: 'say something…', autocomplete: 'off' });
message.style.width = '60%';
const send = el('button', { id: 'send', textContent: 'Send', disabled: true });
const reset = el('button', { id: 'reset', className: 'secondary', textContent: 'Reset' });
const strategy = el('select', { id: 'strategy' }, ...['greedy', 'sample', 'beam'].map((s) => el('option', { value: s, textContent: s })));
const temperature = el('input', { id: 'temperature', type: 'number', min: '0.05', max: '2', step: '0.05', value: '0.7' });
const beam = el('input', { id: 'beam-width', type: 'number', min: '2', max: '16', step: '1', value: '4' });
const notes = el('p', { id: 'chat-notes', className: 'intro' });
main.append(
  log,
  el('form', { id: 'chat-form' }, message, ' ', send, ' ', reset),
  el('p', {}, el('label', {}, 'decoding', strategy), el('label', {}, 'temperature', temperature), el('label', {}, 'beam width', beam)),
  notes,
);

const page = await startPage('chat.html', 'A Seq2Seq chatbot with attention, trained on the ChatterBot corpus; it remembers the conversation on this page.');
const history: string[] = [];
send.disabled = false;
reset.onclick = () => {
  history.length = 0;
  log.replaceChildren();
  notes.textContent = '';
};
byId<HTMLFormElement>('chat-form').onsubmit = async (event) => {
  event.preventDefault();
  const text = message.value.trim();
  if (text === '') return;
  message.value = '';
  send.disabled = true;
  log.append(el('p', { className: 'you', textContent: text }));
  const bot = el('p', { className: 'bot' });
  log.append(bot);
  const decode =
    strategy.value === 'beam'
      ? { strategy: 'beam', beamWidth: Number(beam.value) }
      : strategy.value === 'sample'
        ? { strategy: 'sample', temperature: Number(temperature.value) }
        : { strategy: 'greedy' };
  try {
    const stream = strategy.value !== 'beam' ? (piece: string) => (bot.textContent += piece) : undefined;
    const { output, ms } = await page.client.predict<ChatbotOutput>({ message: text, history: history.slice(-20), decode }, stream);
    bot.textContent = output.reply;
    history.push(text, output.reply);
    notes.textContent = [
      `${ms.toFixed(0)} ms on ${page.info.backend}`,
      output.unknown.length > 0 ? `words it does not know: ${output.unknown.join(', ')}` : '',
      output.alternatives?.length ? `other beams: ${output.alternatives.map((a) => `"${a.reply}"`).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    page.status('ready');
  } catch (err) {
    page.fail(err);
    bot.remove();
  } finally {
    send.disabled = false;
  }
};
