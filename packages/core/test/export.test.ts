import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildAppProgram } from '../src/app/cli.js';
import { trainingConfigSchema } from '../src/app/config.js';
import type { AppDefinition } from '../src/app/definition.js';
import { initBackend } from '../src/backend.js';
import { bahdanauAttention, bidirectional, recurrent } from '../src/layers/index.js';
import { EXPORT_MANIFEST, checkPlain, exportModel, maxAbsDifference, runOnBatch, testBatch, withoutMachinePaths, type ExportManifest } from '../src/io/export-web.js';
import { loadModelFromArtifacts, loadModelFromUrl } from '../src/io/model-artifacts.js';
import { loadModelDir, saveModelDir } from '../src/io/model-dir.js';
import { runWithPlainTfjs } from '../src/io/plain-tfjs-check.js';
import { float16Bits, quantizeUint8, quantizeWeights } from '../src/io/quantize.js';

let root: string;
beforeAll(async () => {
  await initBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnkit-export-test-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Replaces every weight with seeded normal values (sd 0.5): gates then sit anywhere, biases are not zero. */
function randomizeWeights(model: tf.LayersModel, seed = 3): void {
  const values = model.weights.map((w, i) => tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed + i));
  model.setWeights(values);
  tf.dispose(values);
}

async function savedModel(name: string, model: tf.LayersModel, app = 'toy'): Promise<string> {
  const dir = path.join(root, name);
  await saveModelDir(dir, model, { app: { name: app, version: '1.0.0' }, extras: { note: 'x' } });
  model.dispose();
  return dir;
}

describe('float16 encoding', () => {
  it('round-trips every finite half through tfjs\'s own float16 decoder', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = tf.io.decodeWeights(all.buffer, [{ name: 'h', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }]);
    const values = decoded.h.dataSync();
    decoded.h.dispose();
    let checked = 0;
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(values[i])) continue;
      expect(float16Bits(values[i]), `half 0x${i.toString(16)}`).toBe(i);
      checked++;
    }
    expect(checked).toBe(65536 - 2 * 1023); // all but the NaN patterns
  });

  it('rounds to nearest, ties to even, overflows to Infinity and underflows to zero', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(float16Bits(-1e6)).toBe(0xfc00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(2 ** -26)).toBe(0);
    expect(float16Bits(3 * 2 ** -26)).toBe(0x0001);
  });
});

describe('uint8 quantization', () => {
  it('keeps zero exact, stays within one step and decodes with tfjs', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 - 0.5);
    values[17] = 0;
    const { codes, scale, min } = quantizeUint8(values);
    const decoded = tf.io.decodeWeights(codes.buffer as ArrayBuffer, [{ name: 'w', shape: [1000], dtype: 'float32', quantization: { dtype: 'uint8', scale, min } }]);
    const back = decoded.w.dataSync();
    decoded.w.dispose();
    expect(back[17]).toBe(0);
    let worst = 0;
    for (let i = 0; i < 1000; i++) worst = Math.max(worst, Math.abs(back[i] - values[i]));
    expect(worst).toBeLessThanOrEqual(scale * 1.0001);
    expect(worst).toBeGreaterThan(0);
  });

  it('a constant tensor decodes to the constant', () => {
    const { codes, scale, min } = quantizeUint8(new Float32Array([0.25, 0.25, 0.25]));
    expect(Array.from(codes, (q) => q * scale + min)).toEqual([0.25, 0.25, 0.25]);
  });

  it('float16 refuses a weight beyond its range, naming it', () => {
    const data = new Float32Array([1, 70000]);
    expect(() => quantizeWeights([{ name: 'big/kernel', shape: [2], dtype: 'float32' }], data.buffer, 'float16')).toThrow(
      'weight "big/kernel": element 1 is 70000, beyond float16\'s range (±65504); use --quantize uint8 or none',
    );
  });
});

function smallRnn(): tf.LayersModel {
  const x = tf.input({ shape: [6, 5] });
  const h = bidirectional({ cell: 'lstm', units: 4, returnSequences: true, name: 'bi' }).apply(x) as tf.SymbolicTensor;
  const y = recurrent({ cell: 'gru', units: 3, name: 'uni' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'head' }).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: x, outputs: out });
  randomizeWeights(model);
  return model;
}

