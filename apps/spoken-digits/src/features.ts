import FFT from 'fft.js';
import { z } from 'zod';
import { RnnkitError } from '@rnnkit/core/browser';

/**
 * Acoustic features (browser-safe): samples → overlapping frames → Hamming window → power spectrum (fft.js) →
 * triangular mel filterbank → log → orthonormal DCT-II (MFCCs) → plus their deltas. The same code runs in Node
 * (training, `predict`) and in the web page, so the model sees the same numbers from the same audio.
 */

export const featureConfigSchema = z.strictObject({
  sampleRate: z.number().int().min(1000).max(96_000),
  /** Samples per analysis frame (25 ms at 8 kHz). */
  frameLength: z.number().int().min(16).max(8192),
  /** Samples between frame starts (10 ms at 8 kHz). */
  hop: z.number().int().min(1).max(8192),
  fftSize: z.number().int().min(16).max(16_384).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
  numMel: z.number().int().min(2).max(256),
  numCeps: z.number().int().min(1).max(256),
  lowHz: z.number().min(0),
  highHz: z.number().gt(0),
  preemphasis: z.number().min(0).max(1),
  /** Longer utterances are cut to their first maxFrames frames. */
  maxFrames: z.number().int().min(1).max(100_000),
}).refine((c) => c.fftSize >= c.frameLength, { message: 'fftSize must be at least frameLength', path: ['fftSize'] })
  .refine((c) => c.numCeps <= c.numMel, { message: 'numCeps must be at most numMel', path: ['numCeps'] })
  .refine((c) => c.lowHz < c.highHz && c.highHz <= c.sampleRate / 2, { message: 'need lowHz < highHz <= sampleRate / 2', path: ['highHz'] });
export type FeatureConfig = z.output<typeof featureConfigSchema>;

export const DEFAULT_FEATURES: FeatureConfig = {
  sampleRate: 8000, frameLength: 200, hop: 80, fftSize: 256, numMel: 40, numCeps: 13, lowHz: 20, highHz: 4000, preemphasis: 0.97, maxFrames: 200,
};

/** Features per frame: the MFCCs and their deltas. */
export const featureDim = (cfg: FeatureConfig): number => 2 * cfg.numCeps;

/** A [frames, dim] matrix, row-major. */
export interface FeatureMatrix {
  data: Float32Array;
  frames: number;
  dim: number;
}

const hzToMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

/** The mel filterbank: numMel triangles over the fftSize/2+1 power bins, as rows of weights. */
export function melFilterbank(cfg: Pick<FeatureConfig, 'sampleRate' | 'fftSize' | 'numMel' | 'lowHz' | 'highHz'>): Float32Array[] {
  const bins = cfg.fftSize / 2 + 1;
  const lo = hzToMel(cfg.lowHz);
  const hi = hzToMel(cfg.highHz);
  const edges = Array.from({ length: cfg.numMel + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (cfg.numMel + 1)));
  const binHz = cfg.sampleRate / cfg.fftSize;
  return Array.from({ length: cfg.numMel }, (_, m) => {
    const [left, center, right] = [edges[m], edges[m + 1], edges[m + 2]];
    const row = new Float32Array(bins);
    for (let k = 0; k < bins; k++) {
      const f = k * binHz;
      if (f > left && f < right) row[k] = f <= center ? (f - left) / (center - left) : (right - f) / (right - center);
    }
    return row;
  });
}

/** The orthonormal DCT-II matrix [numCeps][numMel] (rows are orthonormal: D Dᵀ = I). */
export function dctMatrix(numCeps: number, numMel: number): Float32Array[] {
  return Array.from({ length: numCeps }, (_, k) => {
    const s = Math.sqrt((k === 0 ? 1 : 2) / numMel);
    return Float32Array.from({ length: numMel }, (_, m) => s * Math.cos((Math.PI * k * (m + 0.5)) / numMel));
  });
}

export function hammingWindow(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1)));
}

/** Number of frames of `length` samples (at least one: a short sound is zero-padded to one frame). */
export function frameCount(length: number, frameLength: number, hop: number): number {
  return length <= frameLength ? 1 : 1 + Math.floor((length - frameLength) / hop);
}

/** Power spectrum |X_k|² / N of one frame, k = 0 … N/2 (zero-padded to fftSize). */
export function powerSpectrum(frame: Float32Array, fftSize: number, fft = new FFT(fftSize)): Float32Array {
  const input = new Array<number>(fftSize).fill(0);
  for (let i = 0; i < Math.min(frame.length, fftSize); i++) input[i] = frame[i];
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, input);
  const bins = fftSize / 2 + 1;
  const power = new Float32Array(bins);
  for (let k = 0; k < bins; k++) power[k] = (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / fftSize;
  return power;
}

