import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

/** Each test loads a fresh copy of backend.ts (its once-only state) against the one shared tfjs instance. */
async function freshBackendModule() {
  vi.resetModules();
  const backend = await import('../src/backend.js');
  const kernel = await import('../src/layers/fused-kernels.js');
  return { ...backend, ...kernel };
}

function captureStderr(): { lines: () => string[] } {
  const written: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return { lines: () => written.join('').split('\n').filter((l) => l.length > 0) };
}

let tensorflowLoads = false;

beforeAll(async () => {
  // In this repository node_modules/@tensorflow/tfjs-node is plain tfjs under that name (for danfojs): importing it
  // succeeds without registering a `tensorflow` backend, which is what initBackend must notice.
  for (const specifier of ['rnnkit-tfjs-node', '@tensorflow/tfjs-node']) {
    try {
      await import(specifier);
    } catch {
      // absent: fine
    }
  }
  tensorflowLoads = tf.findBackend('tensorflow') != null;
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('initBackend', () => {
  it('rejects an unknown backend from the environment', async () => {
    vi.stubEnv('RNNKIT_BACKEND', 'wasm');
    const { initBackend } = await freshBackendModule();
    await expect(initBackend()).rejects.toThrow(/RNNKIT_BACKEND: unknown backend 'wasm' \(expected 'tensorflow' or 'cpu'\)/);
  });

  it('a forced tensorflow backend that does not load is a clear error, not a silent cpu', async (ctx) => {
    if (tensorflowLoads) ctx.skip();
    const { initBackend } = await freshBackendModule();
    await expect(initBackend({ backend: 'tensorflow', quiet: true })).rejects.toThrow(/tfjs-node did not load.*--backend cpu/);
  });

  it('picks a backend, prints it once, and is idempotent', async () => {
    vi.stubEnv('RNNKIT_BACKEND', '');
    vi.stubEnv('RNNKIT_NATIVE', '');
    const stderr = captureStderr();
    const { initBackend, backendInfo, fusedKernelsActive } = await freshBackendModule();
    expect(() => backendInfo()).toThrow(/before initBackend/);
    const info = await initBackend();
    const again = await initBackend({ backend: 'cpu' });
    expect(again).toBe(info);
    expect(backendInfo()).toBe(info);
    expect(info.name).toBe(tensorflowLoads ? 'tensorflow' : 'cpu');
    expect(tf.getBackend()).toBe(info.name);
    const backendLines = stderr.lines().filter((l) => l.startsWith('rnnkit: backend='));
    expect(backendLines).toEqual([`rnnkit: backend=${info.name} native=${info.native ? `yes (${info.nativeInfo})` : 'no'}`]);
    if (info.name === 'cpu' && !info.native) {
      // The native addon failed to load: exactly one warning says so, and layers use the reference loop.
      expect(stderr.lines().filter((l) => l.includes('@rnnkit/native unavailable'))).toHaveLength(1);
      expect(fusedKernelsActive()).toBe(false);
    }
    if (info.native) expect(fusedKernelsActive()).toBe(true);
  });

  it('RNNKIT_NATIVE=0 and quiet: plain cpu, nothing printed', async () => {
    vi.stubEnv('RNNKIT_NATIVE', '0');
    const stderr = captureStderr();
    const { initBackend, fusedKernelsActive } = await freshBackendModule();
    const info = await initBackend({ backend: 'cpu', quiet: true });
    expect(info).toEqual({ name: 'cpu', native: false });
    expect(fusedKernelsActive()).toBe(false);
    expect(stderr.lines()).toEqual([]);
  });

  it('on cpu, UnsortedSegmentSum (the Embedding gradient) is a scatter-add with the same results', async () => {
    const { initBackend } = await freshBackendModule();
    const info = await initBackend({ quiet: true, native: false });
    expect(info.name).toBe('cpu');
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const ids = tf.tensor1d([2, 0, 2, 7], 'int32'); // 7 is out of range: dropped, as in TensorFlow
    expect(tf.unsortedSegmentSum(x, ids, 4).arraySync()).toEqual([[3, 4], [0, 0], [6, 8], [0, 0]]);
    const xInt = tf.tensor3d([[[1], [2]], [[3], [4]]], [2, 2, 1], 'int32');
    const sums = tf.unsortedSegmentSum(xInt, tf.tensor1d([1, 1], 'int32'), 2);
    expect(sums.dtype).toBe('int32');
    expect(sums.arraySync()).toEqual([[[0], [0]], [[4], [6]]]);
    // Gradient of an embedding lookup: repeated ids accumulate.
    const table = tf.variable(tf.zeros([5, 3]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, tf.tensor2d([[1, 3], [1, 0]], [2, 2], 'int32')), 2)), [table]);
    expect(grads[table.name].arraySync()).toEqual([[2, 2, 2], [4, 4, 4], [0, 0, 0], [2, 2, 2], [0, 0, 0]]);
  });

  it('on cpu, broadcasting elementwise ops and softmax keep tfjs results on their fast paths', async () => {
    const { initBackend } = await freshBackendModule();
    await initBackend({ quiet: true, native: false });
    const pairs: [number[], number[]][] = [
      [[2, 3, 4], [4]], [[2, 1, 4], [1, 3, 1]], [[5], []], [[], [3, 2]], [[4, 3, 1, 8], [4, 1, 5, 8]], [[3, 1], [1, 4]],
      [[2, 0, 3], [3]], [[1, 6], [4, 1, 6]],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum], ['minimum', tf.minimum],
    ];
    pairs.forEach(([aShape, bShape], i) => {
      const a = tf.randomUniform(aShape, -2, 2, 'float32', i);
      const b = tf.randomUniform(bShape, 0.5, 2, 'float32', 100 + i);
      const shape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
      for (const [name, op] of ops) {
        const actual = op(a, b);
        // Same-shape inputs take tfjs's own loop: the reference.
        const expected = op(tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
        expect(actual.shape, `${name} ${aShape} ${bShape}`).toEqual(expected.shape);
        expect(Array.from(actual.dataSync()), `${name} ${aShape} ${bShape}`).toEqual(Array.from(expected.dataSync()));
      }
    });
    // int32 keeps tfjs's own (integer) path.
    expect(tf.div(tf.tensor1d([7, 9], 'int32'), tf.scalar(2, 'int32')).dtype).toBe('int32');
    const logits = tf.tensor2d([[1, 2, 3], [1000, 1000, -1000]]);
    const probs = tf.softmax(logits).arraySync() as number[][];
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const z = e[0] + e[1] + e[2];
    expect(probs[0]).toEqual(e.map((v) => expect.closeTo(v / z, 6)));
    expect(probs[1]).toEqual([0.5, 0.5, 0]);
  });

  it('on cpu, slicing kernels (Slice, SplitV, Unpack) keep tfjs results on their fast paths', async () => {
    const { initBackend } = await freshBackendModule();
    await initBackend({ quiet: true, native: false });
    const box = (a: unknown, begin: number[], size: number[]): unknown =>
      begin.length === 0 ? a : (a as unknown[]).slice(begin[0], begin[0] + size[0]).map((r) => box(r, begin.slice(1), size.slice(1)));
    const flat = (a: unknown): unknown[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
    const inputs = [
      tf.randomUniform([3, 4, 5], -1, 1, 'float32', 1),
      tf.randomUniform([2, 3, 4, 2], 0, 100, 'int32', 2),
      tf.greater(tf.randomUniform([4, 6], 0, 1, 'float32', 3), 0.5),
    ];
    for (const x of inputs) {
      const nested = x.arraySync();
      const rank = x.rank;
      const expectPiece = (piece: tf.Tensor, begin: number[], size: number[], label: string) => {
        expect(piece.dtype, label).toBe(x.dtype);
        expect(Array.from(piece.dataSync()), label).toEqual(flat(box(nested, begin, size)).map(Number));
      };
      for (let axis = 0; axis < rank; axis++) {
        // A box starting at 1 along `axis` and covering everything else; and one cut in every dimension.
        const begin = x.shape.map((_, d) => (d === axis ? 1 : 0));
        const size = x.shape.map((n, d) => (d === axis ? n - 1 : n));
        expectPiece(tf.slice(x, begin, size), begin, size, `slice ${x.shape} axis ${axis}`);
        const pieces = tf.split(x, [1, x.shape[axis] - 1], axis);
        let start = 0;
        pieces.forEach((p) => {
          const b = x.shape.map((_, d) => (d === axis ? start : 0));
          expect(p.shape).toEqual(x.shape.map((n, d) => (d === axis ? p.shape[axis] : n)));
          expectPiece(p, b, p.shape, `split ${x.shape} axis ${axis}`);
          start += p.shape[axis];
        });
        tf.unstack(x, axis).forEach((p, i) => {
          const b = x.shape.map((_, d) => (d === axis ? i : 0));
          const sz = x.shape.map((n, d) => (d === axis ? 1 : n));
          expect(p.shape).toEqual(x.shape.filter((_, d) => d !== axis));
          expectPiece(p, b, sz, `unstack ${x.shape} axis ${axis} #${i}`);
        });
      }
      const cut = x.shape.map((n) => Math.floor(n / 2));
      const rest = x.shape.map((n, d) => n - cut[d] - (d === 0 ? 0 : 1));
      expectPiece(tf.slice(x, cut, rest), cut, rest, `slice ${x.shape} interior`);
      expectPiece(tf.slice(x, cut, -1), cut, x.shape.map((n, d) => n - cut[d]), `slice ${x.shape} size -1`);
    }
  });
});
