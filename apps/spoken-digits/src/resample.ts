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

export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  for (const [name, r] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (!Number.isFinite(r) || r <= 0) throw new RnnkitError(`resample: ${name} must be a positive number, got ${r}`);
  }
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const outLength = Math.floor(input.length * ratio);
  const out = new Float32Array(outLength);
  // Cutoff in cycles per input sample; the kernel is stretched when downsampling.
  const cutoff = (ROLLOFF * Math.min(1, ratio)) / 2;
  const halfWidth = HALF_ZEROS / (2 * cutoff);
  for (let n = 0; n < outLength; n++) {
    const t = n / ratio;
    const lo = Math.max(0, Math.ceil(t - halfWidth));
    const hi = Math.min(input.length - 1, Math.floor(t + halfWidth));
    let acc = 0;
    for (let k = lo; k <= hi; k++) {
      const d = t - k;
      const x = 2 * cutoff * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * d) / halfWidth);
      acc += input[k] * 2 * cutoff * sinc * window;
    }
    out[n] = acc;
  }
  return out;
}
