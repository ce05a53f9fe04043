// `npm run new-app -- NAME`: copies scripts/app-template into apps/NAME (replacing __NAME__), shares the
// monorepo's tsconfig and vitest settings, and links the new workspace with `npm install`.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  return args.splice(i, name.startsWith('--no-') ? 1 : 2)[name.startsWith('--no-') ? 0 : 1];
};
// --dest and --no-install exist for the scaffold's own test, which builds an app outside the workspace globs.
const dest = flag('--dest');
const install = flag('--no-install') === undefined;
const name = args[0];
if (!name || args.length > 1 || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: npm run new-app -- NAME   (lowercase letters, digits and dashes, starting with a letter)');
  process.exit(2);
}
const target = dest ? resolve(dest) : join(root, 'apps', name);
if (existsSync(target)) {
  console.error(`error: ${target} already exists`);
  process.exit(1);
}
cpSync(join(root, 'scripts', 'app-template'), target, { recursive: true });
// Configs identical in every package are copied from core rather than kept twice in the template.
for (const file of ['tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts']) {
  cpSync(join(root, 'packages', 'core', file), join(target, file));
}
const fill = (dir) => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) fill(path);
    else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('__NAME__', name));
  }
};
fill(target);
if (!install) {
  console.log(`created ${target}`);
  process.exit(0);
}
console.log(`created apps/${name}; linking the workspace with npm install ...`);
const linked = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
if (linked.status !== 0) process.exit(linked.status ?? 1);
console.log(`done. Next: npx turbo run build test --filter=@rnnkit/${name}`);