describe('export --web', () => {
  let src: string;
  beforeAll(async () => {
    src = await savedModel('web-src', smallRnn());
  });

  it.each(['none', 'float16', 'uint8'] as const)('--quantize %s writes a model directory core loads, with a manifest', async (q) => {
    const out = path.join(root, `web-${q}`);
    const manifest = await exportModel({ modelDir: src, outDir: out, kind: 'web', quantize: q });
    const names = fs.readdirSync(out).sort();
    expect(names).toEqual(['manifest.json', 'model.json', 'rnnkit.json', 'weights.bin']);
    const onDisk = JSON.parse(fs.readFileSync(path.join(out, EXPORT_MANIFEST), 'utf8')) as ExportManifest;
    expect(onDisk).toEqual(manifest);
    expect(manifest.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin', 'rnnkit.json']);
    for (const f of manifest.files) expect(f.bytes).toBe(fs.statSync(path.join(out, f.name)).size);
    expect(manifest.totalBytes).toBe(manifest.files.reduce((n, f) => n + f.bytes, 0));
    const weights = manifest.files[1].bytes;
    expect(weights).toBe(manifest.source.weightsBytes / { none: 1, float16: 2, uint8: 4 }[q]);
    const specs = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')).weightsManifest[0].weights;
    expect(specs.every((s: tf.io.WeightsManifestEntry) => (q === 'none' ? s.quantization === undefined : s.quantization?.dtype === q))).toBe(true);

    // The Node loader and the in-memory (page) loader both accept it; outputs stay close to the source.
    const loaded = await loadModelDir(out);
    const original = await loadModelDir(src);
    const batch = testBatch(original.model);
    const diff = maxAbsDifference(runOnBatch(loaded.model, batch), runOnBatch(original.model, batch));
    expect(diff).toBe(manifest.check.maxAbsDiff);
    expect(diff).toBeLessThan({ none: 1e-7, float16: 5e-3, uint8: 5e-2 }[q]);
    if (q !== 'none') expect(diff).toBeGreaterThan(0);
    const fromMemory = await loadModelFromArtifacts({
      modelJson: JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8')),
      rnnkitJson: JSON.parse(fs.readFileSync(path.join(out, 'rnnkit.json'), 'utf8')),
      weights: fs.readFileSync(path.join(out, 'weights.bin')),
      source: out,
    });
    expect(maxAbsDifference(runOnBatch(fromMemory.model, batch), runOnBatch(loaded.model, batch))).toBe(0);
    [loaded, original, fromMemory].forEach((m) => m.model.dispose());
  });

  it('refuses a non-empty OUT_DIR without --overwrite, and with it replaces only an earlier export', async () => {
    const out = path.join(root, 'web-none');
    await expect(exportModel({ modelDir: src, outDir: out, kind: 'web' })).rejects.toThrow(
      `${out}: not empty; pass --overwrite to replace an earlier export there`,
    );
    await exportModel({ modelDir: src, outDir: out, kind: 'web', quantize: 'float16', overwrite: true });
    expect(JSON.parse(fs.readFileSync(path.join(out, EXPORT_MANIFEST), 'utf8')).quantization).toBe('float16');
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.web-none'))).toEqual([]); // no temp or backup left

    const precious = path.join(root, 'precious');
    fs.mkdirSync(precious);
    fs.writeFileSync(path.join(precious, 'notes.txt'), 'keep me');
    await expect(exportModel({ modelDir: src, outDir: precious, kind: 'web', overwrite: true })).rejects.toThrow(
      `${precious}: not empty and not an earlier export (no manifest.json); --overwrite only replaces exports`,
    );
    expect(fs.readFileSync(path.join(precious, 'notes.txt'), 'utf8')).toBe('keep me');
    await expect(exportModel({ modelDir: src, outDir: src, kind: 'web', overwrite: true })).rejects.toThrow(
      `${src}: is or contains the model directory ${src}; export to another directory`,
    );
    await expect(exportModel({ modelDir: src, outDir: root, kind: 'web', overwrite: true })).rejects.toThrow('is or contains the model directory');
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'x');
    await expect(exportModel({ modelDir: src, outDir: file, kind: 'web' })).rejects.toThrow(`${file}: exists and is not a directory`);
  });
});

