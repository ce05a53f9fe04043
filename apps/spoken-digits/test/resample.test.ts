import { describe, expect, it } from 'vitest';
import { powerSpectrum, resample, resampleDirect } from '../src/index.js';
import { argmax, tone } from './signals.js';

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

describe('resample', () => {
  it('48 kHz → 8 kHz keeps a 1 kHz tone at 1 kHz, at its level, with the length scaled', () => {
    const out = resample(tone(1000, 1, 48_000), 48_000, 8000);
    expect(out.length).toBe(8000);
    const mid = out.subarray(2000, 2256);
    expect(argmax(powerSpectrum(mid, 256))).toBe(32);
    expect(rms(out.subarray(500, 7500))).toBeCloseTo(0.5 / Math.SQRT2, 2);
    // Sample by sample against the ideal 8 kHz tone (away from the edges, where the kernel is cut).
    const ideal = tone(1000, 1, 8000);
    let maxErr = 0;
    for (let i = 200; i < 7800; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - ideal[i]));
    expect(maxErr).toBeLessThan(0.01);
  });

  it('removes what the lower rate cannot carry instead of aliasing it (6 kHz at 48 kHz → 8 kHz)', () => {
    const out = resample(tone(6000, 1, 48_000), 48_000, 8000);
    // Plain decimation would fold 6 kHz onto 2 kHz at full level.
    expect(rms(out.subarray(500, 7500))).toBeLessThan(0.01);
  });

  it('upsamples 8 kHz → 44.1 kHz and back close to the original; same rate is a copy; bad rates are refused', () => {
    const x = tone(440, 0.5, 8000);
    const back = resample(resample(x, 8000, 44_100), 44_100, 8000);
    let maxErr = 0;
    for (let i = 200; i < back.length - 200; i++) maxErr = Math.max(maxErr, Math.abs(back[i] - x[i]));
    expect(maxErr).toBeLessThan(0.01);
    const same = resample(x, 8000, 8000);
    expect(same).toEqual(x);
    expect(same).not.toBe(x);
    expect(() => resample(x, 0, 8000)).toThrow('resample: fromRate must be a positive number, got 0');
  });

  it('tabulating the kernel per phase gives the sums of computing every tap (the rates a microphone and a WAV file have)', () => {
    // A signal with every frequency in it: a seeded chirp plus clicks.
    const x = Float32Array.from({ length: 9000 }, (_, i) => 0.4 * Math.sin(1e-5 * i * i) + (i % 997 === 0 ? 0.5 : 0));
    for (const [from, to] of [[44_100, 8000], [48_000, 8000], [8000, 44_100], [8000, 48_000], [22_050, 8000], [16_000, 8000]]) {
      const fast = resample(x, from, to);
      const slow = resampleDirect(x, from, to);
      expect(fast.length).toBe(slow.length);
      let maxErr = 0;
      for (let i = 0; i < fast.length; i++) maxErr = Math.max(maxErr, Math.abs(fast[i] - slow[i]));
      expect(maxErr, `${from} → ${to}`).toBeLessThan(1e-6);
    }
    // Rates without a useful common divisor take the direct path.
    expect(resample(x, 44_101, 8000)).toEqual(resampleDirect(x, 44_101, 8000));
  });
});
