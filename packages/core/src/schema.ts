import { z } from 'zod';
import { RnnkitError } from './errors.js';
import { CELL_TYPES } from './layers/recurrent-kernel.js';

/**
 * Schema validation shared by configs, model metadata and predictor inputs. Every schema is strict (unknown fields
 * are errors) and every failure becomes one line naming the field, e.g.
 *   `input: field "decode.temperature" must be <= 10 (got 12)`.
 * No Node APIs here: predictors validate their input with it in a browser too.
 */

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined; // BigInt, cycles
  }
  if (typeof text !== 'string') return `a ${typeof v}`; // functions, symbols
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** One line for the first problem zod found; `where` names the file or thing validated ("input", "a.json"). */
export function describeSchemaError(error: z.ZodError, where: string, root?: unknown): string {
  // An unknown field explains a missing one better than the other way round ({"txt": ...} for "text").
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  if (!issue) return `${where}: invalid`;
  if (issue.code === 'unrecognized_keys') {
    const parent = fieldPath(issue.path);
    const names = issue.keys.map((k) => `"${parent ? `${parent}.` : ''}${k}"`).join(', ');
    return `${where}: unknown field${issue.keys.length > 1 ? 's' : ''} ${names}`;
  }
  const field = fieldPath(issue.path);
  const got = root === undefined ? '' : ` (got ${describeValue(valueAt(root, issue.path))})`;
  return `${where}: ${field ? `field "${field}"` : 'value'}: ${issue.message}${got}`;
}

/** Validates `value`, throwing an RnnkitError that names `where` and the field at fault. */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new RnnkitError(describeSchemaError(result.error, where, value));
  return result.data;
}

/** A recurrent cell config field: every cell in core's table (a new cell appears in every app's --cell). */
export const cellSchema = z.enum(CELL_TYPES);
