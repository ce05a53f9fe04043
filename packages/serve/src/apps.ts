import type { AppDefinition } from '@rnnkit/core';

/** Any app's definition (the server only uses its name, loader and example). */
export type AnyApp = AppDefinition<any, any, any>;

/**
 * The app packages the server can load models of (its dependencies). An app is found by the `name` of the
 * AppDefinition its package exports, the same way the contract test discovers apps; a package that does not export
 * one yet is skipped. Packages are imported only when a model of theirs is asked for (stocks pulls in danfojs).
 */
export const APP_PACKAGES = ['@rnnkit/textgen', '@rnnkit/chatbot', '@rnnkit/summarize', '@rnnkit/mnist-rows', '@rnnkit/stocks', '@rnnkit/sentiment', '@rnnkit/translate', '@rnnkit/spoken-digits'] as const;

export function isAppDefinition(value: unknown): value is AnyApp {
  const v = value as Partial<AnyApp> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.loadPredictor === 'function' && v.configSchema !== undefined;
}

const imported = new Map<string, Promise<AnyApp | undefined>>();

async function importApp(pkg: string): Promise<AnyApp | undefined> {
  let found = imported.get(pkg);
  if (!found) {
    found = import(pkg).then(
      (mod: Record<string, unknown>) => Object.values(mod).find(isAppDefinition),
      () => undefined,
    );
    imported.set(pkg, found);
  }
  return found;
}

/**
 * The app definition named `name`: among `apps` when given, else in the app packages (`@rnnkit/<name>` first, then
 * the others, whose app name may differ from their package name).
 */
export async function findApp(name: string, apps?: readonly AnyApp[]): Promise<AnyApp | undefined> {
  if (apps) return apps.find((a) => a.name === name);
  const first = APP_PACKAGES.find((p) => p === `@rnnkit/${name}`);
  for (const pkg of first ? [first, ...APP_PACKAGES.filter((p) => p !== first)] : APP_PACKAGES) {
    const app = await importApp(pkg);
    if (app?.name === name) return app;
  }
  return undefined;
}

/** The names of the apps the server knows (for error messages). */
export async function knownAppNames(apps?: readonly AnyApp[]): Promise<string[]> {
  const all = apps ?? (await Promise.all(APP_PACKAGES.map(importApp))).filter((a): a is AnyApp => a !== undefined);
  return all.map((a) => a.name).sort();
}
