// `node scripts/coverage.mjs MODEL_DIR [MODEL_DIR...]` (after the build, with $RNNKIT_DATA_DIR set, SST-2 models
// of one split): how much of the test part's text the training vocabulary covers, and the accuracy of the models'
// mean probabilities (one model: that model) on three groups of test texts: with a word outside the vocabulary,
// with a word seen fewer than 5 times in the training part, and the rest; then the accuracy on the training rows
// themselves (how much the models memorized).
import { accuracy, argmaxRows, initBackend, meanProbabilities } from '@rnnkit/core';
import { loadSentimentModel, modelProbs, prepareData } from '../dist/index.js';

const dirs = process.argv.slice(2);
if (dirs.length === 0 || !process.env.RNNKIT_DATA_DIR) {
  console.error('usage: RNNKIT_DATA_DIR=... node scripts/coverage.mjs MODEL_DIR [MODEL_DIR...]');
  process.exit(2);
}
await initBackend({ quiet: true });
const models = [];
for (const dir of dirs) models.push(await loadSentimentModel(dir));
const first = models[0];
const data = prepareData(first.extras.dataset, undefined, first.extras.split, { vocab: first.vocab });
const k = first.extras.classNames.length;
const counts = new Map();
for (const tokens of data.train.tokens) for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);

const mean = (part) => meanProbabilities(models.map((m) => modelProbs(m, { val: data.val, test: part }).test));
const predicted = argmaxRows(mean(data.test), k);
const labels = data.test.encoded.labels;
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const groups = { 'a word outside the vocabulary': [], 'a word seen < 5 times in training (no unknown word)': [], 'only words seen >= 5 times': [] };
const names = Object.keys(groups);
let tokens = 0;
let unknown = 0;
data.test.tokens.forEach((t, i) => {
  const unk = t.filter((w) => !first.vocab.has(w)).length;
  tokens += t.length;
  unknown += unk;
  groups[unk > 0 ? names[0] : t.some((w) => (counts.get(w) ?? 0) < 5) ? names[1] : names[2]].push(i);
});
console.log(`${data.test.rows.length} test texts, ${tokens} tokens, ${unknown} (${pct(unknown / tokens)}) outside the vocabulary of ${first.vocab.size}`);
console.log(`accuracy of the mean of ${models.length} model(s):`);
for (const [name, idx] of Object.entries(groups)) {
  const acc = accuracy(idx.map((i) => labels[i]), idx.map((i) => predicted[i]));
  const words = idx.reduce((n, i) => n + data.test.tokens[i].length, 0) / Math.max(idx.length, 1);
  console.log(`  ${name}: ${idx.length} texts (mean ${words.toFixed(1)} tokens), accuracy ${pct(acc)}`);
}
const trainPredicted = argmaxRows(mean(data.train), k);
console.log(`on the ${data.train.rows.length} training rows: accuracy ${pct(accuracy(data.train.encoded.labels, trainPredicted))}`);
for (const m of models) m.model.dispose();