describe('export --web of a model over 4 MB', () => {
  it('splits the weights into 4 MB files that loadModelDir and loadModelFromUrl read back in order', async () => {
    const tokens = tf.input({ shape: [null], dtype: 'int32' });
    const e = tf.layers.embedding({ inputDim: 5000, outputDim: 256, name: 'emb' }).apply(tokens) as tf.SymbolicTensor;
    const y = recurrent({ cell: 'gru', units: 8, name: 'rnn' }).apply(e) as tf.SymbolicTensor;
    const model = tf.model({ inputs: tokens, outputs: y });
    randomizeWeights(model, 5);
    const src = await savedModel('big-src', model);
    const out = path.join(root, 'big-web');
    const manifest = await exportModel({ modelDir: src, outDir: out, kind: 'web' });
    expect(manifest.files.map((f) => f.name)).toEqual(['model.json', 'weights-1of2.bin', 'weights-2of2.bin', 'rnnkit.json']);
    expect(manifest.files[1].bytes).toBe(4 * 1024 * 1024);
    const original = await loadModelDir(src);
    const batch = testBatch(original.model);
    const want = runOnBatch(original.model, batch);
    const fromDir = await loadModelDir(out);
    expect(maxAbsDifference(runOnBatch(fromDir.model, batch), want)).toBe(0);
    const served = (url: string) => {
      const file = path.join(out, decodeURIComponent(new URL(url).pathname.split('/').pop()!));
      return Promise.resolve(fs.existsSync(file) ? new Response(fs.readFileSync(file)) : new Response(null, { status: 404 }));
    };
    const fromUrl = await loadModelFromUrl('http://models.test/big-web/', served);
    expect(maxAbsDifference(runOnBatch(fromUrl.model, batch), want)).toBe(0);
    [original, fromDir, fromUrl].forEach((m) => m.model.dispose());
    const half = await exportModel({ modelDir: src, outDir: path.join(root, 'big-web16'), kind: 'web', quantize: 'float16' });
    expect(half.files.map((f) => f.name)).toEqual(['model.json', 'weights.bin', 'rnnkit.json']);
  });
});

describe('loading quantized weights checks them in their stored form', () => {
  async function exported(q: 'float16' | 'uint8'): Promise<string> {
    const out = path.join(root, `tamper-${q}`);
    await exportModel({ modelDir: path.join(root, 'web-src'), outDir: out, kind: 'web', quantize: q, overwrite: true });
    return out;
  }
  /** Rewrites model.json and/or weights.bin, then records the new weights' hash so only the checked property is wrong. */
  function tamper(dir: string, edit: { specs?: (s: tf.io.WeightsManifestEntry[]) => void; bytes?: (b: Uint8Array) => Uint8Array }) {
    const modelFile = path.join(dir, 'model.json');
    const modelJson = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
    edit.specs?.(modelJson.weightsManifest[0].weights);
    fs.writeFileSync(modelFile, JSON.stringify(modelJson));
    let bytes: Uint8Array = new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin')));
    if (edit.bytes) bytes = edit.bytes(bytes);
    fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'rnnkit.json'), 'utf8'));
    meta.weights = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
    fs.writeFileSync(path.join(dir, 'rnnkit.json'), JSON.stringify(meta));
  }

  it('a float16 Infinity is refused, naming the weight and element', async () => {
    const dir = await exported('float16');
    tamper(dir, { bytes: (b) => ((b[2] = 0x00), (b[3] = 0x7c), b) });
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin: weight "bi\/forward_kernel" holds Infinity at element 1 \(float16; corrupt weights\)$/);
  });

  it('a uint8 scale that decodes to Infinity, or an unknown quantization dtype, is refused', async () => {
    const dir = await exported('uint8');
    tamper(dir, { specs: (s) => (s[0].quantization!.scale = 1e38) });
    await expect(loadModelDir(dir)).rejects.toThrow('weight "bi/forward_kernel": quantization scale and min must be numbers that decode to finite weights');
    tamper(dir, { specs: (s) => ((s[0].quantization as { dtype: string }).dtype = 'int4') });
    await expect(loadModelDir(dir)).rejects.toThrow('weight "bi/forward_kernel": unknown quantization dtype "int4" (expected uint8, uint16 or float16)');
  });

  it('sizes are checked per quantized dtype: a float16 manifest over uint8 bytes is refused', async () => {
    const dir = await exported('uint8');
    tamper(dir, { specs: (s) => s.forEach((w) => (w.quantization = { dtype: 'float16' })) });
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin: has \d+ bytes but model\.json describes \d+ bytes of weights \(the file is truncated\)/);
  });
});

