import { RnnkitError, readModelMeta, type Predictor } from '@rnnkit/core';
import { findApp, knownAppNames, type AnyApp } from './apps.js';

/** A model the server is asked to serve: a route name and a model directory (or a run directory holding model/). */
export interface ModelDirSpec {
  /** The route name (`/v1/<name>/...`); default: the app's name. */
  name?: string;
  dir: string;
}

/** A model already loaded by the caller (tests, embedding): the server takes ownership and disposes it on close. */
export interface LoadedModelSpec {
  name: string;
  predictor: Predictor;
  /** The app definition, for the OpenAPI example; optional for hand-made predictors. */
  app?: AnyApp;
  dir?: string;
}

export type ModelSpec = ModelDirSpec | LoadedModelSpec;

/** A model the server serves. */
export interface ServedModel {
  name: string;
  app: string;
  definition?: AnyApp;
  predictor: Predictor;
  dir?: string;
}

const ROUTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Parses the CLI's `--model [NAME=]DIR`. */
export function parseModelArg(arg: string): ModelDirSpec {
  const eq = arg.indexOf('=');
  // A `=` in a path (no valid name before it) is part of the path.
  if (eq > 0 && ROUTE_NAME.test(arg.slice(0, eq))) {
    const dir = arg.slice(eq + 1);
    if (dir === '') throw new RnnkitError(`--model ${arg}: no model directory after "="`);
    return { name: arg.slice(0, eq), dir };
  }
  return { dir: arg };
}

function isLoaded(spec: ModelSpec): spec is LoadedModelSpec {
  return (spec as LoadedModelSpec).predictor !== undefined;
}

async function loadOne(spec: ModelDirSpec, apps: readonly AnyApp[] | undefined): Promise<ServedModel> {
  const where = spec.name ? `--model ${spec.name}=${spec.dir}` : `--model ${spec.dir}`;
  try {
    const { dir, meta } = await readModelMeta(spec.dir);
    const appName = meta.app?.name;
    if (!appName) throw new RnnkitError(`${dir}: a model saved without an app; the server needs an app's model directory`);
    const definition = await findApp(appName, apps);
    if (!definition) {
      throw new RnnkitError(`${dir}: holds a ${appName} model, and no app named ${appName} is installed (known: ${(await knownAppNames(apps)).join(', ')})`);
    }
    const name = spec.name ?? appName;
    if (!ROUTE_NAME.test(name)) throw new RnnkitError(`"${name}" is not a route name (letters, digits, ".", "_", "-")`);
    const predictor = await definition.loadPredictor(dir);
    return { name, app: appName, definition, predictor, dir };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new RnnkitError(`${where}: ${message}`, { cause: err });
  }
}

/**
 * Loads every model, one after the other (tfjs is single-threaded), or none: the first failure disposes what was
 * loaded and throws one line naming the --model argument, so the server never starts half-working.
 */
export async function loadModels(specs: readonly ModelSpec[], apps?: readonly AnyApp[]): Promise<ServedModel[]> {
  if (specs.length === 0) throw new RnnkitError('no model to serve: give at least one --model [NAME=]DIR');
  const served: ServedModel[] = [];
  try {
    for (const spec of specs) {
      const model = isLoaded(spec)
        ? { name: spec.name, app: spec.predictor.app, definition: spec.app, predictor: spec.predictor, dir: spec.dir }
        : await loadOne(spec, apps);
      if (served.some((m) => m.name === model.name)) {
        model.predictor.dispose();
        throw new RnnkitError(`two models are named "${model.name}": give each --model its own NAME= prefix`);
      }
      if (!ROUTE_NAME.test(model.name)) {
        model.predictor.dispose();
        throw new RnnkitError(`"${model.name}" is not a route name (letters, digits, ".", "_", "-")`);
      }
      served.push(model);
    }
    return served;
  } catch (err) {
    for (const m of served) m.predictor.dispose();
    throw err;
  }
}
