import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { loadModelDir, readModelMeta, type ModelDirMeta } from '../io/model-dir.js';
import { parseWithSchema } from '../schema.js';
import * as path from 'node:path';

/** A model directory loaded for an app: the model, its validated extras and config, and what rnnkit.json says. */
export interface LoadedAppModel<E> {
  dir: string;
  model: tf.LayersModel;
  meta: ModelDirMeta;
  extras: E;
  config: Record<string, unknown>;
}

/** The one error for a model that another app wrote (the same words in every app, CLI and server). */
export function wrongAppError(dir: string, want: string, meta: ModelDirMeta): RnnkitError {
  const found = meta.app ? `a ${meta.app.name} model (use ${meta.app.bin ?? `rnnkit-${meta.app.name}`})` : 'a model saved without an app';
  return new RnnkitError(`${dir}: holds ${found}, not a ${want} model`);
}

/** Checks which app wrote the model dir (`dir` may be a run directory holding model/) without reading its weights. */
export async function checkModelApp(dir: string, app: string): Promise<string> {
  const { dir: resolved, meta } = await readModelMeta(dir);
  if (meta.app?.name !== app) throw wrongAppError(resolved, app, meta);
  return resolved;
}

/**
 * The one model loader every app uses: resolves a run dir to its model/, refuses other apps' models, verifies the
 * weights' hash, and validates the app's extras with its strict schema (errors name rnnkit.json and the field).
 */
export async function loadAppModel<S extends z.ZodType>(dir: string, app: string, extrasSchema: S): Promise<LoadedAppModel<z.output<S>>> {
  const resolved = await checkModelApp(dir, app);
  const source = path.join(resolved, 'rnnkit.json');
  const loaded = await loadModelDir(resolved);
  try {
    const extras = parseWithSchema(extrasSchema, loaded.extras, `${source} (extras)`);
    return { dir: resolved, model: loaded.model, meta: loaded.meta, extras, config: loaded.meta.config ?? {} };
  } catch (err) {
    loaded.model.dispose();
    throw err;
  }
}

/**
 * Sizes an app reads from rnnkit.json to build more layers (a step model, a decoder) must be sizes the loaded
 * weights really have: a crafted `units: 1e9` would otherwise allocate before any shape check. `sizes` maps a field
 * name (as shown in the error) to a size or a list of sizes.
 */
export function checkSizesAgainstWeights(model: tf.LayersModel, sizes: Record<string, number | number[]>, source: string): void {
  const dims = new Set(model.weights.flatMap((w) => w.shape));
  for (const [field, value] of Object.entries(sizes)) {
    for (const v of [value].flat()) {
      if (!dims.has(v)) throw new RnnkitError(`${source}: field "${field}" is ${v}, which is not a size of the saved weights (crafted or mismatched rnnkit.json)`);
    }
  }
}
