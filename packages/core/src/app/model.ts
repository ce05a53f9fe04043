import type { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { loadModelDir, readModelMeta } from '../io/model-dir.js';
import { appModelFromArtifacts, wrongAppError, type LoadedAppModel } from './app-model.js';

export { appModelFromArtifacts, checkSizesAgainstWeights, wrongAppError, type LoadedAppModel } from './app-model.js';

/** Checks which app wrote the model dir (`dir` may be a run directory holding model/) without reading its weights. */
export async function checkModelApp(dir: string, app: string): Promise<string> {
  const { dir: resolved, meta } = await readModelMeta(dir);
  if (meta.app?.name !== app) throw wrongAppError(resolved, app, meta);
  return resolved;
}

/**
 * The one model loader every app uses on Node: resolves a run dir to its model/, refuses other apps' models before
 * reading any weights, verifies the weights' hash, and validates the app's extras with its strict schema.
 */
export async function loadAppModel<S extends z.ZodType>(dir: string, app: string, extrasSchema: S): Promise<LoadedAppModel<z.output<S>>> {
  const resolved = await checkModelApp(dir, app);
  const loaded = await loadModelDir(resolved);
  return appModelFromArtifacts({ model: loaded.model, extras: loaded.extras, meta: loaded.meta, source: resolved }, app, extrasSchema);
}

/**
 * Refuses an `evaluate --ensemble` member whose recorded settings would put other examples in its validation or
 * test part than `--model`'s: `fields` maps each setting's name to [the first model's value, the member's],
 * compared as JSON, in order; the first that differs is named.
 */
export function checkEnsembleMember(first: { dir: string }, member: { dir: string }, fields: Record<string, readonly [unknown, unknown]>): void {
  for (const [what, [x, y]] of Object.entries(fields)) {
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    throw new RnnkitError(
      `--ensemble ${member.dir}: ${what} ${JSON.stringify(y)} differs from --model ${first.dir}'s ${JSON.stringify(x)}; ` +
        'an ensemble combines models scored on the same validation and test examples',
    );
  }
}
