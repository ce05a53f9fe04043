import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  accessSync, chmodSync, constants, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binName } from '@rnnkit/core';
import { discoverApps, type DiscoveredApp } from './apps.js';
import { STACK_FRAME, TINY, cliAsync, errorLines, type CliResult } from './cli.js';

/**
 * The bad-input suite: per app, a table of commands with a crafted input (missing, empty, binary, truncated, wrong
 * format or encoding, crafted model directories, bad flag values, unwritable outputs) and the outcome every one must
 * have: exit code 1, exactly one line on stderr (besides the backend notice and warnings) that names the file, line,
 * field or flag, no stack trace, and an end within the row's time bound (a hang is killed with SIGKILL and fails).
 *
 * Each app is trained once, tiny (TINY in cli.ts); crafted model directories are edited copies of that model.
 * Rows run two processes at a time (a CLI start is mostly CPU: more would only slow every row down).
 * A row that fails because an app or core mishandles the input is listed in KNOWN_BUGS (below the table) with what
 * it really does, and runs as it.fails: the suite stays green and the bug visible, and fixing the bug turns the row
 * red until its entry is removed. The read-only --out row is skipped, saying why, where the user can write anyway
 * (root). BAD_INPUT_REPORT=<file> writes every row's outcome as JSON; a per-app summary is printed at the end.
 */

if (!process.env.RNNKIT_DATA_DIR) throw new Error('RNNKIT_DATA_DIR is not set: the bad-input suite trains tiny models on the real datasets');

const apps = await discoverApps();
const root = mkdtempSync(join(tmpdir(), 'rnnkit-bad-input-'));
/** No row may download anything or find files in the user's cache. */
const ENV = { RNNKIT_CACHE_DIR: join(root, 'cache') };
const DEFAULT_BOUND_MS = 10_000;
/**
 * Time bounds are for an unloaded machine; when other work keeps the CPUs busy (1-minute load above the CPU count),
 * they stretch by the ratio, at most 6×: a hang still fails, a slow start-up on a busy CI runner does not.
 * BAD_INPUT_TIME_SCALE=<x> sets the factor.
 */
function timeScale(): number {
  const forced = Number(process.env.BAD_INPUT_TIME_SCALE);
  if (forced > 0) return forced;
  return Math.min(6, Math.max(1, loadavg()[0] / availableParallelism()));
}
const BOMB_SIDE = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// Running processes, two at a time.

const MAX_PROCESSES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_PROCESSES) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const run = (app: DiscoveredApp, args: string[], timeoutMs: number, env: Record<string, string> = {}) =>
  withSlot(() => cliAsync(app, args, { timeoutMs, env: { ...ENV, ...env } }));

// ---------------------------------------------------------------------------------------------------------------
// Files.

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Sets the first numeric `key` found (depth first) in `node` to `value`; returns whether one was found. */
function setFirst(node: unknown, key: string, value: number): boolean {
  if (typeof node !== 'object' || node === null) return false;
  for (const [k, v] of Object.entries(node)) {
    if (k === key && typeof v === 'number') {
      (node as Record<string, unknown>)[k] = value;
      return true;
    }
    if (setFirst(v, key, value)) return true;
  }
  return false;
}

const extrasOf = (json: Record<string, unknown>) => json.extras as Record<string, Record<string, unknown>>;

/** Bytes that no text format accepts: NUL, high bytes, invalid UTF-8. */
const BINARY = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid 8-bit greyscale PNG of side × side black pixels: a few hundred KB that decode to side² bytes (a
 * decompression bomb at 20000: 400 MB of pixels, 1.6 GB as RGBA). Deflated in 16 MB pieces to keep memory flat.
 */
async function pngBomb(side: number): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, no filter, no interlace
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const ended = once(deflate, 'end');
  const block = Buffer.alloc(16 * 1024 * 1024); // scanlines: filter byte 0 + side zero pixels, all zero bytes
  for (let left = side * (side + 1); left > 0; left -= block.length) {
    if (!deflate.write(block.subarray(0, Math.min(left, block.length)))) await once(deflate, 'drain');
  }
  deflate.end();
  await ended;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Whether this process can create files in a directory of mode 0o555 (root can: EACCES never triggers). */
function readOnlyDirIsWritable(): boolean {
  const dir = join(root, 'probe-ro');
  mkdirSync(dir, { mode: 0o555 });
  chmodSync(dir, 0o555);
  try {
    accessSync(dir, constants.W_OK);
    writeFileSync(join(dir, 'probe'), '');
    return true;
  } catch {
    return false;
  } finally {
    chmodSync(dir, 0o755);
  }
}
const READ_ONLY_SKIP = readOnlyDirIsWritable()
  ? `skipped: running as ${process.getuid?.() === 0 ? 'root' : 'a user'} that may write into a mode 0o555 directory, so EACCES cannot happen here (the "--out under a file" row covers the error path)`
  : undefined;

// ---------------------------------------------------------------------------------------------------------------
// The tiny trained model of every app, trained once.

const trained = new Map<string, Promise<string>>();

function trainedRun(app: DiscoveredApp): Promise<string> {
  const name = app.app.name;
  let p = trained.get(name);
  if (!p) {
    const out = join(root, 'trained', name);
    p = run(app, ['train', '--out', out, '--epochs', '1', '--max-steps-per-epoch', '2', '--quiet', '--json', ...TINY[name].train], 600_000).then((r) => {
      if (r.status !== 0) throw new Error(`tiny training of ${name} failed (exit ${r.status}):\n${r.stderr}`);
      return out;
    });
    trained.set(name, p);
  }
  return p;
}

let bomb: Buffer | undefined;
const readOnlyDirs: string[] = [];

beforeAll(async () => {
  const [png] = await Promise.all([pngBomb(BOMB_SIDE), ...apps.map((a) => trainedRun(a))]);
  bomb = png;
}, 900_000);

// ---------------------------------------------------------------------------------------------------------------
// Rows.

interface Ctx {
  app: DiscoveredApp;
  name: string;
  /** The tiny trained run directory (holds model/, checkpoints/, run.json). */
  run: string;
  /** Its model directory. */
  model: string;
  /** A fresh empty directory for this row. */
  work: string;
  /** The app's predictor example input, as JSON. */
  example: string;
  /** The app whose model this one must refuse (the next one, in a cycle). */
  other: { name: string; run: string; bin: string };
  /** Tiny training flags, for rows that would otherwise train for long if the bad input were accepted. */
  tiny: string[];
  /** A copy of the trained model directory, edited by `edit`. */
  craft(edit: (dir: string) => void): string;
  /** Writes a file into `work`. */
  file(name: string, content: string | Uint8Array): string;
  /** Creates a directory in `work` (e.g. where a file is expected). */
  dir(name: string): string;
  /** A copy of the whole trained run directory. */
  runCopy(): string;
  /** Runs the app (for rows that need some setup first, e.g. a run to resume). */
  cli(args: string[], timeoutMs?: number): Promise<CliResult>;
}

interface Row {
  what: string;
  args: (c: Ctx) => string[] | Promise<string[]>;
  /** What the one stderr line must match: the file, line, field or flag at fault. */
  expect: (c: Ctx) => RegExp;
  /** Exit code (default 1). */
  code?: number;
  /** Extra environment variables of the command. */
  env?: Record<string, string>;
  /** Wall-time bound (default 10 s, stretched by timeScale() on a busy machine); the process is killed at the bound. */
  boundMs?: number;
  /** Documented behaviour that is not an error but also acceptable (e.g. a documented decode). */
  orDocumented?: { what: string; holds: (r: CliResult, c: Ctx) => boolean };
  /** KNOWN BUG: what the app really does. The row runs as it.fails. */
  knownBug?: string;
  skip?: string;
}