/** Delta coefficients by linear regression over ±2 frames (edges repeat the first/last frame). */
function deltas(ceps: Float32Array[], numCeps: number): Float32Array[] {
  const n = ceps.length;
  const at = (t: number) => ceps[Math.min(n - 1, Math.max(0, t))];
  return ceps.map((_, t) => {
    const d = new Float32Array(numCeps);
    for (let j = 0; j < numCeps; j++) d[j] = (at(t + 1)[j] - at(t - 1)[j] + 2 * (at(t + 2)[j] - at(t - 2)[j])) / 10;
    return d;
  });
}

/** The reusable parts of a feature extractor (filterbank, DCT, window, FFT plan) for one config. */
export class FeatureExtractor {
  readonly cfg: FeatureConfig;
  private readonly filters: Float32Array[];
  private readonly dct: Float32Array[];
  private readonly window: Float32Array;
  private readonly fft: FFT;

  constructor(cfg: FeatureConfig) {
    const parsed = featureConfigSchema.safeParse(cfg);
    if (!parsed.success) throw new RnnkitError(`feature config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.cfg = parsed.data;
    this.filters = melFilterbank(cfg);
    this.dct = dctMatrix(cfg.numCeps, cfg.numMel);
    this.window = hammingWindow(cfg.frameLength);
    this.fft = new FFT(cfg.fftSize);
  }

  /** Log-mel energies [frames][numMel] of samples at cfg.sampleRate (peak-normalized first: levels vary a lot). */
  logMel(samples: Float32Array): Float32Array[] {
    const { frameLength, hop, fftSize, maxFrames, preemphasis } = this.cfg;
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    const gain = peak > 1e-6 ? 1 / peak : 1;
    const frames = Math.min(maxFrames, frameCount(samples.length, frameLength, hop));
    const out: Float32Array[] = [];
    const frame = new Float32Array(frameLength);
    for (let f = 0; f < frames; f++) {
      const start = f * hop;
      for (let i = 0; i < frameLength; i++) {
        const j = start + i;
        const x = j < samples.length ? samples[j] : 0;
        const prev = j - 1 >= 0 && j - 1 < samples.length ? samples[j - 1] : 0;
        frame[i] = (x - preemphasis * prev) * gain * this.window[i];
      }
      const power = powerSpectrum(frame, fftSize, this.fft);
      out.push(Float32Array.from(this.filters, (w) => {
        let e = 0;
        for (let k = 0; k < w.length; k++) e += w[k] * power[k];
        return Math.log(Math.max(e, 1e-10));
      }));
    }
    return out;
  }

  /** MFCCs and deltas [frames, 2 * numCeps] of samples at cfg.sampleRate. */
  features(samples: Float32Array): FeatureMatrix {
    if (samples.length === 0) throw new RnnkitError('features: no samples');
    const { numCeps } = this.cfg;
    const ceps = this.logMel(samples).map((mel) => Float32Array.from(this.dct, (row) => {
      let c = 0;
      for (let m = 0; m < row.length; m++) c += row[m] * mel[m];
      return c;
    }));
    const d = deltas(ceps, numCeps);
    const dim = 2 * numCeps;
    const data = new Float32Array(ceps.length * dim);
    ceps.forEach((c, t) => {
      data.set(c, t * dim);
      data.set(d[t], t * dim + numCeps);
    });
    return { data, frames: ceps.length, dim };
  }
}

/** Per-feature standardization fitted on the training frames only (mean and std per column). */
export const normalizationSchema = z.strictObject({
  mean: z.array(z.number()).min(1).max(512),
  std: z.array(z.number().gt(0)).min(1).max(512),
}).refine((n) => n.mean.length === n.std.length, { message: 'mean and std must have the same length', path: ['std'] });
export type Normalization = z.output<typeof normalizationSchema>;

/** A normalized copy of a feature matrix. */
export function normalize(m: FeatureMatrix, norm: Normalization): FeatureMatrix {
  if (norm.mean.length !== m.dim) throw new RnnkitError(`normalization has ${norm.mean.length} features but the features have ${m.dim}`);
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < data.length; i++) {
    const j = i % m.dim;
    data[i] = (m.data[i] - norm.mean[j]) / norm.std[j];
  }
  return { data, frames: m.frames, dim: m.dim };
}
