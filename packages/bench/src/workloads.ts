// The canonical benchmark workloads live outside the repo (../shared/bench/workloads.json relative
// to the repo root) so that rnnkit and its peers are measured on exactly the same shapes.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RecurrentWorkload {
  kind: 'sequence';
  name: string;
  cell: 'lstm' | 'gru';
  units: number;
  layers: number;
  timesteps: number;
  batch: number;
  /** Token inputs (vocab/embed) or float features. */
  vocab?: number;
  embed?: number;
  features?: number;
  /** Many-to-one heads: classes (classification) or, without classes, one regression value. */
  classes?: number;
  manyToMany: boolean;
  /** Every layer bidirectional (outputs of both directions concatenated). */
  bidirectional: boolean;
  /** Variable lengths: each sequence's frames past its length are padding the recurrent layers must skip. */
  masked: boolean;
}

export interface Seq2SeqWorkload {
  kind: 'seq2seq';
  name: string;
  vocab: number;
  embed: number;
  encoderCell: 'gru' | 'lstm';
  encoderUnits: number;
  bidirectional: boolean;
  decoderUnits: number;
  srcTimesteps: number;
  tgtTimesteps: number;
  batch: number;
}

export type Workload = RecurrentWorkload | Seq2SeqWorkload;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function workloadsPath(): string {
  return process.env.RNNKIT_BENCH_WORKLOADS ?? resolve(repoRoot, '..', 'shared', 'bench', 'workloads.json');
}

type Raw = Record<string, unknown>;

function field<T>(raw: Raw, key: string, where: string, type: 'number' | 'string'): T {
  const v = raw[key];
  if (typeof v !== type) throw new Error(`${where}: field "${key}" must be a ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

function cellOf(text: string, where: string): 'gru' | 'lstm' {
  const m = /\b(gru|lstm)\b/i.exec(text);
  if (!m) throw new Error(`${where}: cannot tell the cell type (gru or lstm) from "${text}"`);
  return m[1].toLowerCase() as 'gru' | 'lstm';
}

function unitsOf(text: string, where: string): number {
  const m = /(\d+)\s*units/i.exec(text);
  if (!m) throw new Error(`${where}: cannot find "<n> units" in "${text}"`);
  return Number(m[1]);
}

function parseWorkload(name: string, raw: Raw, file: string): Workload {
  const where = `${file}: workloads.${name}`;
  if ('src_timesteps' in raw) {
    const encoder = field<string>(raw, 'encoder', where, 'string');
    const decoder = field<string>(raw, 'decoder', where, 'string');
    return {
      kind: 'seq2seq',
      name,
      vocab: field(raw, 'vocab', where, 'number'),
      embed: field(raw, 'embed', where, 'number'),
      encoderCell: cellOf(encoder, `${where}.encoder`),
      encoderUnits: unitsOf(encoder, `${where}.encoder`),
      bidirectional: /bidirectional/i.test(encoder),
      decoderUnits: unitsOf(decoder, `${where}.decoder`),
      srcTimesteps: field(raw, 'src_timesteps', where, 'number'),
      tgtTimesteps: field(raw, 'tgt_timesteps', where, 'number'),
      batch: field(raw, 'batch', where, 'number'),
    };
  }
  const cell = field<string>(raw, 'cell', where, 'string');
  if (cell !== 'lstm' && cell !== 'gru') throw new Error(`${where}: field "cell" must be "lstm" or "gru", got "${cell}"`);
  const task = typeof raw.task === 'string' ? raw.task : '';
  const w: RecurrentWorkload = {
    kind: 'sequence',
    name,
    cell,
    units: field(raw, 'units', where, 'number'),
    layers: typeof raw.layers === 'number' ? raw.layers : 1,
    timesteps: field(raw, 'timesteps', where, 'number'),
    batch: field(raw, 'batch', where, 'number'),
    manyToMany: /many-to-many/i.test(task),
    bidirectional: raw.bidirectional === true,
    masked: /\bmasked\b/i.test(task),
  };
  if (typeof raw.vocab === 'number') {
    w.vocab = raw.vocab;
    w.embed = field(raw, 'embed', where, 'number');
  } else {
    w.features = field(raw, 'features', where, 'number');
  }
  if (typeof raw.classes === 'number') w.classes = raw.classes;
  return w;
}

/** Reads and validates the workloads; `only` selects a subset by name (unknown names are an error). */
export function loadWorkloads(only?: string[]): { file: string; workloads: Workload[] } {
  const file = workloadsPath();
  if (!existsSync(file)) {
    throw new Error(`benchmark workloads not found at ${file} (set RNNKIT_BENCH_WORKLOADS to the workloads.json to use)`);
  }
  let parsed: { workloads?: Record<string, Raw> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!parsed.workloads || typeof parsed.workloads !== 'object') throw new Error(`${file}: missing "workloads" object`);
  const all = Object.entries(parsed.workloads).map(([name, raw]) => parseWorkload(name, raw, file));
  if (!only) return { file, workloads: all };
  const unknown = only.filter((n) => !all.some((w) => w.name === n));
  if (unknown.length > 0) {
    throw new Error(`unknown workload(s) ${unknown.join(', ')}; ${file} defines ${all.map((w) => w.name).join(', ')}`);
  }
  return { file, workloads: all.filter((w) => only.includes(w.name)) };
}
