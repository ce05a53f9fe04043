import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import { RnnkitError } from '../errors.js';
import { fileIn, RNNKIT_JSON, type LoadedModelArtifacts, type ModelDirMeta } from '../io/model-artifacts.js';
import { parseWithSchema } from '../schema.js';

/**
 * A saved model as an app sees it: the model, its validated extras and training config, and what rnnkit.json says.
 * Built the same way from a directory on disk (Node, `loadAppModel`) and from files fetched by a page
 * (`appModelFromArtifacts`), so an app's predictor code is one function for both.
 */
export interface LoadedAppModel<E> {
  /** Where the model came from: a directory or a URL (used in messages). */
  dir: string;
  model: tf.LayersModel;
  meta: ModelDirMeta;
  extras: E;
  config: Record<string, unknown>;
}

/** The one error for a model that another app wrote (the same words in every app, CLI, server and page). */
export function wrongAppError(dir: string, want: string, meta: ModelDirMeta): RnnkitError {
  const found = meta.app ? `a ${meta.app.name} model (use ${meta.app.bin ?? `rnnkit-${meta.app.name}`})` : 'a model saved without an app';
  return new RnnkitError(`${dir}: holds ${found}, not a ${want} model`);
}

/**
 * Turns a loaded model (from `loadModelFromArtifacts` / `loadModelFromUrl`) into an app's model: refuses another
 * app's model and validates the extras with the app's strict schema (errors name rnnkit.json and the field). The
 * model is disposed when either check fails.
 */
export function appModelFromArtifacts<S extends z.ZodType>(loaded: LoadedModelArtifacts, app: string, extrasSchema: S): LoadedAppModel<z.output<S>> {
  try {
    if (loaded.meta.app?.name !== app) throw wrongAppError(loaded.source, app, loaded.meta);
    const extras = parseWithSchema(extrasSchema, loaded.extras, `${fileIn(loaded.source, RNNKIT_JSON)} (extras)`);
    return { dir: loaded.source, model: loaded.model, meta: loaded.meta, extras, config: loaded.meta.config ?? {} };
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
