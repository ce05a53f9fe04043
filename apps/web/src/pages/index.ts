import { byId, DATA_CREDITS, el, PAGES } from '../page.js';
import '../style.css';

// The home page: what the playground is and a link to each app's page.
const main = byId('app');
document.body.prepend(el('nav', {}, el('a', { href: './index.html', textContent: 'rnnkit playground' }), ...PAGES.map((p) => el('a', { href: `./${p.file}`, textContent: p.title }))));
main.append(
  el('h1', { textContent: 'rnnkit playground' }),
  el('p', {
    className: 'intro',
    textContent:
      'Recurrent networks trained with rnnkit in Node, running here in your browser with TensorFlow.js (WebGL when your browser has it, else plain JavaScript), in a Web Worker. Nothing you type leaves this page.',
  }),
  el(
    'ul',
    { className: 'home-list' },
    ...PAGES.map((p) => el('li', {}, el('a', { href: `./${p.file}`, textContent: p.title }), ` — the ${p.app} app. Data: ${DATA_CREDITS[p.app]}`)),
  ),
);
