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
    const dir = join(ROOT, 'apps', name);
    const pkgFile = join(dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string; bin?: Record<string, string> };
    const mod = (await import(pkg.name)) as Record<string, unknown>;
    const app = Object.values(mod).find(isAppDefinition);
    if (!app) throw new Error(`${pkgFile}: the package exports no AppDefinition`);
    found.push({ dir, pkg: pkg.name, cli: join(dir, 'dist', 'cli.js'), app });
  }
  return found;
}
