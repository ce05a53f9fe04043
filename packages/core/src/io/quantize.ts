import * as tf from '@tensorflow/tfjs';
import { RnnkitError } from '../errors.js';

/**
 * Weight quantization in tfjs's own weights-manifest format, so that any tfjs loader (`tf.loadLayersModel`,
 * `tf.io.decodeWeights`, and therefore rnnkit's loaders) dequantizes the weights without rnnkit:
 *
 *   float16  entry { dtype: 'float32', quantization: { dtype: 'float16' } }, 2 bytes per value (IEEE half).
 *   uint8    entry { dtype: 'float32', quantization: { dtype: 'uint8', scale, min } }, 1 byte per value;
 *            tfjs decodes byte q as q * scale + min (one affine map per weight tensor).
 *
 * Node-free: the web export runs it in Node, and a page could quantize too.
 */

export const QUANTIZATIONS = ['none', 'float16', 'uint8'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** Largest finite IEEE half value. */
export const FLOAT16_MAX = 65504;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The IEEE half (binary16) bits of a number, rounded to nearest, ties to even, like a hardware conversion:
 * subnormal halves are produced, values beyond ±65504 (after rounding) become ±Infinity, NaN stays NaN.
 */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  // The half exponent of this value; <= 0 means the result is subnormal (or zero).
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // value = M * 2^(exponent - 150) with the implicit bit in M; a half subnormal is m * 2^-24, so m = M >> (14 - e).
    const shift = 14 - e;
    if (shift > 24) return sign; // below half of the smallest subnormal: rounds to zero
    const full = mantissa | 0x800000;
    let half = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  return sign | half;
}

/** float32 values as half bits; a value whose half would be infinite is refused, naming the weight. */
export function encodeFloat16(values: Float32Array, name: string): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const h = float16Bits(values[i]);
    if ((h & 0x7c00) === 0x7c00 && Number.isFinite(values[i])) {
      throw new RnnkitError(
        `weight "${name}": element ${i} is ${values[i]}, beyond float16's range (±${FLOAT16_MAX}); use --quantize uint8 or none`,
      );
    }
    out[i] = h;
  }
  return out;
}

/** uint8 codes of a weight tensor with the affine map tfjs decodes them with. */
export interface Uint8Quantized {
  codes: Uint8Array;
  scale: number;
  min: number;
}

/**
 * Per-tensor affine uint8 quantization over the tensor's [min, max]. When the range spans zero, `min` is moved onto
 * the grid so that 0 is a code exactly: zero biases, padding embeddings and pruned weights stay exactly zero, which
 * matters more than the half step of range that the shift can cost at the top (those values are clamped to 255).
 */
export function quantizeUint8(values: Float32Array): Uint8Quantized {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const codes = new Uint8Array(values.length);
  if (values.length === 0) return { codes, scale: 1, min: 0 };
  if (!(hi > lo)) return { codes, scale: 1, min: lo }; // constant tensor: every code 0 decodes to the constant
  const scale = (hi - lo) / 255;
  // tfjs decodes in doubles (q * scale + min), so the zero code z decodes to z * scale - z * scale = 0 exactly.
  const min = lo < 0 && hi > 0 ? -Math.round(-lo / scale) * scale : lo;
  for (let i = 0; i < values.length; i++) {
    const q = Math.round((values[i] - min) / scale);
    codes[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { codes, scale, min };
}

/**
 * Re-encodes a weights manifest's data with `mode`: float32 weights are quantized (or, with 'none', written as plain
 * float32, which also undoes an earlier quantization); other dtypes are copied as they are. Returns the new
 * manifest entries (same names, shapes and order) and the bytes, concatenated in that order.
 */
export function quantizeWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  mode: Quantization,
): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const decoded = tf.io.decodeWeights(data, specs);
  try {
    const parts: Uint8Array[] = [];
    const outSpecs: tf.io.WeightsManifestEntry[] = [];
    for (const spec of specs) {
      const tensor = decoded[spec.name];
      const base: tf.io.WeightsManifestEntry = { name: spec.name, shape: spec.shape, dtype: spec.dtype };
      if (spec.dtype === 'string' || spec.dtype === 'complex64') {
        throw new RnnkitError(`weight "${spec.name}": dtype ${spec.dtype} cannot be exported (rnnkit models hold float32, int32 and bool weights)`);
      }
      if (spec.dtype !== 'float32' || mode === 'none') {
        // int32/bool are written as they are; float32 with 'none' becomes plain float32 again.
        const values = tensor.dataSync() as Float32Array | Int32Array | Uint8Array;
        const bytes = spec.dtype === 'bool' ? Uint8Array.from(values) : new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
        outSpecs.push(base);
        parts.push(bytes);
        continue;
      }
      const values = tensor.dataSync() as Float32Array;
      if (mode === 'float16') {
        const half = encodeFloat16(values, spec.name);
        outSpecs.push({ ...base, quantization: { dtype: 'float16' } });
        parts.push(new Uint8Array(half.buffer));
      } else {
        const { codes, scale, min } = quantizeUint8(values);
        outSpecs.push({ ...base, quantization: { dtype: 'uint8', scale, min } });
        parts.push(codes);
      }
    }
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.byteLength;
    }
    return { specs: outSpecs, data: out };
  } finally {
    tf.dispose(Object.values(decoded));
  }
}
