import { RnnkitError } from '@rnnkit/core/errors';

/**
 * Sample-rate conversion by windowed-sinc interpolation: every output sample is a Hann-windowed sinc sum over the
 * input around its time, with the cutoff at the lower of the two Nyquist frequencies (times `ROLLOFF`), so a
 * downsampled signal has no aliasing of what the lower rate cannot carry. One implementation for Node (a user's
 * 44.1 kHz WAV) and the browser (the microphone's 48 kHz), so both give the model the same samples.
 */

/** Zero crossings of the sinc on each side, at the cutoff frequency. */
const HALF_ZEROS = 16;
/** Cutoff as a fraction of the lower Nyquist frequency: leaves room for the window's transition band. */
const ROLLOFF = 0.92;

/** Beyond this many kernel phases (rates with a small common divisor) the taps are computed as they are needed. */
const MAX_PHASES = 1024;

/** The Hann-windowed sinc kernel at distance `d` input samples from the output time. */
function tap(d: number, cutoff: number, halfWidth: number): number {
  const x = 2 * cutoff * d;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  return 2 * cutoff * sinc * (0.5 + 0.5 * Math.cos((Math.PI * d) / halfWidth));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

interface Plan {
  outLength: number;
  /** Cutoff in cycles per input sample; the kernel is stretched when downsampling. */
  cutoff: number;
  halfWidth: number;
}

function plan(input: Float32Array, fromRate: number, toRate: number): Plan {
  for (const [name, r] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (!Number.isFinite(r) || r <= 0) throw new RnnkitError(`resample: ${name} must be a positive number, got ${r}`);
  }
  const ratio = toRate / fromRate;
  const cutoff = (ROLLOFF * Math.min(1, ratio)) / 2;
  return { outLength: Math.floor(input.length * ratio), cutoff, halfWidth: HALF_ZEROS / (2 * cutoff) };
}

export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  const p = plan(input, fromRate, toRate);
  if (fromRate === toRate) return input.slice();
  const g = Number.isInteger(fromRate) && Number.isInteger(toRate) ? gcd(fromRate, toRate) : 0;
  return g > 0 && toRate / g <= MAX_PHASES ? resampleByPhase(input, fromRate / g, toRate / g, p) : resampleDirect(input, fromRate, toRate);
}

/** The same conversion with every tap computed where it is used: any pair of rates (and the reference in tests). */
export function resampleDirect(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  const { outLength, cutoff, halfWidth } = plan(input, fromRate, toRate);
  const ratio = toRate / fromRate;
  const out = new Float32Array(outLength);
  for (let n = 0; n < outLength; n++) {
    const t = n / ratio;
    const lo = Math.max(0, Math.ceil(t - halfWidth));
    const hi = Math.min(input.length - 1, Math.floor(t + halfWidth));
    let acc = 0;
    for (let k = lo; k <= hi; k++) acc += input[k] * tap(t - k, cutoff, halfWidth);
    out[n] = acc;
  }
  return out;
}

/**
 * The same sums with the kernel tabulated: for integer rates the output times fall on `phases` = toRate / gcd
 * distinct fractions of an input sample, cycling, so each phase's taps are computed once (at 48 → 8 kHz there is one
 * phase; at 44.1 → 8 kHz, 80) instead of a sine and a cosine per tap and output sample.
 */
function resampleByPhase(input: Float32Array, step: number, phases: number, { outLength, cutoff, halfWidth }: Plan): Float32Array {
  // `step` and `phases` are the two rates divided by their gcd: output n = q·phases + p sits at input time
  // q·step + (p·step) / phases, so `step` input samples pass per cycle of `phases` outputs.
  const kernels = Array.from({ length: phases }, (_, p) => {
    const base = Math.floor((p * step) / phases);
    const frac = ((p * step) % phases) / phases;
    const first = Math.ceil(frac - halfWidth);
    const last = Math.floor(frac + halfWidth);
    return { base, first, weights: Float64Array.from({ length: last - first + 1 }, (_, j) => tap(frac - (first + j), cutoff, halfWidth)) };
  });
  const out = new Float32Array(outLength);
  for (let n = 0; n < outLength; n++) {
    const p = n % phases;
    const { base, first, weights } = kernels[p];
    const origin = ((n - p) / phases) * step + base + first;
    const from = Math.max(0, -origin);
    const to = Math.min(weights.length, input.length - origin);
    let acc = 0;
    for (let j = from; j < to; j++) acc += input[origin + j] * weights[j];
    out[n] = acc;
  }
  return out;
}