/** Models covering what the rewrite must keep: every cell, both directions, merge modes, sequences, states, masks. */
const PLAIN_CASES: [string, () => tf.LayersModel][] = [
  ['bidirectional LSTM (concat, sequences) → GRU', smallRnn],
  [
    'masked embedding → backwards GRU (sequences) → bidirectional SimpleRNN (sum)',
    () => {
      const tokens = tf.input({ shape: [null], dtype: 'int32' });
      const e = tf.layers.embedding({ inputDim: 7, outputDim: 4, maskZero: true, name: 'emb' }).apply(tokens) as tf.SymbolicTensor;
      const g = recurrent({ cell: 'gru', units: 5, returnSequences: true, goBackwards: true, name: 'back' }).apply(e) as tf.SymbolicTensor;
      const s = bidirectional({ cell: 'simple', units: 3, mergeMode: 'sum', name: 'bis' }).apply(g) as tf.SymbolicTensor;
      const m = tf.model({ inputs: tokens, outputs: s });
      randomizeWeights(m, 11);
      return m;
    },
  ],
  [
    'LSTM with initial states in and final states out (a step model)',
    () => {
      const x = tf.input({ shape: [null, 3] });
      const h0 = tf.input({ shape: [4] });
      const c0 = tf.input({ shape: [4] });
      const [seq, h, c] = recurrent({ cell: 'lstm', units: 4, returnSequences: true, returnState: true, name: 'step' }).apply([x, h0, c0]) as tf.SymbolicTensor[];
      const m = tf.model({ inputs: [x, h0, c0], outputs: [seq, h, c] });
      randomizeWeights(m, 21);
      return m;
    },
  ],
  [
    'bidirectional GRU (ave) returning its states',
    () => {
      const x = tf.input({ shape: [5, 2] });
      const outs = bidirectional({ cell: 'gru', units: 3, mergeMode: 'ave', returnState: true, name: 'enc' }).apply(x) as tf.SymbolicTensor[];
      const m = tf.model({ inputs: x, outputs: outs });
      randomizeWeights(m, 31);
      return m;
    },
  ],
];

