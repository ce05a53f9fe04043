import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { RnnkitError } from '../errors.js';

/**
 * Runs an exported model in a fresh Node process that loads nothing but `@tensorflow/tfjs` (by absolute path, from a
 * working directory outside the workspace, so `@rnnkit/core` cannot be resolved even by accident), through tfjs's
 * own http loader - the code path a web page takes with `tf.loadLayersModel(url)`. Loading in this process instead
 * would prove nothing: rnnkit's layer classes are registered here, so a layer the rewrite missed would still load.
 */

/** A tensor as plain data, to cross the process boundary. */
export interface TensorData {
  dtype: 'float32' | 'int32';
  shape: number[];
  values: number[];
}

// CommonJS so the script can `require` tfjs's Node build by path. It serves the model directory on 127.0.0.1 (file
// names only, nothing outside the directory) and prints one marked line of JSON; tfjs's own console messages go
// to stderr or are ignored.
const CHILD_SCRIPT = String.raw`
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const job = JSON.parse(input);
  const tf = require(job.tfjs);
  const server = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    fs.readFile(path.join(job.dir, name), (err, body) => {
      if (err) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, { 'content-type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel('http://127.0.0.1:' + server.address().port + '/model.json');
    const xs = job.inputs.map((t) => tf.tensor(t.values, t.shape, t.dtype));
    let ys = model.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    const outputs = ys.map((y) => ({ shape: y.shape, values: Array.from(y.dataSync()) }));
    const classes = model.layers.map((l) => l.getClassName());
    process.stdout.write('\n@@RESULT@@' + JSON.stringify({ ok: true, outputs, classes }) + '\n');
  } catch (err) {
    const message = String(err && err.message ? err.message : err).split('\n')[0];
    process.stdout.write('\n@@RESULT@@' + JSON.stringify({ ok: false, message }) + '\n');
  } finally {
    server.close();
  }
});
`;

export interface PlainRun {
  outputs: { shape: number[]; values: number[] }[];
  /** The layer classes plain tfjs built. */
  classes: string[];
}

/** The absolute path of the `@tensorflow/tfjs` Node build core itself uses (same version as rnnkit's layers). */
function tfjsEntry(): string {
  return createRequire(import.meta.url).resolve('@tensorflow/tfjs');
}

/**
 * Loads `dir/model.json` with plain tfjs in a child process and runs it on `inputs`. Throws an RnnkitError with the
 * child's first error line when plain tfjs cannot load or run the model.
 */
export async function runWithPlainTfjs(dir: string, inputs: TensorData[], timeoutMs = 300_000): Promise<PlainRun> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no loaders or preloads from the parent (test runners set some)
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], { cwd: os.tmpdir(), env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdin.end(JSON.stringify({ tfjs: tfjsEntry(), dir, inputs }));
  let code: number | null;
  try {
    code = await exit;
  } finally {
    clearTimeout(timer);
  }
  const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT@@'));
  if (line === undefined) {
    const last = stderr.trim().split('\n').filter((l) => l.trim() !== '').at(-1) ?? `exit code ${code}`;
    throw new RnnkitError(`plain tfjs check: the checking process failed (${last})`);
  }
  const result = JSON.parse(line.slice('@@RESULT@@'.length)) as ({ ok: true } & PlainRun) | { ok: false; message: string };
  if (!result.ok) throw new RnnkitError(`plain tfjs cannot load or run the rewritten model (${result.message})`);
  return { outputs: result.outputs, classes: result.classes };
}