type Outcome = 'clear' | 'documented' | 'stack trace' | 'hang' | 'silent (exit 0)' | 'wrong exit code' | 'not one line' | 'unclear message' | 'too slow';

const outcomes: { app: string; row: string; outcome: Outcome; status: number | null; signal: string | null; ms: number; boundMs: number; line: string; knownBug: boolean; args: string[] }[] = [];

function documented(r: CliResult, row: Row, c: Ctx): boolean {
  try {
    return row.orDocumented?.holds(r, c) === true;
  } catch {
    return false;
  }
}

function classify(r: CliResult, row: Row, c: Ctx, bound: number): Outcome {
  if (r.timedOut) return 'hang';
  if (STACK_FRAME.test(r.stderr) || STACK_FRAME.test(r.stdout)) return 'stack trace';
  if (r.status === 0 && documented(r, row, c)) return r.ms <= bound ? 'documented' : 'too slow';
  if (r.status === 0) return 'silent (exit 0)';
  if (r.status !== (row.code ?? 1)) return 'wrong exit code';
  const lines = errorLines(r.stderr);
  if (lines.length !== 1 || !lines[0].startsWith('error: ')) return 'not one line';
  if (!row.expect(c).test(lines[0])) return 'unclear message';
  return r.ms <= bound ? 'clear' : 'too slow';
}

/** Rows every app has; `spec` says what differs per app. */
interface AppSpec {
  /** Extension of a data file for `train --data` ('' for mnist, whose --data is a folder). */
  dataExt: string;
  dataIsFolder?: boolean;
  /** Extra train flags for data rows (e.g. stocks reads one ticker from a single CSV). */
  dataFlags?: string[];
  /** The data file's name for `kind` (default `<kind><dataExt>`); stocks takes the ticker from it. */
  dataName?: (kind: string) => string;
  /** A size field of rnnkit.json's extras the loader uses, set to 1e9; the error must match `names` (a regex source). */
  hugeExtras: { edit: (extras: Record<string, Record<string, unknown>>) => void; field: string; names: string };
  /** Predictor inputs: a field of the wrong type, an empty one, one over the schema's maximum. */
  wrongType: (example: Record<string, unknown>) => unknown;
  empty: (example: Record<string, unknown>) => unknown;
  huge: (example: Record<string, unknown>) => unknown;
  /** The field the wrong-type, empty and huge rows must name (a regex source). */
  field: string;
  /** Text apps get the --max-len and invalid UTF-8 rows; the text argument of predict. */
  text?: string;
  /**
   * A documented decoding of input files that are not UTF-8, accepted instead of the error: extra predict flags
   * that make the output show what was read, and whether it shows the documented decoding.
   */
  documentedDecode?: { what: string; args: (c: Ctx) => string[]; holds: (r: CliResult) => boolean };
}

