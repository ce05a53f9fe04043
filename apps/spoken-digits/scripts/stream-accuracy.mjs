// `node scripts/stream-accuracy.mjs MODEL_DIR` (after the build, with $RNNKIT_DATA_DIR set): joins the 300 official
// test recordings into one stream, 0.5 s of faint noise first and 0.7 s between them, feeds it in 100 ms chunks
// through the endpointer (as `predict -` does) and prints how many utterances it found and how many the model
// read right, in order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@rnnkit/core';
import { Endpointer, decodeWav, loadPredictor } from '../dist/index.js';

const [modelDir] = process.argv.slice(2);
if (!modelDir || !process.env.RNNKIT_DATA_DIR) {
  console.error('usage: RNNKIT_DATA_DIR=... node scripts/stream-accuracy.mjs MODEL_DIR');
  process.exit(2);
}
await initBackend({ quiet: true });
const dir = path.join(process.env.RNNKIT_DATA_DIR, 'spoken-digits', 'recordings');
const files = fs.readdirSync(dir).filter((f) => /^\d_[a-z]+_[0-4]\.wav$/.test(f)).sort();
const predictor = await loadPredictor(modelDir);
let seed = 7;
const quiet = (n) => Float32Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return 0.0005 * ((seed / 2 ** 32) * 2 - 1);
});
const parts = [quiet(4000)];
const truth = [];
for (const f of files) {
  parts.push(decodeWav(fs.readFileSync(path.join(dir, f)), f).samples, quiet(5600));
  truth.push(f[0]);
}
const stream = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
parts.reduce((at, p) => (stream.set(p, at), at + p.length), 0);
const endpointer = new Endpointer({ sampleRate: 8000 });
const utterances = [];
for (let i = 0; i < stream.length; i += 800) utterances.push(...endpointer.push(stream.subarray(i, i + 800)));
utterances.push(...endpointer.flush());
let right = 0;
for (const [i, u] of utterances.entries()) {
  const out = await predictor.predict({ samples: Array.from(u.samples), sampleRate: 8000 });
  if (out.digit === truth[i]) right++;
}
predictor.dispose();
console.log(`${utterances.length} utterances found for ${truth.length} recordings; ${right} read right in order (${((right / truth.length) * 100).toFixed(2)}%)`);
