import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDefinition } from '@rnnkit/core';

export const ROOT = new URL('../../..', import.meta.url).pathname;

export type AnyApp = AppDefinition<any, any, any>;

export interface DiscoveredApp {
  dir: string;
  pkg: string;
  cli: string;
  app: AnyApp;
}

function isAppDefinition(value: unknown): value is AnyApp {
  const v = value as Partial<AnyApp> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.loadPredictor === 'function' && v.configSchema !== undefined;
}

/** Every workspace under apps/ whose package exports an AppDefinition (no hard-coded list). */
export async function discoverApps(): Promise<DiscoveredApp[]> {
  const found: DiscoveredApp[] = [];
  for (const name of readdirSync(join(ROOT, 'apps')).sort()) {
    // Dot folders are scratch apps (core's new-app test builds one while other tests run), not workspaces.
    if (name.startsWith('.')) continue;
    const dir = join(ROOT, 'apps', name);
    const pkgFile = join(dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string; bin?: Record<string, string> };
    // A contract app ships a CLI; a workspace without one (the web playground) is not an app to test here.
    if (pkg.bin === undefined) continue;
    const mod = (await import(pkg.name)) as Record<string, unknown>;
    const app = Object.values(mod).find(isAppDefinition);
    if (!app) throw new Error(`${pkgFile}: the package exports no AppDefinition`);
    found.push({ dir, pkg: pkg.name, cli: join(dir, 'dist', 'cli.js'), app });
  }
  return found;
}
