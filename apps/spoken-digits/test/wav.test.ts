import { describe, expect, it } from 'vitest';
import * as wavefileModule from 'wavefile';
import { decodeWav, encodeWav, s16leToFloat } from '../src/index.js';
import { tone } from './signals.js';

type WaveFileClass = typeof wavefileModule.WaveFile;
const WaveFile: WaveFileClass = (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile
  ?? (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

describe('wav', () => {
  it('16-bit PCM round-trips through encode and decode', () => {
    const x = tone(440, 0.1, 8000);
    const audio = decodeWav(encodeWav(x, 8000), 'tone.wav');
    expect(audio.sampleRate).toBe(8000);
    expect(audio.samples.length).toBe(800);
    audio.samples.forEach((v, i) => expect(Math.abs(v - x[i])).toBeLessThan(1e-4));
  });

  it('reads 8-bit and 24-bit PCM and averages stereo channels', () => {
    const w8 = new WaveFile();
    w8.fromScratch(1, 16_000, '8', [128, 255, 0, 192]);
    expect(Array.from(decodeWav(w8.toBuffer(), 'a.wav').samples)).toEqual([0, 127 / 128, -1, 0.5]);
    const w24 = new WaveFile();
    w24.fromScratch(2, 44_100, '24', [4_194_304, 0, -8_388_608, -8_388_608]);
    const stereo = decodeWav(w24.toBuffer(), 'b.wav');
    expect(stereo.sampleRate).toBe(44_100);
    expect(Array.from(stereo.samples)).toEqual([0.25, -1]);
  });

  it('refuses float, compressed and broken files naming the file', () => {
    const float = new WaveFile();
    float.fromScratch(1, 8000, '32f', [0.1, -0.2]);
    expect(() => decodeWav(float.toBuffer(), 'float.wav')).toThrow(/^float\.wav: WAV format tag 3 is not supported; only integer PCM/);
    const mulaw = new WaveFile();
    mulaw.fromScratch(1, 8000, '16', [1, 2, 3, 4]);
    mulaw.toMuLaw();
    expect(() => decodeWav(mulaw.toBuffer(), 'mulaw.wav')).toThrow(/^mulaw\.wav: WAV format tag 7 is not supported/);
    expect(() => decodeWav(new TextEncoder().encode('not a wav at all'), 'text.wav')).toThrow(/^text\.wav: not a readable WAV file/);
    const truncated = encodeWav(tone(440, 0.1, 8000), 8000).slice(0, 30);
    expect(() => decodeWav(truncated, 'cut.wav')).toThrow(/^cut\.wav: /);
  });

  it('raw S16LE bytes become samples in [-1, 1); an odd last byte is left out', () => {
    const bytes = new Uint8Array([0x00, 0x80, 0xff, 0x7f, 0x00, 0x40, 0x12]);
    expect(Array.from(s16leToFloat(bytes))).toEqual([-1, 32767 / 32768, 0.5]);
  });
});
