import { test } from 'vitest';
import { prepareData, DEFAULT_DATA_CONFIG } from '../src/data/index.js';
import { bigramModel, unigramModel, responsesNll } from '../src/baselines.js';
test('dup', async () => {
  const { dataset: d } = await prepareData(undefined, DEFAULT_DATA_CONFIG);
  const trainSet = new Set(d.train.map(p => p.response.join(' ')));
  const dup = d.heldOut.filter(p => trainSet.has(p.response.join(' '))).length;
  console.log('CFG', JSON.stringify(DEFAULT_DATA_CONFIG), 'V', d.vocab.size, 'train', d.train.length, 'heldout', d.heldOut.length, 'seen', dup, JSON.stringify(d.stats));
  const V = d.vocab.size;
  const tr = d.train.map(p=>p.responseIds), he = d.heldOut.map(p=>p.responseIds);
  const unk = he.flat().filter(x=>x===1).length;
  for (const m of [unigramModel(tr, V), bigramModel(tr, V)]) { const r = responsesNll(m, he); console.log('PPL', m.name, r.tokens, Math.exp(r.nll/r.tokens), 'unk', unk); }
});
