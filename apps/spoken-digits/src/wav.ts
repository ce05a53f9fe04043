import * as wavefileModule from 'wavefile';
import { RnnkitError } from '@rnnkit/core/errors';

// Node loads wavefile's CommonJS build, whose exports its module lexer cannot see (the class is on `default`);
// bundlers for the page load its ES module (a named export). One constructor for both.
type WaveFileClass = typeof wavefileModule.WaveFile;
const WaveFile: WaveFileClass = (wavefileModule as { WaveFile?: WaveFileClass }).WaveFile
  ?? (wavefileModule as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile;

/**
 * WAV decoding through `wavefile` (browser-safe: bytes in, samples out). Only integer PCM (format tag 1, 8–32 bits)
 * is accepted: the dataset is 16-bit PCM and a compressed or float file would need a decoder we do not ship, so
 * anything else is refused naming the file and what it is.
 */

/** The largest WAV read (about 10 minutes of 48 kHz 16-bit stereo); bounded before parsing. */
export const MAX_WAV_BYTES = 128 * 1024 * 1024;

export interface Audio {
  /** Mono samples in [-1, 1] (channels averaged). */
  samples: Float32Array;
  sampleRate: number;
}

interface WavFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
}

export function decodeWav(bytes: Uint8Array, source: string): Audio {
  if (bytes.length > MAX_WAV_BYTES) throw new RnnkitError(`${source}: ${bytes.length} bytes is more than the ${MAX_WAV_BYTES}-byte limit for a WAV file`);
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new RnnkitError(`${source}: not a readable WAV file (${(err as Error).message})`);
  }
  const fmt = wav.fmt as WavFmt;
  if (fmt.audioFormat !== 1) {
    throw new RnnkitError(`${source}: WAV format tag ${fmt.audioFormat} is not supported; only integer PCM (tag 1) is read, e.g. convert with \`sox in.wav -e signed -b 16 out.wav\``);
  }
  if (![8, 16, 24, 32].includes(fmt.bitsPerSample)) throw new RnnkitError(`${source}: ${fmt.bitsPerSample}-bit PCM is not supported (8, 16, 24 or 32 bits)`);
  if (!Number.isInteger(fmt.sampleRate) || fmt.sampleRate < 1000 || fmt.sampleRate > 384_000) {
    throw new RnnkitError(`${source}: sample rate ${fmt.sampleRate} Hz is outside 1000…384000`);
  }
  if (!Number.isInteger(fmt.numChannels) || fmt.numChannels < 1 || fmt.numChannels > 32) throw new RnnkitError(`${source}: ${fmt.numChannels} channels is not supported`);
  // wavefile returns integers (unsigned for 8-bit) interleaved across channels.
  const raw = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const channels = fmt.numChannels;
  const frames = Math.floor(raw.length / channels);
  if (frames === 0) throw new RnnkitError(`${source}: the WAV file has no samples`);
  const bits = fmt.bitsPerSample;
  const offset = bits === 8 ? 128 : 0;
  const scale = 2 ** (bits - 1);
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += raw[i * channels + c] - offset;
    samples[i] = sum / channels / scale;
  }
  return { samples, sampleRate: fmt.sampleRate };
}

/** 16-bit PCM mono WAV bytes of `samples` in [-1, 1] (test fixtures and sample recordings). */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', Int16Array.from(samples, (v) => Math.round(Math.max(-1, Math.min(1, v)) * 32767)));
  return wav.toBuffer();
}

/** Raw signed 16-bit little-endian PCM bytes (a microphone pipe) → samples in [-1, 1]; an odd trailing byte is left out. */
export function s16leToFloat(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}
