import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FEATURES, FeatureExtractor, dctMatrix, frameCount, hammingWindow, melFilterbank, normalize, powerSpectrum,
} from '../src/index.js';
import { argmax, tone } from './signals.js';

describe('features', () => {
  it('a pure tone puts its power in the FFT bin of its frequency', () => {
    // 1000 Hz at 8 kHz with a 256-point FFT: bin 1000 / (8000 / 256) = 32 exactly.
    const frame = tone(1000, 256 / 8000, 8000);
    const p = powerSpectrum(frame, 256);
    expect(p.length).toBe(129);
    expect(argmax(p)).toBe(32);
    // Parseval: the one-sided power of an on-bin sinusoid of amplitude A is A² N / 4 in its bin.
    expect(p[32]).toBeCloseTo((0.25 * 256) / 4, 3);
    expect(p[20]).toBeLessThan(1e-6);
    // 440 Hz falls between bins 14 and 15 (14.08): the peak is the nearer one.
    expect(argmax(powerSpectrum(tone(440, 256 / 8000, 8000), 256))).toBe(14);
  });

  it('the DCT-II matrix has orthonormal rows and its known first values', () => {
    const d = dctMatrix(13, 40);
    for (let i = 0; i < 13; i++) {
      for (let j = 0; j < 13; j++) {
        let dot = 0;
        for (let m = 0; m < 40; m++) dot += d[i][m] * d[j][m];
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
    expect(d[0][0]).toBeCloseTo(Math.sqrt(1 / 40), 6);
    expect(d[1][0]).toBeCloseTo(Math.sqrt(2 / 40) * Math.cos(Math.PI / 80), 6);
  });

  it('the mel filters are triangles that peak in order across the band and sum to about 1 in between', () => {
    const f = melFilterbank(DEFAULT_FEATURES);
    expect(f.length).toBe(40);
    const peaks = f.map((row) => argmax(row));
    for (let i = 1; i < peaks.length; i++) expect(peaks[i]).toBeGreaterThanOrEqual(peaks[i - 1]);
    f.forEach((row) => row.forEach((w) => expect(w).toBeGreaterThanOrEqual(0)));
    // Adjacent triangles overlap to a partition of unity between the first and last centers.
    const sum = (k: number) => f.reduce((s, row) => s + row[k], 0);
    for (const k of [20, 40, 64, 100]) expect(sum(k)).toBeCloseTo(1, 4);
  });

  it('frames: 25 ms windows every 10 ms, at least one; the Hamming window has its textbook ends and middle', () => {
    expect(frameCount(8000, 200, 80)).toBe(98);
    expect(frameCount(100, 200, 80)).toBe(1);
    const w = hammingWindow(201);
    expect(w[0]).toBeCloseTo(0.08, 6);
    expect(w[100]).toBeCloseTo(1, 6);
  });

  it('log-mel of a tone peaks in the filter around its frequency, whatever its level', () => {
    const fx = new FeatureExtractor(DEFAULT_FEATURES);
    const loud = fx.logMel(tone(1000, 0.3, 8000, 0.9));
    const quiet = fx.logMel(tone(1000, 0.3, 8000, 0.01));
    const centers = melFilterbank(DEFAULT_FEATURES).map((row) => argmax(row) * (8000 / 256));
    const peak = argmax(loud[10]);
    expect(Math.abs(centers[peak] - 1000)).toBeLessThan(100);
    // Peak normalization: the level does not change the features.
    loud[10].forEach((v, i) => expect(v).toBeCloseTo(quiet[10][i], 3));
  });

  it('features are [frames, 2 × numCeps], deterministic, cut at maxFrames; normalize uses the given statistics', () => {
    const fx = new FeatureExtractor({ ...DEFAULT_FEATURES, maxFrames: 50 });
    const a = fx.features(tone(700, 0.5, 8000));
    expect([a.frames, a.dim]).toEqual([48, 26]);
    expect(fx.features(tone(700, 0.5, 8000)).data).toEqual(a.data);
    expect(fx.features(tone(700, 2, 8000)).frames).toBe(50);
    const n = normalize(a, { mean: Array(26).fill(1), std: Array(26).fill(2) });
    expect(n.data[5]).toBeCloseTo((a.data[5] - 1) / 2, 6);
    expect(() => normalize(a, { mean: [0], std: [1] })).toThrow('normalization has 1 features but the features have 26');
    expect(() => new FeatureExtractor({ ...DEFAULT_FEATURES, fftSize: 100 })).toThrow(/fftSize: must be a power of two/);
  });
});