describe('export --plain-tfjs', () => {
  it.each(PLAIN_CASES)('%s: plain tfjs in a fresh process matches rnnkit', async (name, build) => {
    const slug = name.replace(/[^a-z]+/gi, '-').slice(0, 40);
    const src = await savedModel(`plain-src-${slug}`, build());
    const out = path.join(root, `plain-${slug}`);
    const manifest = await exportModel({ modelDir: src, outDir: out, kind: 'plain-tfjs' });
    console.log(`${name}: max |diff| ${manifest.check.maxAbsDiff.toExponential(2)}; ${manifest.check.plainClasses?.join(', ')}`);
    expect(manifest.check.maxAbsDiff).toBeLessThan(1e-5);
    const topology = fs.readFileSync(path.join(out, 'model.json'), 'utf8');
    expect(topology).not.toMatch(/Rnnkit/);
    expect(manifest.check.plainClasses?.some((c) => /^(LSTM|GRU|SimpleRNN|Bidirectional)$/.test(c))).toBe(true);
  });

  it('refuses a model with rnnkit-only layers, pointing to --web and the browser entry; nothing is written', async () => {
    const enc = tf.input({ shape: [4, 3] });
    const dec = tf.input({ shape: [2, 3] });
    const [context] = bahdanauAttention({ units: 3, name: 'attention' }).apply([dec, enc]) as tf.SymbolicTensor[];
    const src = await savedModel('attn-src', tf.model({ inputs: [enc, dec], outputs: context }), 'summarize');
    const out = path.join(root, 'attn-plain');
    await expect(exportModel({ modelDir: src, outDir: out, kind: 'plain-tfjs' })).rejects.toThrow(
      `${src}: cannot export to plain tfjs: it uses rnnkit's own layers, which stock tfjs has no equivalent of: attention (BahdanauAttention); ` +
        "a summarize model needs rnnkit's layers: export it with --web and load it with @rnnkit/core/browser",
    );
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--quantize with --plain-tfjs checks the rewrite on identical weights and reports the quantization apart', async () => {
    const src = await savedModel('plain-q-src', smallRnn());
    const manifest = await exportModel({ modelDir: src, outDir: path.join(root, 'plain-q'), kind: 'plain-tfjs', quantize: 'uint8' });
    expect(manifest.check.maxAbsDiff).toBeLessThan(1e-5);
    expect(manifest.check.quantizationDiff).toBeGreaterThan(1e-4);
    expect(manifest.files[1].bytes * 4).toBe(manifest.source.weightsBytes);
  });

  describe('the check catches the layout mistakes a rewrite can make', () => {
    let out: string;
    let batch: ReturnType<typeof testBatch>;
    let expected: ReturnType<typeof runOnBatch>;
    beforeAll(async () => {
      const src = await savedModel('plain-mistakes-src', smallRnn());
      out = path.join(root, 'plain-mistakes');
      await exportModel({ modelDir: src, outDir: out, kind: 'plain-tfjs' });
      const original = await loadModelDir(src);
      batch = testBatch(original.model);
      expected = runOnBatch(original.model, batch);
      original.model.dispose();
    });
    const editModelJson = (edit: (layers: { class_name: string; config: Record<string, unknown> }[]) => void) => {
      const dir = fs.mkdtempSync(path.join(root, 'mistake-'));
      for (const f of fs.readdirSync(out)) fs.copyFileSync(path.join(out, f), path.join(dir, f));
      const file = path.join(dir, 'model.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(json.modelTopology.config.layers);
      fs.writeFileSync(file, JSON.stringify(json));
      return dir;
    };

    it('the export itself passes', async () => {
      expect((await checkPlain(out, batch, expected, [])).maxAbsDiff).toBeLessThan(1e-5);
    });

    it("tfjs's default hardSigmoid recurrent activation is refused with the measured difference", async () => {
      const dir = editModelJson((layers) => (layers.find((l) => l.class_name === 'GRU')!.config.recurrent_activation = 'hard_sigmoid'));
      await expect(checkPlain(dir, batch, expected, [])).rejects.toThrow(
        /^plain tfjs outputs differ from rnnkit's by up to \d\.\d\de-\d+ on a 4×6×5 test batch \(outputs up to [\d.e+-]+ in size; limit 1e-5\); nothing written$/,
      );
    });

    it('swapped GRU gates (r, z instead of z, r) are refused', async () => {
      const dir = editModelJson(() => undefined);
      const file = path.join(dir, 'model.json');
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const specs = json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
      const data = fs.readFileSync(path.join(dir, 'weights.bin'));
      const named = tf.io.decodeWeights(new Uint8Array(data).buffer, specs);
      const swapped = specs.map((s) => {
        const t = named[s.name];
        if (!s.name.startsWith('uni/')) return t;
        const [z, r, h] = tf.split(t, 3, -1);
        return tf.concat([r, z, h], -1);
      });
      const encoded = await tf.io.encodeWeights(specs.map((s, i) => ({ name: s.name, tensor: swapped[i] })));
      fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(encoded.data as ArrayBuffer));
      await expect(checkPlain(dir, batch, expected, [])).rejects.toThrow(/^plain tfjs outputs differ from rnnkit's by up to /);
    });

    it('a layer the rewrite left as rnnkit\'s does not load in the checking process (it has no rnnkit)', async () => {
      const src = path.join(root, 'plain-mistakes-src');
      await expect(runWithPlainTfjs(src, batch)).rejects.toThrow(/^plain tfjs cannot load or run the rewritten model \(Unknown layer: RnnkitBidirectional/);
    });
  });
});

describe('the generated export command', () => {
  // Only what building the program and `export` read of an app: its name (which models it accepts) and a schema.
  const configSchema = trainingConfigSchema({ out: 'runs/toy', epochs: 1, batchSize: 8, lr: 0.01, clipNorm: 0, patience: 0, dataHelp: 'rows' }, {});
  const app = { name: 'toy', version: '1.0.0', description: 'toy', configSchema, evaluate: { description: 'x' }, predict: { inputHelp: 'x' } } as unknown as AppDefinition;
  const run = (...args: string[]) => buildAppProgram(app).parseAsync(['node', 'rnnkit-toy', 'export', ...args]);
  let stdout: ReturnType<typeof vi.spyOn>;
  beforeAll(() => {
    stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => stdout.mockClear());
  afterAll(() => stdout.mockRestore());
  const printed = () => stdout.mock.calls.map((c: unknown[]) => String(c[0])).join('');

  it('every app has it, with --web, --plain-tfjs, --quantize and --overwrite', () => {
    const cmd = buildAppProgram(app).commands.find((c) => c.name() === 'export')!;
    expect(cmd.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--web', '--plain-tfjs', '--quantize', '--overwrite', '--json', '--model']));
  });

  it('prints the files, sizes and the check; --json prints the manifest', async () => {
    const src = path.join(root, 'web-src');
    const out = path.join(root, 'cli-web');
    await run(src, '--web', out, '--quantize', 'float16', '--quiet');
    const text = printed();
    expect(text).toContain(`exported toy ${src} → ${out} (web, weights float16)`);
    expect(text).toMatch(/weights\.bin +\d+ B +\(gzip \d+ B\)/);
    expect(text).toMatch(/^check: loads with rnnkit's loader; max \|output difference\| vs the source model on a 4×6×5 test batch: \d\.\d\de-\d+$/m);
    stdout.mockClear();
    await run('--model', src, '--plain-tfjs', path.join(root, 'cli-plain'), '--json', '--quiet');
    const manifest = JSON.parse(printed()) as ExportManifest;
    expect(manifest).toMatchObject({ kind: 'plain-tfjs', quantization: 'none', app: { name: 'toy' } });
    expect(manifest.check.rewritten).toEqual([
      { name: 'bi', from: 'RnnkitBidirectional', to: 'Bidirectional(LSTM)' },
      { name: 'uni', from: 'RnnkitRecurrent', to: 'GRU' },
    ]);
  });

  it('usage mistakes and other apps\' models are one-line errors', async () => {
    const src = path.join(root, 'web-src');
    await expect(run(src, '--quiet')).rejects.toThrow('export: give exactly one of --web OUT_DIR and --plain-tfjs OUT_DIR');
    await expect(run(src, '--web', 'a', '--plain-tfjs', 'b', '--quiet')).rejects.toThrow('export: give exactly one of');
    await expect(run('--web', 'a', '--quiet')).rejects.toThrow('export: give the model directory (MODEL_DIR)');
    await expect(run(src, '--model', src, '--web', 'a', '--quiet')).rejects.toThrow('give the model directory as MODEL_DIR or with --model, not both');
    const attn = path.join(root, 'attn-src');
    await expect(run(attn, '--web', path.join(root, 'x'), '--quiet')).rejects.toThrow(`${attn}: holds a summarize model (use rnnkit-summarize), not a toy model`);
  });
});

describe('withoutMachinePaths', () => {
  it('keeps the last two parts of absolute paths in the config and extras.data, and nothing else changes', () => {
    const meta = {
      format: 'rnnkit-model',
      config: { data: '/home/me/datasets/mnist', out: 'C:\\runs\\demo\\mnist', units: [64], tickers: 'AAPL,MSFT', note: 'a/b' },
      extras: { data: '/srv/data/tinyshakespeare/input.txt', vocab: ['/', '~', 'a'], dataDescription: 'images from /srv/data/mnist/train.gz, test = 10000' },
    } as unknown as Parameters<typeof withoutMachinePaths>[0];
    const out = withoutMachinePaths(meta);
    expect(out.config).toEqual({ data: 'datasets/mnist', out: 'demo/mnist', units: [64], tickers: 'AAPL,MSFT', note: 'a/b' });
    expect(out.extras).toEqual({ data: 'tinyshakespeare/input.txt', vocab: ['/', '~', 'a'], dataDescription: 'images from mnist/train.gz, test = 10000' });
  });
});
