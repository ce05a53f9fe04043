import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { APP_PACKAGES } from '../src/apps.js';
import { ROOT } from './helpers.js';

// Every app with a CLI under apps/ is one the server can load: listed in APP_PACKAGES and a dependency of this
// package (an app added without both would be refused at start-up as "no app named ... is installed").
it('knows every app under apps/ that has a CLI', () => {
  const apps = readdirSync(join(ROOT, 'apps'))
    .map((folder) => JSON.parse(readFileSync(join(ROOT, 'apps', folder, 'package.json'), 'utf8')) as { name: string; bin?: unknown })
    .filter((pkg) => pkg.bin !== undefined)
    .map((pkg) => pkg.name)
    .sort();
  expect(apps.length).toBeGreaterThan(0);
  expect([...APP_PACKAGES].sort()).toEqual(apps);
  const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'packages', 'serve', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const app of apps) expect(deps, app).toContain(app);
});
