import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installNativeKernels } from '../src/index.js';
import { expectAddonLoaded, expectClose, optedOut, randomTensor } from './helpers.js';

/** tol: relative tolerance, when a case loses more digits than float rounding of its own computation. */
type Case = { name: string; run: () => tf.Tensor | tf.Tensor[]; tol?: number };

const BINARY: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
  ['add', tf.add],
  ['sub', tf.sub],
  ['mul', tf.mul],
  ['div', tf.div],
  ['maximum', tf.maximum],
  ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
];

const SHAPES: Array<[number[], number[]]> = [
  [[64, 40, 1], [64, 40, 65]],
  [[64, 40, 65], [1, 1, 65]],
  [[3, 1, 5], [1, 4, 1]],
  [[200, 100], []],
  [[], [130, 128]],
  [[128, 512], [128, 512]],
  [[7, 5], [5]],
  [[2, 3, 1, 4, 5], [3, 6, 1, 5]],
  [[9, 1], [1, 9]],
];

const CASES: Case[] = [];
BINARY.forEach(([name, fn], i) => {
  SHAPES.forEach(([sa, sb], j) => {
    CASES.push({ name: `${name} [${sa}] x [${sb}]`, run: () => fn(randomTensor(sa, 100 * i + j), randomTensor(sb, 100 * i + j + 50)) });
  });
});
const COMPARISONS: Array<[string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
  ['less', tf.less],
  ['lessEqual', tf.lessEqual],
  ['greater', tf.greater],
  ['greaterEqual', tf.greaterEqual],
  ['equal', tf.equal],
  ['notEqual', tf.notEqual],
];
COMPARISONS.forEach(([name, fn], i) => {
  // Rounded values so that equal elements actually occur.
  const rounded = (shape: number[], seed: number) => tf.round(tf.mul(randomTensor(shape, seed), 3));
  CASES.push(
    { name: `${name} [64,40,65] vs scalar`, run: () => fn(rounded([64, 40, 65], i), tf.scalar(1)) },
    { name: `${name} [64,40,1] vs [1,1,65]`, run: () => fn(rounded([64, 40, 1], i + 10), rounded([1, 1, 65], i + 20)) },
  );
});
const UNARY: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
  ['tanh', tf.tanh],
  ['sigmoid', tf.sigmoid],
  ['exp', tf.exp],
  ['log', tf.log],
  ['sqrt', tf.sqrt],
  ['square', tf.square],
  ['neg', tf.neg],
  ['relu', tf.relu],
];
UNARY.forEach(([name, fn], i) => {
  CASES.push({
    name: `${name} [64,40,65] incl. extremes, zero and NaN`,
    run: () => {
      const x = tf.mul(randomTensor([64, 40, 65], 60 + i), 6);
      const specials = tf.tensor1d([0, -0.1, 0.2, 1e-6, -1e-6, 90, -90, 120, -120, NaN, Infinity, -Infinity, 88.5, -87.5, 1e-30]);
      return fn(tf.concat([x.reshape([-1]), specials]));
    },
  });
});
CASES.push(
  {
    name: 'slices: non-contiguous (native) and contiguous (tfjs views)',
    run: () => {
      const x = randomTensor([32, 12, 512], 70);
      return [x.slice([0, 0, 256], [32, 12, 256]), x.slice([3, 2, 5], [20, 9, 100]), x.slice([4, 0, 0], [10, 12, 512]), x.slice([0, 5], [32, 1])];
    },
  },
  {
    name: 'split along the last, middle and first axis',
    run: () => {
      const x = randomTensor([32, 12, 512], 72);
      return [...tf.split(x, 2, 2), ...tf.split(x, [5, 7], 1), ...tf.split(x, [30, 2], 0)];
    },
  },
  {
    name: 'sum over middle and mixed axes',
    run: () => {
      const x = randomTensor([8, 12, 40, 16], 71);
      return [x.sum(2), x.sum([1, 3]), x.sum([0, 2], true), x.sum([1, 2])];
    },
  },
  {
    name: 'logicalAnd / logicalOr broadcasting, select',
    run: () => {
      const a = tf.greater(randomTensor([64, 40, 65], 30), 0);
      const b = tf.less(randomTensor([64, 40, 1], 31), 0.2);
      const same = tf.less(randomTensor([64, 40, 65], 32), 0);
      return [
        tf.cast(tf.logicalAnd(a, b), 'float32'),
        tf.cast(tf.logicalOr(a, same), 'float32'),
        tf.where(a, randomTensor([64, 40, 65], 33), randomTensor([64, 40, 65], 34)),
      ];
    },
  },
  {
    name: 'sum over trailing, leading, middle and all axes',
    run: () => {
      const x = randomTensor([64, 40, 65], 40);
      return [x.sum(-1), x.sum([1, 2], true), x.sum(0), x.sum([0, 1]), x.sum(1), x.sum(), x.sum([0, 1, 2], true)];
    },
  },
  {
    name: 'div and max/min with zeros, NaN and Infinity',
    run: () => {
      const a = tf.tensor2d([[0, 1, -1, NaN, Infinity, 2]], [1, 6]).tile([50, 1]);
      const b = tf.tensor1d([0, 0, 0, 1, NaN, -Infinity]);
      return [tf.div(a, b), tf.maximum(a, b), tf.minimum(b, a)];
    },
  },
  {
    name: 'concat float32 along the last, a middle and the first axis, two and three parts',
    run: () => [
      tf.concat([randomTensor([32, 40, 128], 80), randomTensor([32, 40, 128], 81)], 2),
      tf.concat([randomTensor([4, 5, 6], 82), randomTensor([4, 3, 6], 83), randomTensor([4, 1, 6], 84)], 1),
      tf.concat([randomTensor([3, 2], 85), randomTensor([3, 5], 86)], -1),
      tf.concat([randomTensor([2, 3], 87), randomTensor([4, 3], 88)], 0),
    ],
  },
  {
    name: 'concat int32 and bool (masks), and with an empty part',
    run: () => [
      tf.concat([tf.range(0, 35, 1, 'int32').reshape([5, 7]), tf.range(100, 110, 1, 'int32').reshape([5, 2])], 1),
      tf.cast(tf.concat([tf.greater(randomTensor([32, 12, 256], 89), 0), tf.less(randomTensor([32, 12, 1], 90), 0)], 2), 'float32'),
      tf.concat([randomTensor([3, 4], 91), tf.zeros([3, 0]), randomTensor([3, 2], 92)], 1),
    ],
  },
  {
    name: 'cast float32 to bool incl. zero, -0, NaN, Infinity and denormals',
    run: () => {
      const x = tf.round(randomTensor([64, 40, 65], 93));
      const specials = tf.tensor1d([0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-45, 1]);
      return tf.cast(tf.cast(tf.concat([x.reshape([-1]), specials]), 'bool'), 'float32');
    },
  },
  { name: 'softmax [64,40,65]', run: () => tf.softmax(randomTensor([64, 40, 65], 1, 5)) },
  { name: 'softmax [3,7] extreme logits', run: () => tf.softmax(tf.mul(randomTensor([3, 7], 2), 80)) },
  { name: 'softmax [1,1]', run: () => tf.softmax(randomTensor([1, 1], 3)) },
  {
    name: 'softmax gradient [64,40,65], [3,7] with extreme logits and [1,1]',
    run: () =>
      ([[64, 40, 65], [3, 7], [1, 1]] as number[][]).map((shape, i) => {
        const logits = tf.mul(randomTensor(shape, 20 + i), i === 1 ? 80 : 3);
        const upstream = randomTensor(shape, 30 + i);
        return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), upstream)))(logits);
      }),
    // Where one probability is ~1, y * (dy - sum(dy * y)) cancels to a few ulps of dy in any float32 formula (tfjs's
    // and the native one are both ~2e-5 off a float64 evaluation there).
    tol: 2e-5,
  },
  { name: 'gather embedding rows', run: () => tf.gather(randomTensor([65, 32], 4), tf.randomUniform([64, 40], 0, 65, 'int32', 5)) },
  { name: 'gather 3-D params', run: () => tf.gather(randomTensor([10, 4, 3], 6), tf.tensor1d([9, 0, 3, 3, 1], 'int32')) },
  { name: 'gather along axis 1 (original kernel)', run: () => tf.gather(randomTensor([10, 4, 3], 7), tf.tensor1d([3, 0], 'int32'), 1) },
  { name: 'transpose [2560,32]', run: () => tf.transpose(randomTensor([2560, 32], 8)) },
  { name: 'transpose [4,5,6,7] perm 2,0,3,1', run: () => tf.transpose(randomTensor([4, 5, 6, 7], 9), [2, 0, 3, 1]) },
  { name: 'transpose identity', run: () => tf.transpose(randomTensor([6, 8], 10), [0, 1]) },
  {
    name: 'gradients through softmax, broadcasting ops and gather',
    run: () => {
      const table = randomTensor([20, 6], 11);
      const scale = randomTensor([1, 6], 12);
      const ids = tf.tensor2d([[1, 5, 19], [0, 5, 7]], [2, 3], 'int32');
      return tf.grads((t: tf.Tensor, s: tf.Tensor) => {
        const e = tf.gather(t, ids); // [2,3,6]
        const p = tf.softmax(tf.div(tf.mul(e, s), tf.add(s, 3)));
        return tf.sum(tf.squaredDifference(p, tf.transpose(e, [0, 1, 2])));
      })([table, scale]);
    },
  },
);

