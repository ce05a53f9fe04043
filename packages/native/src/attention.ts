// Additive (Bahdanau) attention scores as one differentiable op:
//   scores[b, t, s] = sum_u scoreVector[u] * tanh(query[b, t, u] + keys[b, s, u])
// Written with tf ops this broadcasts query and keys to a [B, Tq, S, U] tensor, takes its tanh and
// multiplies by the score vector; its gradient adds several more tensors of that size. The native
// op never materializes it, in the forward pass or in the gradient, which recomputes the tanh:
// saving it would be ~0.5 ms faster per seq2seq-attn step but hold B*Tq*S*U floats from the
// forward to the backward pass (16 MB there, growing with every dimension).
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.js';
import { registerCpuOp, type GradientMap, type KernelArgs } from './cpu-op.js';
import { cpuBackend, float32Of } from './tensor-data.js';

const KERNEL = 'RnnkitAdditiveAttentionScores';

interface ScoreInputs<T> {
  query: T;
  keys: T;
  scoreVector: T;
}

const INPUT_NAMES: (keyof ScoreInputs<unknown>)[] = ['query', 'keys', 'scoreVector'];

/** Shape arguments of the native calls: B, Tq, S, U. */
function dims({ query, keys }: ScoreInputs<tf.TensorInfo>): [number, number, number, number] {
  const [B, Tq, U] = query.shape;
  return [B, Tq, keys.shape[1], U];
}

function scoresKernel({ inputs, backend: rawBackend }: KernelArgs): tf.TensorInfo {
  const { query, keys, scoreVector } = inputs as unknown as ScoreInputs<tf.TensorInfo>;
  const backend = cpuBackend(rawBackend);
  const [B, Tq, S, U] = dims({ query, keys, scoreVector });
  const scores = addon().additiveScores(
    float32Of(query, backend), float32Of(keys, backend), float32Of(scoreVector, backend), B, Tq, S, U,
  );
  return backend.makeTensorInfo([B, Tq, S], 'float32', scores);
}

// The gradient is a kernel of its own (never differentiated) so that tf.profile lists and times it by name.
const GRAD_KERNEL = 'RnnkitAdditiveAttentionScoresGrad';

function scoresGradKernel({ inputs, backend: rawBackend }: KernelArgs): tf.TensorInfo[] {
  const { query, keys, scoreVector, dy } = inputs as unknown as ScoreInputs<tf.TensorInfo> & { dy: tf.TensorInfo };
  const backend = cpuBackend(rawBackend);
  const [B, Tq, S, U] = dims({ query, keys, scoreVector });
  const g = addon().additiveScoresBackward(
    float32Of(query, backend), float32Of(keys, backend), float32Of(scoreVector, backend), B, Tq, S, U,
    float32Of(dy, backend),
  );
  return [
    backend.makeTensorInfo([B, Tq, U], 'float32', g.dq),
    backend.makeTensorInfo([B, S, U], 'float32', g.dk),
    backend.makeTensorInfo([U], 'float32', g.dv),
  ];
}

function scoresGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): GradientMap {
  const [query, keys, scoreVector] = saved; // in the order of INPUT_NAMES
  const [dq, dk, dv] = tf.engine().runKernel(GRAD_KERNEL, { query, keys, scoreVector, dy: dy as tf.Tensor }) as tf.Tensor[];
  return { query: () => dq, keys: () => dk, scoreVector: () => dv };
}

function checkShapes(query: tf.Tensor, keys: tf.Tensor, scoreVector: tf.Tensor): void {
  const U = query.shape[2];
  const ok = query.rank === 3 && keys.rank === 3 && scoreVector.rank === 1 &&
    keys.shape[0] === query.shape[0] && keys.shape[2] === U && scoreVector.shape[0] === U;
  if (!ok) {
    throw new Error(`additiveAttentionScores: expected query [B, Tq, U], keys [B, S, U] and scoreVector [U], got ` +
      `[${query.shape}], [${keys.shape}] and [${scoreVector.shape}]`);
  }
  for (const [name, t] of [['query', query], ['keys', keys], ['scoreVector', scoreVector]] as const) {
    if (t.dtype !== 'float32') throw new Error(`additiveAttentionScores: ${name} must be float32, got ${t.dtype}`);
  }
}

/**
 * Unnormalized additive attention scores [B, Tq, S] of projected queries [B, Tq, U] (bias included)
 * against projected keys [B, S, U], with gradients for all three inputs. Requires the cpu backend
 * and the native addon.
 */
export function additiveAttentionScores(query: tf.Tensor, keys: tf.Tensor, scoreVector: tf.Tensor): tf.Tensor3D {
  addon();
  checkShapes(query, keys, scoreVector);
  if (tf.getBackend() !== 'cpu') throw new Error(`additiveAttentionScores needs the cpu backend (current: ${tf.getBackend()})`);
  registerCpuOp(KERNEL, scoresKernel, { inputsToSave: INPUT_NAMES, gradFunc: scoresGradient });
  registerCpuOp(GRAD_KERNEL, scoresGradKernel, null);
  const inputs: ScoreInputs<tf.Tensor> = { query, keys, scoreVector };
  return tf.engine().runKernel(KERNEL, inputs as unknown as tf.NamedTensorMap) as tf.Tensor3D;
}
