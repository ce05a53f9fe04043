import { describe, expect, it } from 'vitest';
import { Endpointer, dtwDistance, endpointStream, type Utterance } from '../src/index.js';
import { concat, noise, tone } from './signals.js';

const RATE = 8000;
const silence = (s: number) => noise(Math.round(s * RATE), 0.001);

function run(x: Float32Array, chunk: number): Utterance[] {
  const ep = new Endpointer({ sampleRate: RATE });
  const out: Utterance[] = [];
  for (let i = 0; i < x.length; i += chunk) out.push(...ep.push(x.subarray(i, i + chunk)));
  return [...out, ...ep.flush()];
}

describe('energy endpointer', () => {
  const stream = concat(silence(0.5), tone(500, 0.4, RATE), silence(0.6), tone(900, 0.3, RATE), silence(0.8));

  it('finds two utterances at their times, whatever the chunk size', () => {
    for (const chunk of [1, 80, 333, 4096, stream.length]) {
      const found = run(stream, chunk);
      expect(found.map((u) => [u.start, u.end].map((t) => Math.round(t * 10) / 10))).toEqual([[0.5, 0.9], [1.5, 1.8]]);
      // Each covers its tone with a little padding.
      expect(found[0].start).toBeLessThanOrEqual(0.5);
      expect(found[0].end).toBeGreaterThanOrEqual(0.9);
      expect(found[0].samples.length).toBe(Math.round((found[0].end - found[0].start) * RATE));
    }
  });

  it('drops clicks, cuts an endless sound at maxSeconds, and flush ends an utterance in progress', () => {
    expect(run(concat(silence(0.5), tone(500, 0.03, RATE), silence(0.5)), 100)).toEqual([]);
    const long = run(concat(silence(0.2), tone(500, 7, RATE)), 800);
    expect(long.length).toBe(3);
    expect(long[0].end - long[0].start).toBeCloseTo(3, 1);
    const ep = new Endpointer({ sampleRate: RATE });
    expect(ep.push(concat(silence(0.3), tone(500, 0.5, RATE)))).toEqual([]);
    expect(ep.flush().length).toBe(1);
    expect(ep.flush()).toEqual([]);
  });

  it('tracks the background: steady noise well above the absolute floor is not speech', () => {
    const noisy = concat(noise(RATE, 0.05, 3), noise(RATE, 0.05, 4).map((v, i) => v + 0.6 * Math.sin((2 * Math.PI * 500 * i) / RATE) * (i < 3200 ? 1 : 0)), noise(RATE, 0.05, 5));
    const found = run(noisy, 160);
    expect(found.length).toBe(1);
    expect(found[0].start).toBeGreaterThan(0.85);
    expect(found[0].end).toBeLessThan(1.7);
  });

  it('endpointStream reads S16LE chunks (samples split across chunks) and stops at --duration on a stream that never ends', async () => {
    const pcm = new Uint8Array(stream.length * 2);
    const view = new DataView(pcm.buffer);
    stream.forEach((v, i) => view.setInt16(i * 2, Math.round(v * 32767), true));
    async function* chunks() {
      for (let i = 0; i < pcm.length; i += 999) yield pcm.subarray(i, i + 999);
    }
    const seen: Utterance[] = [];
    const summary = await endpointStream(chunks(), { rate: RATE }, (u) => void seen.push(u));
    expect(summary).toEqual({ seconds: stream.length / RATE, utterances: 2 });
    expect(seen.map((u) => Math.round(u.start * 10) / 10)).toEqual([0.5, 1.5]);

    // Audio bound: 1 s of an endless loud stream, read as fast as it comes.
    async function* endless() {
      for (;;) yield pcm.subarray(8000, 8800);
    }
    const bounded = await endpointStream(endless(), { rate: RATE, durationSeconds: 1 }, () => {});
    expect(bounded.seconds).toBe(1);
    // Wall-clock bound: a pipe that stays open and sends nothing.
    const silent: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
    const t0 = Date.now();
    const idle = await endpointStream(silent, { rate: RATE, durationSeconds: 0.5 }, () => {});
    expect(idle).toEqual({ seconds: 0, utterances: 0 });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('DTW', () => {
  const m = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), frames: rows.length, dim: rows[0].length });
  it('is 0 for identical sequences, small for a time-stretched copy, larger for another shape', () => {
    const a = m([[0, 0], [1, 1], [2, 0], [0, 0]]);
    const stretched = m([[0, 0], [1, 1], [1, 1], [2, 0], [2, 0], [0, 0]]);
    const other = m([[2, 0], [0, 0], [0, 0], [1, 1]]);
    expect(dtwDistance(a, a)).toBe(0);
    expect(dtwDistance(a, stretched)).toBe(0);
    expect(dtwDistance(a, other)).toBeGreaterThan(0.3);
    // A hand-computed case: [0] vs [3, 4] aligns 0 with both: (3 + 4) / (1 + 2).
    expect(dtwDistance(m([[0]]), m([[3], [4]]))).toBeCloseTo(7 / 3, 10);
    // Early abandoning changes nothing below the bound and gives up above it.
    expect(dtwDistance(a, other, 0.1, 10)).toBe(dtwDistance(a, other));
    expect(dtwDistance(a, other, 0.1, 0.01)).toBe(Infinity);
  });
});