describe.skipIf(optedOut)('native elementwise kernels', () => {
  let expected: tf.Tensor[][];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    expectAddonLoaded();
    // Reference results from tfjs's own kernels, computed before the native ones are installed.
    expected = CASES.map((c) => [c.run()].flat());
    installNativeKernels(tf);
  });

  CASES.forEach((c, i) => {
    it(`matches tfjs: ${c.name}`, () => {
      const actual = [c.run()].flat();
      expect(actual.length).toBe(expected[i].length);
      actual.forEach((t, k) => {
        const e = expected[i][k];
        expect(t.dtype).toBe(e.dtype);
        const a = t.dataSync();
        const b = e.dataSync();
        // Non-finite values must match exactly; finite ones within float rounding.
        for (let j = 0; j < b.length; j++) {
          if (!Number.isFinite(b[j])) expect(a[j], `${c.name}[${j}]`).toBe(b[j]);
        }
        const finite = (x: tf.Tensor) => tf.where(tf.isFinite(x), x, tf.zerosLike(x));
        expectClose(finite(t), finite(e), c.tol ?? 2e-6, c.name);
      });
    });
  });

  it('rejects out-of-range gather indices', () => {
    expect(() => tf.gather(randomTensor([4, 3], 1), tf.tensor1d([1, 4], 'int32')).dataSync()).toThrow(/out of range|not in/);
  });

  it('shares data for an identity transpose, and frees it only when both tensors are disposed', () => {
    const before = tf.memory().numDataBuffers;
    const x = randomTensor([256, 800], 13);
    const y = tf.transpose(x, [0, 1]);
    expect(tf.memory().numDataBuffers).toBe(before + 1);
    const values = Array.from(x.dataSync());
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual(values);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
  });

  it('log is within 2e-7 of float64 log (absolute below 1, relative above) across every float magnitude', () => {
    const values = [
      ...Array.from({ length: 4000 }, (_, i) => Math.exp(-87 + (i / 3999) * 175.5)), // 1.6e-38 .. 3.3e38
      ...Array.from({ length: 2000 }, (_, i) => 0.5 + i / 1000), // mantissas on both sides of sqrt(2)
      1e-40, 1e-45, 3.4028234e38, 1.1754944e-38, 0, -1, Infinity, NaN,
    ];
    const x = Float32Array.from(values);
    const out = tf.log(tf.tensor1d(x)).dataSync();
    x.forEach((v, i) => {
      const exact = Math.log(v);
      if (!Number.isFinite(exact)) expect(out[i], `log(${v})`).toBe(exact);
      else expect(Math.abs(out[i] - exact), `log(${v})`).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(exact)));
    });
  });

  it('leaves int32 arithmetic to the original kernels', () => {
    const r = tf.add(tf.ones([64, 40, 1], 'int32'), tf.ones([1, 1, 65], 'int32'));
    expect(r.dtype).toBe('int32');
    expect(r.sum().dataSync()[0]).toBe(2 * 64 * 40 * 65);
  });
});
