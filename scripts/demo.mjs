// `npm run demo`: runs every app's short `demo` command in turn on its default data, so a fresh clone shows
// each app training and producing one visible result. Each app's README documents its full-size run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const apps = [
  ['textgen', 'character-level text generation on tiny Shakespeare'],
  ['mnist-rows', 'MNIST read row by row'],
  ['stocks', 'stock forecasting with walk-forward evaluation'],
  ['summarize', 'headline generation with attention'],
  ['chatbot', 'Seq2Seq chatbot with attention'],
];
const only = process.argv.slice(2);
const outRoot = join(root, 'runs', 'demo');
const failures = [];
for (const [app, what] of apps) {
  if (only.length > 0 && !only.includes(app)) continue;
  const cli = join(root, 'apps', app, 'dist', 'cli.js');
  if (!existsSync(cli)) {
    failures.push(`${app}: ${cli} not built (run npm run build)`);
    continue;
  }
  process.stdout.write(`\n=== ${app}: ${what} ===\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [cli, 'demo', '--out', join(outRoot, app)], { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failures.push(`${app}: exited with ${run.status ?? run.signal} after ${seconds}s`);
  else process.stdout.write(`=== ${app} done in ${seconds}s; outputs in runs/demo/${app} ===\n`);
}
if (failures.length > 0) {
  process.stderr.write(`\ndemo failures:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