function commonRows(spec: AppSpec): Row[] {
  const data = (c: Ctx, file: string) => ['train', '--data', file, '--out', join(c.work, 'run'), ...c.tiny, ...(spec.dataFlags ?? [])];
  const dataName = spec.dataName ?? ((kind: string) => `${kind}${spec.dataExt || '.bin'}`);
  const predictJson = (c: Ctx, model: string) => ['predict', '--model', model, '--input-json', c.example];
  const field = (f: string) => new RegExp(`^error: input: field "(${f})(\\[\\d+\\])?"`);
  const crafted = (what: string, edit: (dir: string) => void, expect: (c: Ctx, dir: string) => RegExp, extra: Partial<Row> = {}): Row => {
    let dir = '';
    return {
      what,
      args: (c) => {
        dir = c.craft(edit);
        return predictJson(c, dir);
      },
      expect: (c) => expect(c, dir),
      ...extra,
    };
  };
  const inputFile = (c: Ctx, value: unknown) => ['predict', '--model', c.run, '--input-json', '--file', c.file('input.json', JSON.stringify(value))];
  const rows: Row[] = [
    // --data
    {
      what: 'train --data: missing path',
      args: (c) => data(c, join(c.work, `nope${spec.dataExt}`)),
      expect: (c) => new RegExp(`${esc(join(c.work, 'nope'))}.*(no such|not found|missing)`),
    },
    spec.dataIsFolder
      ? { what: 'train --data: empty folder', args: (c) => data(c, c.dir('empty')), expect: (c) => new RegExp(esc(join(c.work, 'empty'))) }
      : { what: 'train --data: empty file', args: (c) => data(c, c.file(dataName('empty'), '')), expect: (c) => new RegExp(esc(join(c.work, dataName('empty')))) },
    {
      what: `train --data: binary file${spec.dataIsFolder ? ' where a folder is expected' : ''}`,
      args: (c) => data(c, c.file(dataName('binary'), BINARY)),
      expect: (c) => new RegExp(esc(join(c.work, dataName('binary')))),
    },
    {
      what: 'train: RNNKIT_CHECKPOINT_EVERY_STEPS=0 (checkpoint interval)',
      args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny],
      env: { RNNKIT_CHECKPOINT_EVERY_STEPS: '0' },
      expect: () => /^error: RNNKIT_CHECKPOINT_EVERY_STEPS: expected a whole number of steps >= 1, got "0"$/,
    },
    // --out
    {
      what: 'train --out: an existing file',
      args: (c) => ['train', '--out', c.file('taken', 'x'), ...c.tiny],
      expect: (c) => new RegExp(`${esc(join(c.work, 'taken'))}.*(is a file|not a directory)`),
    },
    {
      what: 'train --out: under /proc (must not hang)',
      args: (c) => ['train', '--out', `/proc/rnnkit-bad-input-${c.name}/run`, ...c.tiny],
      expect: (c) => new RegExp(`${esc(`/proc/rnnkit-bad-input-${c.name}`)}.*cannot create`),
    },
    {
      what: 'train --out: inside a read-only (0o555) directory',
      args: (c) => {
        const dir = join(c.work, 'read-only');
        mkdirSync(dir, { mode: 0o555 });
        chmodSync(dir, 0o555);
        readOnlyDirs.push(dir);
        return ['train', '--out', join(dir, 'run'), ...c.tiny];
      },
      expect: (c) => new RegExp(`${esc(join(c.work, 'read-only'))}.*permission denied`),
      skip: READ_ONLY_SKIP,
    },
    {
      what: 'train --out: under a file (parent is not a directory)',
      args: (c) => ['train', '--out', join(c.file('parent-file', 'x'), 'run'), ...c.tiny],
      expect: (c) => new RegExp(`${esc(join(c.work, 'parent-file'))}.*(is a file|not a directory|ENOTDIR)`),
    },
    {
      what: 'train --out: a directory holding a run, without --resume or --overwrite',
      args: (c) => ['train', '--out', c.runCopy(), ...c.tiny],
      expect: (c) => new RegExp(`${esc(join(c.work, 'run'))}: already holds a run`),
    },
    // crafted model directories
    {
      what: '--model: missing directory',
      args: (c) => predictJson(c, join(c.work, 'no-model')),
      expect: (c) => new RegExp(`${esc(join(c.work, 'no-model'))}`),
    },
    crafted(
      'model.json: weightsManifest path "../../../../etc/passwd"',
      (dir) => editJson(join(dir, 'model.json'), (j) => ((j.weightsManifest as { paths: string[] }[])[0].paths = ['../../../../etc/passwd'])),
      (_c, dir) => new RegExp(`${esc(join(dir, 'model.json'))}: weights path "\\.\\./\\.\\./\\.\\./\\.\\./etc/passwd"`),
    ),
    crafted(
      'model.json: weightsManifest path "/dev/zero" (must not read forever)',
      (dir) => editJson(join(dir, 'model.json'), (j) => ((j.weightsManifest as { paths: string[] }[])[0].paths = ['/dev/zero'])),
      (_c, dir) => new RegExp(`${esc(join(dir, 'model.json'))}: weights path "/dev/zero"`),
    ),
    crafted(
      'weights.bin: one flipped byte (SHA-256)',
      (dir) => {
        const bin = readFileSync(join(dir, 'weights.bin'));
        bin[bin.length >> 1] ^= 0x01;
        writeFileSync(join(dir, 'weights.bin'), bin);
      },
      (_c, dir) => new RegExp(`${esc(join(dir, 'weights.bin'))}: .*SHA-256`),
    ),
    crafted(
      'weights.bin: truncated by 4 bytes',
      (dir) => {
        const bin = readFileSync(join(dir, 'weights.bin'));
        writeFileSync(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 4));
      },
      (_c, dir) => new RegExp(`${esc(join(dir, 'weights.bin'))}: .*truncated`),
    ),
    crafted(
      'weights.bin: all 0xFF (NaN) with its SHA-256 updated',
      (dir) => {
        const bin = Buffer.alloc(statSync(join(dir, 'weights.bin')).size, 0xff);
        writeFileSync(join(dir, 'weights.bin'), bin);
        editJson(join(dir, 'rnnkit.json'), (j) => ((j.weights as { sha256: string }).sha256 = sha256(bin)));
      },
      (_c, dir) => new RegExp(`${esc(join(dir, 'weights.bin'))}: weight ".*" holds NaN`),
    ),
    crafted(
      'model.json: a layer\'s "units" set to 12000',
      (dir) => editJson(join(dir, 'model.json'), (j) => expect(setFirst(j.modelTopology, 'units', 12_000)).toBe(true)),
      (_c, dir) => new RegExp(`${esc(join(dir, 'model.json'))}: .*units is 12000`),
    ),
    crafted(
      `rnnkit.json: ${spec.hugeExtras.field} set to 1e9`,
      (dir) => editJson(join(dir, 'rnnkit.json'), (j) => spec.hugeExtras.edit(extrasOf(j))),
      (_c, dir) => new RegExp(`${esc(join(dir, 'rnnkit.json'))}.*${spec.hugeExtras.names}`),
    ),
    crafted(
      'rnnkit.json: formatVersion 1',
      (dir) => editJson(join(dir, 'rnnkit.json'), (j) => (j.formatVersion = 1)),
      (_c, dir) => new RegExp(`${esc(join(dir, 'rnnkit.json'))}: formatVersion 1 .*retrain`),
    ),
    crafted(
      'rnnkit.json: formatVersion 99',
      (dir) => editJson(join(dir, 'rnnkit.json'), (j) => (j.formatVersion = 99)),
      (_c, dir) => new RegExp(`${esc(join(dir, 'rnnkit.json'))}: formatVersion 99 is newer`),
    ),
    crafted(
      'rnnkit.json: not JSON',
      (dir) => writeFileSync(join(dir, 'rnnkit.json'), '{"format": "rnnkit-model", "formatVersion": 2, '),
      (_c, dir) => new RegExp(`${esc(join(dir, 'rnnkit.json'))}: invalid JSON`),
    ),
    {
      what: "another app's model",
      args: (c) => predictJson(c, c.other.run),
      expect: (c) => new RegExp(`^error: ${esc(join(c.other.run, 'model'))}: holds a ${esc(c.other.name)} model \\(use ${esc(c.other.bin)}\\), not a ${esc(c.name)} model$`),
    },
    {
      what: 'train --resume: checkpoint optimizer.json with weights path "../../../../etc/passwd"',
      args: (c) => {
        const dir = c.runCopy();
        // Every last/ checkpoint (stocks keeps one per walk-forward phase: checkpoints/fold-1/last, ...).
        const manifests = readdirSync(join(dir, 'checkpoints'), { recursive: true, encoding: 'utf8' })
          .filter((f) => /(^|\/)last\/optimizer\.json$/.test(f));
        expect(manifests.length).toBeGreaterThan(0);
        for (const f of manifests) {
          editJson(join(dir, 'checkpoints', f), (j) => ((j as unknown as { paths: string[] }[])[0].paths = ['../../../../etc/passwd']));
        }
        return ['train', '--resume', '--out', dir, '--epochs', '2', '--quiet'];
      },
      expect: (c) => new RegExp(`${esc(join(c.work, 'run', 'checkpoints'))}/(.*/)?last/optimizer\\.json: weights path`),
    },
    // flag values
    { what: 'train --epochs 0', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--epochs', '0'], expect: () => /--epochs/ },
    { what: 'train --units 1e9', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--units', '1e9'], expect: () => /--units/ },
    { what: 'train --batch-size -1', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--batch-size', '-1'], expect: () => /--batch-size/ },
    { what: 'train: unknown flag', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--bogus-flag', '1'], expect: () => /unknown option '--bogus-flag'/ },
    {
      what: 'evaluate --json FILE (the 0.1 form, removed)',
      args: (c) => ['evaluate', '--model', c.run, '--json', join(c.work, 'report.json')],
      expect: (c) => new RegExp(`evaluate --json ${esc(join(c.work, 'report.json'))}: .*stdout: use --json > `),
    },
    // predictor inputs
    {
      what: 'predict --input-json: unknown field',
      args: (c) => ['predict', '--model', c.run, '--input-json', JSON.stringify({ ...JSON.parse(c.example), bogusField: 1 })],
      expect: () => /^error: input: unknown field "bogusField"$/,
    },
    { what: 'predict --input-json: wrong type', args: (c) => inputFile(c, spec.wrongType(JSON.parse(c.example))), expect: () => field(spec.field) },
    { what: 'predict --input-json: empty', args: (c) => inputFile(c, spec.empty(JSON.parse(c.example))), expect: () => field(spec.field) },
    { what: 'predict --input-json: over the schema maximum', args: (c) => inputFile(c, spec.huge(JSON.parse(c.example))), expect: () => field(spec.field) },
    {
      what: 'predict --input-json: invalid JSON',
      args: (c) => ['predict', '--model', c.run, '--input-json', c.example.slice(0, -1)],
      expect: () => /^error: --input-json: invalid JSON/,
    },
  ];
  if (spec.text !== undefined) {
    const text = spec.text;
    rows.push(
      { what: 'predict --max-len 1e9', args: (c) => ['predict', '--model', c.run, '--max-len', '1e9', text], expect: () => /--max-len/ },
      { what: 'predict --encoding: not an encoding', args: (c) => ['predict', '--model', c.run, '--encoding', 'ebcdic', text], expect: () => /--encoding.*ebcdic.*utf-8, latin1, windows-1252, utf-16le/ },
      {
        what: 'predict --file --encoding utf-16le: an odd number of bytes',
        args: (c) => ['predict', '--model', c.run, '--encoding', 'utf-16le', '--file', c.file('odd16.txt', Buffer.concat([Buffer.from(text, 'utf16le'), Buffer.from([0x41])]))],
        expect: (c) => new RegExp(`${esc(join(c.work, 'odd16.txt'))}: is not valid utf-16le text at line 1, byte offset \\d+ \\(an odd number of bytes\\)`),
      },
      {
        what: 'predict --file: invalid UTF-8 (bytes 0xff 0xfe)',
        args: (c) => [
          'predict', '--model', c.run, '--json', ...(spec.documentedDecode?.args(c) ?? []),
          '--file', c.file('latin1.txt', Buffer.concat([Buffer.from(`${text} `), Buffer.from([0xff, 0xfe]), Buffer.from(' end\n')])),
        ],
        expect: (c) => new RegExp(`${esc(join(c.work, 'latin1.txt'))}.*UTF-8`),
        ...(spec.documentedDecode ? { orDocumented: { what: spec.documentedDecode.what, holds: spec.documentedDecode.holds } } : {}),
      },
    );
  }
  return rows;
}

const longText = (n: number) => 'word '.repeat(Math.ceil(n / 5)).slice(0, n);

/** A row that reads the same in every app with an embedding (the size must be refused before it allocates). */
const HUGE_EMBED_DIM: Row = { what: 'train --embed-dim 1e9', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--embed-dim', '1e9'], expect: () => /--embed-dim/ };

/** A row that reads the same in every app whose rnnkit.json holds a token vocabulary (chatbot, sentiment). */
const VOCAB_CUT_TO_20: Row = {
  what: 'rnnkit.json: vocabulary cut to 20 tokens',
  args: (c) => {
    const dir = c.craft((d) => editJson(join(d, 'rnnkit.json'), (j) => {
      const vocab = extrasOf(j).vocab as { tokens: string[] };
      vocab.tokens = vocab.tokens.slice(0, 20);
    }));
    return ['predict', '--model', dir, '--input-json', c.example];
  },
  expect: (c) => new RegExp(`${esc(join(c.work, 'model', 'rnnkit.json'))}: .*vocab`),
};

const APP_ROWS: Record<string, { spec: AppSpec; rows: Row[] }> = {
  textgen: {
    spec: {
      dataExt: '.txt',
      hugeExtras: { edit: (e) => (e.model.units = [1e9]), field: 'extras.model.units', names: 'field "extras\\.model\\.units"' },
      wrongType: (x) => ({ ...x, text: 42 }),
      empty: (x) => ({ ...x, text: '' }),
      huge: (x) => ({ ...x, text: longText(100_001) }),
      field: 'text',
      text: 'ROMEO:',
    },
    rows: [
      { what: 'train --data: a directory', args: (c) => ['train', '--data', c.work, '--out', join(c.work, 'run'), ...c.tiny], expect: (c) => new RegExp(`${esc(c.work)}: is a directory`) },
      {
        what: 'train --data: invalid UTF-8 (documented: rejected)',
        args: (c) => ['train', '--data', c.file('latin1.txt', Buffer.from(`${'caf\xe9 au lait\n'.repeat(200)}`, 'latin1')), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'latin1.txt'))}: is not valid UTF-8`),
      },
      {
        what: 'train --data --encoding windows-1252: a byte Windows-1252 leaves undefined',
        args: (c) => ['train', '--data', c.file('cp1252.txt', Buffer.from(`${'caf\xe9 au lait\n'.repeat(100)}bad \x81 byte\n`, 'latin1')), '--encoding', 'windows-1252', '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'cp1252.txt'))}: is not valid windows-1252 text at line 101, byte offset 1304`),
      },
      {
        what: 'train --data: truncated (shorter than one window)',
        args: (c) => ['train', '--data', c.file('short.txt', 'To be'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'short.txt'))}: 5 characters is shorter than one training window`),
      },
      HUGE_EMBED_DIM,
      { what: 'train --seq-len 1e12', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--seq-len', '1e12'], expect: () => /--seq-len/ },
      { what: 'sample --max-len 1e9', args: (c) => ['sample', '--model', c.run, '--max-len', '1e9'], expect: () => /--max-len/ },
      {
        what: 'train --resume --data: same file name, other text (same characters)',
        args: async (c) => {
          const text = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'tinyshakespeare', 'input.txt'), 'utf8').slice(0, 20_000);
          const data = c.file('corpus.txt', text);
          const out = join(c.work, 'resumed');
          const first = await c.cli(['train', '--data', data, '--out', out, ...c.tiny, '--quiet'], 60_000);
          expect(first.status, first.stderr).toBe(0);
          writeFileSync(data, [...text].reverse().join('')); // the same characters, so the same vocabulary
          return ['train', '--resume', '--out', out, '--data', data, '--epochs', '2', '--quiet'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'corpus.txt'))}.*(differ|changed)`),
      },
    ],
  },
  'mnist-rows': {
    spec: {
      dataExt: '',
      dataIsFolder: true,
      hugeExtras: { edit: (e) => (e.model.rows = 1e9), field: 'extras.model.rows', names: 'extras.*model\\.rows' },
      wrongType: () => ({ pixels: 'white' }),
      empty: () => ({ pixels: [] }),
      huge: () => ({ pixels: new Array(1_000_000).fill(0) }),
      field: 'pixels',
    },
    rows: [
      {
        what: 'train --data: folder with a truncated gzip IDX file',
        args: (c) => {
          const gz = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'mnist', 't10k-images-idx3-ubyte.gz'));
          c.file('idx/t10k-images-idx3-ubyte.gz', gz.subarray(0, gz.length >> 1));
          c.file('idx/t10k-labels-idx1-ubyte.gz', readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'mnist', 't10k-labels-idx1-ubyte.gz')));
          return ['train', '--data', join(c.work, 'idx'), '--out', join(c.work, 'run'), ...c.tiny];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'idx', 't10k-images-idx3-ubyte.gz'))}: gzip data is corrupt or truncated`),
      },
      {
        what: 'train --data: folder with a label file where the images should be (wrong format)',
        args: (c) => {
          const labels = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'mnist', 't10k-labels-idx1-ubyte.gz'));
          c.file('idx/t10k-images-idx3-ubyte.gz', labels);
          c.file('idx/t10k-labels-idx1-ubyte.gz', labels);
          return ['train', '--data', join(c.work, 'idx'), '--out', join(c.work, 'run'), ...c.tiny];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'idx', 't10k-images-idx3-ubyte.gz'))}: .*2049`),
      },
      {
        what: 'train --resume --data: same folder, labels file reordered (same size)',
        args: async (c) => {
          const mnist = join(process.env.RNNKIT_DATA_DIR!, 'mnist');
          c.file('idx/t10k-images-idx3-ubyte.gz', readFileSync(join(mnist, 't10k-images-idx3-ubyte.gz')));
          const labels = gunzipSync(readFileSync(join(mnist, 't10k-labels-idx1-ubyte.gz')));
          const labelFile = c.file('idx/t10k-labels-idx1-ubyte.gz', gzipSync(labels));
          const out = join(c.work, 'resumed');
          const first = await c.cli(['train', '--data', join(c.work, 'idx'), '--out', out, ...c.tiny], 120_000);
          expect(first.status, first.stderr).toBe(0);
          labels.subarray(8).reverse(); // the same labels after the 8-byte header, in another order: a valid file
          writeFileSync(labelFile, gzipSync(labels));
          return ['train', '--resume', '--out', out, '--data', join(c.work, 'idx'), '--epochs', '2', '--quiet'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'idx', 't10k-labels-idx1-ubyte.gz'))}: content differs`),
      },
      {
        what: `predict: PNG decompression bomb (${BOMB_SIDE}×${BOMB_SIDE} greyscale, refused from its header)`,
        args: (c) => ['predict', '--model', c.run, c.file('bomb.png', bomb!)],
        expect: (c) => new RegExp(`${esc(join(c.work, 'bomb.png'))}: .*${BOMB_SIDE}`),
      },
      {
        what: 'predict: a text file named .png',
        args: (c) => ['predict', '--model', c.run, c.file('not-a.png', 'hello, I am not an image\n')],
        expect: (c) => new RegExp(`${esc(join(c.work, 'not-a.png'))}: not a readable PNG`),
      },
      {
        what: 'predict: truncated PNG',
        args: (c) => ['predict', '--model', c.run, c.file('cut.png', bomb!.subarray(0, 100))],
        // Cut from the bomb: its header still claims 20000×20000, which is refused before the truncation is seen.
        expect: (c) => new RegExp(`${esc(join(c.work, 'cut.png'))}: (not a readable PNG|\\d+×\\d+ pixels is more than)`),
      },
      { what: 'train --max-minutes 5 (removed flag)', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--max-minutes', '5'], expect: () => /^error: --max-minutes was removed in 0\.2; use --max-seconds/ },
      { what: 'predict: missing PNG', args: (c) => ['predict', '--model', c.run, join(c.work, 'missing.png')], expect: (c) => new RegExp(esc(join(c.work, 'missing.png'))) },
      { what: 'predict: a directory as the PNG', args: (c) => ['predict', '--model', c.run, c.work], expect: (c) => new RegExp(`${esc(c.work)}.*(directory|not a file|PNG)`) },
    ],
  },
  stocks: {
    spec: {
      dataExt: '.csv',
      dataFlags: ['--tickers', 'AAPL'],
      dataName: (kind) => `${kind}/AAPL.csv`,
      hugeExtras: { edit: (e) => (e.model.lookback = 1e9), field: 'extras.model.lookback', names: 'extras\\.model.*lookback' },
      wrongType: (x) => ({ ...x, closes: 'x' }),
      empty: (x) => ({ ...x, dates: [], opens: [], highs: [], lows: [], closes: [], volumes: [] }),
      huge: (x) => {
        const n = 100_001;
        const days = (v: unknown) => new Array<unknown>(n).fill(v);
        return { ticker: x.ticker, opens: days(1), highs: days(2), lows: days(1), closes: days(1.5), volumes: days(10) };
      },
      field: 'opens|highs|lows|closes|volumes|dates',
    },
    rows: [
      { what: 'train --data: empty folder', args: (c) => ['train', '--data', c.dir('empty'), '--out', join(c.work, 'run'), ...c.tiny], expect: (c) => new RegExp(`${esc(join(c.work, 'empty'))}: no \\.csv`) },
      {
        what: 'train --data: CSV cut in the middle of a row (truncated)',
        args: (c) => {
          const csv = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'stocks', 'sp500-5yr', 'AAPL_data.csv'), 'utf8');
          return ['train', '--data', c.file('AAPL.csv', csv.slice(0, csv.indexOf('\n', 20_000) + 20)), '--out', join(c.work, 'run'), ...c.tiny, '--tickers', 'AAPL'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'AAPL.csv'))}: line \\d+`),
      },
      {
        what: 'train --data: CSV with an unknown header (wrong format)',
        args: (c) => ['train', '--data', c.file('AAPL.csv', 'when,price\n2020-01-02,3\n'), '--out', join(c.work, 'run'), ...c.tiny, '--tickers', 'AAPL'],
        expect: (c) => new RegExp(`${esc(join(c.work, 'AAPL.csv'))}: line 1: unrecognised header`),
      },
      {
        what: 'train --data: Close 100× above High in one row (impossible prices)',
        args: (c) => {
          const lines = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'stocks', 'sp500-5yr', 'AAPL_data.csv'), 'utf8').split('\n');
          const f = lines[100].split(',');
          f[4] = String(Number(f[2]) * 100);
          lines[100] = f.join(',');
          return ['train', '--data', c.file('AAPL.csv', lines.join('\n')), '--out', join(c.work, 'run'), ...c.tiny, '--tickers', 'AAPL'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'AAPL.csv'))}: line 101.*(close|Close)`),
      },
      {
        what: 'train --data: Close = 1e308 in one row (impossible prices)',
        args: (c) => {
          const lines = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'stocks', 'sp500-5yr', 'AAPL_data.csv'), 'utf8').split('\n');
          const f = lines[7].split(',');
          f[4] = '1e308';
          lines[7] = f.join(',');
          return ['train', '--data', c.file('AAPL.csv', lines.join('\n')), '--out', join(c.work, 'run'), ...c.tiny, '--tickers', 'AAPL'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'AAPL.csv'))}: line 8, column close: Close 1e\\+308 is above High`),
      },
      {
        what: 'train --data: ticker column in Latin-1 (wrong encoding)',
        args: (c) => {
          const csv = readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'stocks', 'sp500-5yr', 'AAPL_data.csv'), 'latin1').replace(/,AAPL(\r?)$/gm, ',AAPL\xe9$1');
          return ['train', '--data', c.file('AAPL.csv', Buffer.from(csv, 'latin1')), '--out', join(c.work, 'run'), ...c.tiny, '--tickers', 'AAPL'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'AAPL.csv'))}: (line 2|.*UTF-8)`),
      },
      {
        what: 'predict --input-json: Open below Low (impossible prices)',
        args: (c) => {
          const x = JSON.parse(c.example) as { opens: number[]; lows: number[] };
          x.opens[3] = x.lows[3] / 2;
          return ['predict', '--model', c.run, '--input-json', JSON.stringify(x)];
        },
        expect: () => /^error: input: field "opens\[3\]": is below lows\[3\]/,
      },
      {
        what: 'predict --input-json: Close above High (impossible prices)',
        args: (c) => {
          const x = JSON.parse(c.example) as { closes: number[]; highs: number[] };
          x.closes[x.closes.length - 1] = x.highs[x.highs.length - 1] * 100;
          return ['predict', '--model', c.run, '--input-json', JSON.stringify(x)];
        },
        expect: () => /^error: input: field "(closes|highs)\[\d+\]"/,
      },
      { what: 'train --lookback 1e9', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--lookback', '1e9'], expect: () => /lookback 1000000000/ },
      { what: 'forecast --days 10 on a 5-day model', args: (c) => ['forecast', '--model', c.run, '--ticker', 'AAPL', '--days', '10'], expect: () => /--days 10/ },
      { what: 'forecast --days 0', args: (c) => ['forecast', '--model', c.run, '--ticker', 'AAPL', '--days', '0'], expect: () => /--days/ },
      { what: 'evaluate --plot: a directory', args: (c) => ['evaluate', '--model', c.run, '--plot', c.dir('plot.svg')], expect: (c) => new RegExp(esc(join(c.work, 'plot.svg'))) },
    ],
  },
  summarize: {
    spec: {
      dataExt: '.csv',
      hugeExtras: { edit: (e) => (e.model.units = 1e9), field: 'extras.model.units', names: 'extras.*model\\.units' },
      wrongType: (x) => ({ ...x, text: 42 }),
      empty: (x) => ({ ...x, text: '' }),
      huge: (x) => ({ ...x, text: longText(1_000_001) }),
      field: 'text',
      text: 'the city council approved the new budget on monday after a long debate about schools and roads',
      // apps/summarize/README.md: every input file is decoded as UTF-8 when valid, else as Windows-1252 ("ÿþ", no U+FFFD).
      documentedDecode: {
        what: 'decoded as Windows-1252',
        args: (c) => ['--min-len', '2', '--attention-svg', join(c.work, 'attention.svg')],
        holds: (r) => {
          const tokens = (JSON.parse(r.stdout) as { sourceTokens?: string[] }).sourceTokens ?? [];
          return tokens.some((t) => t.includes('\u00ff\u00fe')) && !tokens.some((t) => t.includes('\ufffd'));
        },
      },
    },
    rows: [
      { what: 'train --data: a directory', args: (c) => ['train', '--data', c.work, '--out', join(c.work, 'run'), ...c.tiny], expect: (c) => new RegExp(esc(c.work)) },
      {
        what: 'train --data: an executable given as the CSV (binary, not decoded as Windows-1252)',
        args: (c) => ['train', '--data', c.file('program.csv', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), BINARY])), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'program.csv'))}: looks like a binary file \\(NUL byte at line 1, offset 7\\)`),
      },
      {
        what: 'train --data: CSV without the task\'s columns (wrong format)',
        args: (c) => ['train', '--data', c.file('pairs.csv', 'title,body\n"a","b c d"\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'pairs.csv'))}:1: the header has no column`),
      },
      {
        what: 'train --data: CSV cut inside a quoted field (truncated)',
        args: (c) => ['train', '--data', c.file('pairs.csv', 'headlines,text\n"council passes budget","the council passed the budget on\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'pairs.csv'))}(:\\d+)?: invalid CSV`),
      },
      {
        what: 'train --data: gzip file cut in half (truncated)',
        args: (c) => {
          const rows = Array.from({ length: 3000 }, (_, i) => `"headline ${i * 7919}","text ${i * 104_729} about ${i % 97} things"\n`);
          const gz = gzipSync(Buffer.from(`headlines,text\n${rows.join('')}`));
          return ['train', '--data', c.file('pairs.csv.gz', gz.subarray(0, gz.length >> 1)), '--out', join(c.work, 'run'), ...c.tiny];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'pairs.csv.gz'))}: not a valid gzip file`),
      },
      HUGE_EMBED_DIM,
      { what: 'evaluate --baselines-only (removed flag)', args: (c) => ['evaluate', '--model', c.run, '--baselines-only'], expect: () => /^error: --baselines-only was removed in 0\.2; use the baselines command/ },
      { what: 'predict --file: missing', args: (c) => ['predict', '--model', c.run, '--file', join(c.work, 'nope.txt')], expect: (c) => new RegExp(esc(join(c.work, 'nope.txt'))) },
      {
        what: 'predict --attention-svg: a directory',
        args: (c) => ['predict', '--model', c.run, '--min-len', '2', '--attention-svg', c.dir('attention.svg'), 'the council approved the budget'],
        expect: (c) => new RegExp(esc(join(c.work, 'attention.svg'))),
      },
    ],
  },
  chatbot: {
    spec: {
      dataExt: '.yml',
      hugeExtras: { edit: (e) => (e.model.units = 1e9), field: 'extras.model.units', names: 'extras.*model\\.units' },
      wrongType: (x) => ({ ...x, message: 42 }),
      empty: (x) => ({ ...x, message: '' }),
      huge: (x) => ({ ...x, message: longText(10_001) }),
      field: 'message',
      text: 'hello, how are you?',
    },
    rows: [
      { what: 'train --data: empty folder', args: (c) => ['train', '--data', c.dir('empty'), '--out', join(c.work, 'run'), ...c.tiny], expect: (c) => new RegExp(`${esc(join(c.work, 'empty'))}: no \\.yml`) },
      {
        what: 'train --data: YAML cut inside a quoted string (truncated)',
        args: (c) => ['train', '--data', c.file('talk.yml', 'categories:\n- greetings\nconversations:\n- - "Hello\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'talk.yml'))}:\\d+:\\d+: malformed YAML`),
      },
      {
        what: 'train --data: YAML without "conversations" (wrong format)',
        args: (c) => ['train', '--data', c.file('talk.yml', 'categories:\n- greetings\ntalks:\n- - Hello\n  - Hi\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'talk.yml'))}:\\d+: .*"conversations"`),
      },
      {
        what: 'train --data: YAML in Latin-1 (wrong encoding)',
        args: (c) => {
          const convs = Array.from({ length: 60 }, (_, i) => `- - Bonjour ${i}, \xe7a va?\n  - Tr\xe8s bien, merci ${i}.\n`).join('');
          return ['train', '--data', c.file('talk.yml', Buffer.from(`categories:\n- greetings\nconversations:\n${convs}`, 'latin1')), '--out', join(c.work, 'run'), ...c.tiny];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'talk.yml'))}(:\\d+)?: .*UTF-8`),
      },
      {
        what: 'train --resume --data: same file name, conversations reordered (same words)',
        args: async (c) => {
          const convs = Array.from({ length: 60 }, (_, i) => `- - Hello ${i}, how are you?\n  - Fine, thanks ${i}.\n`);
          const yaml = (list: string[]) => `categories:\n- greetings\nconversations:\n${list.join('')}`;
          const data = c.file('talk.yml', yaml(convs));
          const out = join(c.work, 'resumed');
          const first = await c.cli(['train', '--data', data, '--out', out, ...c.tiny], 120_000);
          expect(first.status, first.stderr).toBe(0);
          writeFileSync(data, yaml([...convs].reverse()));
          return ['train', '--resume', '--out', out, '--data', data, '--epochs', '2', '--quiet'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'talk.yml'))}: content differs`),
      },
      VOCAB_CUT_TO_20,
      {
        what: 'predict --attention-svg: a directory',
        args: (c) => ['predict', '--model', c.run, '--strategy', 'greedy', '--min-len', '2', '--attention-svg', c.dir('attention.svg'), 'hello'],
        expect: (c) => new RegExp(esc(join(c.work, 'attention.svg'))),
      },
      HUGE_EMBED_DIM,
      { what: 'chat --max-len 1e9', args: (c) => ['chat', '--model', c.run, '--max-len', '1e9'], expect: () => /--max-len/ },
    ],
  },
  translate: {
    spec: {
      dataExt: '.txt',
      hugeExtras: { edit: (e) => (e.model.units = 1e9), field: 'extras.model.units', names: 'extras.*model\\.units' },
      wrongType: (x) => ({ ...x, text: 42 }),
      empty: (x) => ({ ...x, text: '' }),
      huge: (x) => ({ ...x, text: longText(2001) }),
      field: 'text',
      text: 'I love you.',
    },
    rows: [
      {
        what: 'train --data: lines without tabs (wrong format)',
        args: (c) => ['train', '--data', c.file('pairs.txt', 'Hi. 嗨。\nRun! 你用跑的。\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'pairs.txt'))}: no English<TAB>Chinese<TAB>attribution lines \\(2 line`),
      },
      {
        what: 'train --data: gzip file cut in half (truncated)',
        args: (c) => {
          const lines = Array.from({ length: 3000 }, (_, i) => `Sentence ${i * 7919}.\t句子${i}。\tCC-BY 2.0 (France) #${i}\n`);
          const gz = gzipSync(Buffer.from(lines.join('')));
          return ['train', '--data', c.file('cmn.txt.gz', gz.subarray(0, gz.length >> 1)), '--out', join(c.work, 'run'), ...c.tiny];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'cmn.txt.gz'))}: not a valid gzip file`),
      },
      {
        what: 'rnnkit.json: Chinese vocabulary cut to 20 tokens',
        args: (c) => {
          const dir = c.craft((d) => editJson(join(d, 'rnnkit.json'), (j) => {
            const vocab = extrasOf(j).tgtVocab as { tokens: string[] };
            vocab.tokens = vocab.tokens.slice(0, 20);
          }));
          return ['predict', '--model', dir, '--input-json', c.example];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'model', 'rnnkit.json'))}: .*tgtVocab`),
      },
      HUGE_EMBED_DIM,
      { what: 'predict --strategy sample (not offered)', args: (c) => ['predict', '--model', c.run, '--strategy', 'sample', 'I love you.'], expect: () => /--strategy/ },
      {
        what: 'predict --attention-svg: a directory',
        args: (c) => ['predict', '--model', c.run, '--attention-svg', c.dir('attention.svg'), 'I love you.'],
        expect: (c) => new RegExp(esc(join(c.work, 'attention.svg'))),
      },
    ],
  },
  sentiment: {
    spec: {
      dataExt: '.tsv',
      hugeExtras: { edit: (e) => (e.model.units = [1e9]), field: 'extras.model.units', names: 'extras.*model\\.units' },
      wrongType: (x) => ({ ...x, text: 42 }),
      empty: (x) => ({ ...x, text: '' }),
      huge: (x) => ({ ...x, text: longText(100_001) }),
      field: 'text',
      text: 'a gorgeous , witty , seductive movie .',
    },
    rows: [
      {
        what: 'train --data: a folder without train.tsv',
        args: (c) => ['train', '--data', c.dir('no-data'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'no-data', 'train.tsv'))}: no such file`),
      },
      {
        what: 'train --data: TSV row without its label (wrong format)',
        args: (c) => ['train', '--data', c.file('sst/train.tsv', 'sentence\tlabel\na gorgeous film \t1\nno label here \n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'sst', 'train.tsv'))}: line 3: expected 2 tab-separated fields`),
      },
      {
        what: 'train --data: the ChnSentiCorp CSV given as SST-2 (wrong format)',
        args: (c) => ['train', '--data', c.file('sst/train.tsv', 'label,review\n1,房间干净\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'sst', 'train.tsv'))}: line 1: header "label,review" is not`),
      },
      {
        what: 'train --data: TSV in Latin-1 (wrong encoding)',
        args: (c) => ['train', '--data', c.file('sst/train.tsv', Buffer.from('sentence\tlabel\na fine film \t1\nclich\xe9s all the way \t0\n', 'latin1')), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'sst', 'train.tsv'))}: is not valid UTF-8 text at line 3`),
      },
      {
        what: 'train --data: training TSV without dev.tsv beside it',
        args: (c) => ['train', '--data', c.file('lone/train.tsv', 'sentence\tlabel\na gorgeous film \t1\na dull film \t0\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'lone', 'dev.tsv'))}: no such file`),
      },
      {
        what: 'train --dataset chnsenticorp --data: CSV cut inside a quoted review (truncated)',
        args: (c) => ['train', '--dataset', 'chnsenticorp', '--data', c.file('htl.csv', 'label,review\n1,房间干净\n0,"隔音不好,设施'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'htl.csv'))}: line 3: invalid CSV: quoted field opened here is never closed`),
      },
      {
        what: 'train --dataset chnsenticorp --data: label -1 (the original ChnSentiCorp coding)',
        args: (c) => ['train', '--dataset', 'chnsenticorp', '--data', c.file('htl.csv', 'label,review\n1,房间干净\n-1,隔音不好\n'), '--out', join(c.work, 'run'), ...c.tiny],
        expect: (c) => new RegExp(`${esc(join(c.work, 'htl.csv'))}: line 3: label "-1" is not 0 or 1`),
      },
      {
        what: 'train --resume --data: same folder, train.tsv rows reordered (same words)',
        args: async (c) => {
          const sst2 = join(process.env.RNNKIT_DATA_DIR!, 'sentiment', 'sst2');
          const [header, ...rows] = readFileSync(join(sst2, 'train.tsv'), 'utf8').split('\n').slice(0, 2001);
          const data = c.file('sst/train.tsv', `${[header, ...rows].join('\n')}\n`);
          c.file('sst/dev.tsv', readFileSync(join(sst2, 'dev.tsv')));
          const out = join(c.work, 'resumed');
          const first = await c.cli(['train', '--data', join(c.work, 'sst'), '--out', out, ...c.tiny], 120_000);
          expect(first.status, first.stderr).toBe(0);
          writeFileSync(data, `${[header, ...rows.reverse()].join('\n')}\n`);
          return ['train', '--resume', '--out', out, '--data', join(c.work, 'sst'), '--epochs', '2', '--quiet'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'sst', 'train.tsv'))}: content differs`),
      },
      { what: 'train --dataset imdb', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--dataset', 'imdb'], expect: () => /--dataset/ },
      { what: 'train --max-len 1e9', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--max-len', '1e9'], expect: () => /--max-len/ },
      { what: 'train --label-smoothing 0.9', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--label-smoothing', '0.9'], expect: () => /--label-smoothing/ },
      { what: 'train --pooling sum', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--pooling', 'sum'], expect: () => /--pooling/ },
      HUGE_EMBED_DIM,
      VOCAB_CUT_TO_20,
      {
        what: 'evaluate --data: a folder with train.tsv but no dev.tsv',
        args: (c) => {
          c.file('half/train.tsv', 'sentence\tlabel\na gorgeous film \t1\na dull film \t0\n');
          return ['evaluate', '--model', c.run, '--data', join(c.work, 'half'), '--no-baselines'];
        },
        expect: (c) => new RegExp(`${esc(join(c.work, 'half', 'dev.tsv'))}: no such file`),
      },
      {
        what: 'evaluate --ensemble: a folder that holds no model',
        args: (c) => ['evaluate', '--model', c.run, '--ensemble', c.dir('not-a-model'), '--no-baselines'],
        expect: (c) => new RegExp(esc(join(c.work, 'not-a-model'))),
      },
      { what: 'predict --file: missing', args: (c) => ['predict', '--model', c.run, '--file', join(c.work, 'nope.txt')], expect: (c) => new RegExp(esc(join(c.work, 'nope.txt'))) },
      {
        what: 'predict --attention-html: a directory',
        args: (c) => ['predict', '--model', c.run, '--attention-html', c.dir('attention.html'), 'a gorgeous film'],
        expect: (c) => new RegExp(esc(join(c.work, 'attention.html'))),
      },
    ],
  },
  'spoken-digits': {
    spec: {
      dataExt: '',
      dataIsFolder: true,
      hugeExtras: { edit: (e) => (e.model.units = [1e9]), field: 'extras.model.units', names: 'extras.*model\\.units' },
      wrongType: (x) => ({ ...x, samples: 'loud' }),
      empty: (x) => ({ ...x, samples: [] }),
      // 30.001 s at 1 kHz: over the 30 s a prediction reads, without a 5-million-number document.
      huge: () => ({ samples: new Array(30_001).fill(0), sampleRate: 1000 }),
      field: 'samples',
    },
    rows: (() => {
      const recording = () => readFileSync(join(process.env.RNNKIT_DATA_DIR!, 'spoken-digits', 'recordings', '0_george_0.wav'));
      /** The same recording with its format tag set to 3 (IEEE float). */
      const floatWav = () => {
        const b = Buffer.from(recording());
        b.writeUInt16LE(3, 20);
        return b;
      };
      const train = (c: Ctx, dir: string) => ['train', '--data', join(c.work, dir), '--out', join(c.work, 'run'), ...c.tiny];
      return [
        {
          what: 'train --data: a WAV whose name is not digit_speaker_index.wav',
          args: (c) => {
            c.file('wavs/0_george_0.wav', recording());
            c.file('wavs/hello.wav', recording());
            return train(c, 'wavs');
          },
          expect: (c) => new RegExp(`${esc(join(c.work, 'wavs', 'hello.wav'))}: file name is not`),
        },
        {
          what: 'train --data: a float WAV among the recordings (wrong format)',
          args: (c) => {
            c.file('wavs/0_george_0.wav', recording());
            c.file('wavs/0_george_5.wav', floatWav());
            return train(c, 'wavs');
          },
          expect: (c) => new RegExp(`${esc(join(c.work, 'wavs', '0_george_5.wav'))}: WAV format tag 3 is not supported`),
        },
        {
          what: 'train --data: a truncated WAV',
          args: (c) => {
            c.file('wavs/0_george_0.wav', recording());
            c.file('wavs/0_george_5.wav', recording().subarray(0, 30));
            return train(c, 'wavs');
          },
          expect: (c) => new RegExp(`${esc(join(c.work, 'wavs', '0_george_5.wav'))}: `),
        },
        { what: 'train --test-speaker nobody', args: (c) => ['train', '--out', join(c.work, 'run'), ...c.tiny, '--test-speaker', 'nobody'], expect: () => /speaker nobody: no test recordings/ },
        { what: 'predict: a text file named .wav', args: (c) => ['predict', '--model', c.run, c.file('text.wav', 'hello')], expect: (c) => new RegExp(`${esc(join(c.work, 'text.wav'))}: not a readable WAV file`) },
        { what: 'predict: a float WAV', args: (c) => ['predict', '--model', c.run, c.file('float.wav', floatWav())], expect: (c) => new RegExp(`${esc(join(c.work, 'float.wav'))}: WAV format tag 3`) },
        { what: 'predict: a missing WAV', args: (c) => ['predict', '--model', c.run, join(c.work, 'nope.wav')], expect: (c) => new RegExp(`${esc(join(c.work, 'nope.wav'))}: cannot read`) },
        { what: 'predict - --rate 0', args: (c) => ['predict', '-', '--model', c.run, '--rate', '0', '--duration', '1'], expect: () => /--rate/ },
        { what: 'predict - --rate 4000.5', args: (c) => ['predict', '-', '--model', c.run, '--rate', '4000.5', '--duration', '1'], expect: () => /--rate must be an integer/ },
        { what: 'evaluate --split bogus', args: (c) => ['evaluate', '--model', c.run, '--split', 'bogus'], expect: () => /--split/ },
        {
          what: 'evaluate --split loso --speakers nobody',
          args: (c) => ['evaluate', '--model', c.run, '--split', 'loso', '--speakers', 'nobody', '--no-baselines'],
          expect: () => /--speakers: no speaker "nobody"/,
        },
      ] satisfies Row[];
    })(),
  },
};

function rowsOf(name: string): Row[] {
  const entry = APP_ROWS[name];
  if (!entry) return [];
  const rows = [...commonRows(entry.spec), ...entry.rows];
  for (const row of rows) {
    const bug = KNOWN_BUGS[name]?.[row.what];
    if (bug) row.knownBug = bug;
  }
  return rows;
}

/**
 * KNOWN BUG rows, by app and row: what the app really does (shown in the test name). Each runs as it.fails, so the
 * suite stays green while the bug is there and turns red when it is fixed: then remove the entry.
 */
const KNOWN_BUGS: Record<string, Record<string, string>> = {}; // none open: every row must pass

// ---------------------------------------------------------------------------------------------------------------

it('covers every app under apps/ with at least 12 rows, each with a unique name', () => {
  expect(apps.length).toBeGreaterThanOrEqual(5);
  for (const a of apps) {
    const rows = rowsOf(a.app.name);
    expect(rows.length, `add ${a.app.name} to APP_ROWS`).toBeGreaterThanOrEqual(12);
    expect(new Set(rows.map((r) => r.what)).size).toBe(rows.length);
  }
  for (const [name, bugs] of Object.entries(KNOWN_BUGS)) {
    for (const what of Object.keys(bugs)) expect(rowsOf(name).map((r) => r.what), `KNOWN_BUGS.${name}`).toContain(what);
  }
});

let rowCounter = 0;

describe.each(apps.map((a, i) => [a.app.name, a, apps[(i + 1) % apps.length]] as const))('%s', (name, app, other) => {
  const rows = rowsOf(name);

  async function context(): Promise<Ctx> {
    const runDir = await trainedRun(app);
    const otherRun = await trainedRun(other);
    const work = join(root, 'rows', `${name}-${++rowCounter}`);
    mkdirSync(work, { recursive: true });
    const file = (fname: string, content: string | Uint8Array) => {
      const p = join(work, fname);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, content);
      return p;
    };
    return {
      app, name, run: runDir, model: join(runDir, 'model'), work,
      example: JSON.stringify(app.app.predict.example),
      other: { name: other.app.name, run: otherRun, bin: binName(other.app) },
      tiny: [...TINY[name].train, '--epochs', '1', '--max-steps-per-epoch', '1', '--quiet'],
      craft: (edit) => {
        const dir = join(work, 'model');
        cpSync(join(runDir, 'model'), dir, { recursive: true });
        edit(dir);
        return dir;
      },
      file,
      dir: (dname) => {
        const p = join(work, dname);
        mkdirSync(p, { recursive: true });
        return p;
      },
      runCopy: () => {
        const dir = join(work, 'run');
        cpSync(runDir, dir, { recursive: true });
        rmSync(join(dir, 'run.lock'), { force: true });
        return dir;
      },
      cli: (args, timeoutMs = 60_000) => run(app, args, timeoutMs),
    };
  }

  for (const row of rows) {
    const nominal = row.boundMs ?? DEFAULT_BOUND_MS;
    if (row.skip) {
      it.skip(`${row.what} (${row.skip})`, () => undefined);
      continue;
    }
    const test = row.knownBug ? it.fails : it;
    test.concurrent(row.knownBug ? `${row.what} [KNOWN BUG: ${row.knownBug}]` : row.what, async () => {
      const c = await context();
      const args = await row.args(c);
      const bound = Math.round(nominal * timeScale());
      const r = await run(app, args, bound, row.env);
      const outcome = classify(r, row, c, bound);
      const lines = errorLines(r.stderr);
      outcomes.push({ app: name, row: row.what, outcome, status: r.status, signal: r.signal, ms: Math.round(r.ms), boundMs: bound, line: lines[0] ?? '', knownBug: row.knownBug !== undefined, args });
      const shown = `${name} ${args.join(' ').slice(0, 300)}\n-> exit ${r.status}${r.signal ? ` (${r.signal})` : ''} after ${Math.round(r.ms)} ms\nstderr:\n${r.stderr.slice(0, 2000)}`;
      expect(r.timedOut, `hang: killed after ${bound} ms\n${shown}`).toBe(false);
      expect(r.stderr, `stack trace\n${shown}`).not.toMatch(STACK_FRAME);
      if (outcome === 'documented') return;
      expect(r.status, shown).toBe(row.code ?? 1);
      expect(lines, shown).toHaveLength(1);
      expect(lines[0], shown).toMatch(/^error: /);
      expect(lines[0], shown).toMatch(row.expect(c));
      expect(r.ms, shown).toBeLessThan(bound);
    }, 600_000);
  }
});

afterAll(() => {
  // Read-only row directories get their write bit back, so that the temp tree can be removed as any user.
  for (const dir of readOnlyDirs) chmodSync(dir, 0o755);
  if (process.env.BAD_INPUT_REPORT) writeFileSync(process.env.BAD_INPUT_REPORT, JSON.stringify(outcomes, null, 2));
  const byApp = new Map<string, Map<Outcome, number>>();
  for (const o of outcomes) {
    const m = byApp.get(o.app) ?? new Map<Outcome, number>();
    m.set(o.outcome, (m.get(o.outcome) ?? 0) + 1);
    byApp.set(o.app, m);
  }
  const table = [...byApp].map(([app, m]) => `${app.padEnd(11)} ${[...m].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`bad-input outcomes per app:\n${table.join('\n')}`);
  rmSync(root, { recursive: true, force: true });
});
