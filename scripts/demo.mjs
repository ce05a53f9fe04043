// `npm run demo`: runs the short `demo` command of every app under apps/ that declares one (its AppDefinition has
// `demo`), in turn, on its default data, so a fresh clone shows each app training and producing one visible result.
// Each app's README documents its full-size run. `npm run demo -- textgen chatbot` runs only those.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const outRoot = join(root, 'runs', 'demo');
const failures = [];

/** The apps with a demo: [folder, app name, demo description], from each built package's AppDefinition. */
async function appsWithDemo() {
  const found = [];
  for (const folder of readdirSync(join(root, 'apps')).sort()) {
    const pkgFile = join(root, 'apps', folder, 'package.json');
    if (!existsSync(pkgFile)) continue;
    // Only apps with a CLI have a demo; apps/web is the playground that shows the demos' models.
    if (JSON.parse(readFileSync(pkgFile, 'utf8')).bin === undefined) continue;
    const entry = join(root, 'apps', folder, 'dist', 'index.js');
    if (!existsSync(entry)) {
      failures.push(`${folder}: ${entry} not built (run npm run build)`);
      continue;
    }
    const mod = await import(pathToFileURL(entry).href);
    const app = Object.values(mod).find((v) => v && typeof v === 'object' && typeof v.loadPredictor === 'function' && typeof v.name === 'string');
    if (app?.demo) found.push([folder, app.name, app.demo.description]);
  }
  return found;
}

for (const [folder, name, what] of await appsWithDemo()) {
  if (only.length > 0 && !only.includes(folder) && !only.includes(name)) continue;
  const cli = join(root, 'apps', folder, 'dist', 'cli.js');
  process.stdout.write(`\n=== ${name}: ${what} ===\n`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [cli, 'demo', '--out', join(outRoot, folder)], { stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status !== 0) failures.push(`${name}: exited with ${run.status ?? run.signal} after ${seconds}s`);
  else process.stdout.write(`=== ${name} done in ${seconds}s; outputs in runs/demo/${folder} ===\n`);
}
if (failures.length > 0) {
  process.stderr.write(`\ndemo failures:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
