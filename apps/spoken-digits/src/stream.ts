import { RnnkitError } from '@rnnkit/core/browser';
import { Endpointer, type Utterance } from './endpoint.js';
import { s16leToFloat } from './wav.js';

/**
 * Raw signed 16-bit little-endian mono PCM from a stream (a microphone pipe) → utterances, each handed to
 * `onUtterance` as soon as it ends. `durationSeconds` bounds the read twice: by the audio read (duration × rate
 * samples) and by the wall clock (a pipe that stays open but silent), so the command always returns.
 */
export async function endpointStream(
  source: AsyncIterable<Uint8Array>,
  opts: { rate: number; durationSeconds?: number },
  onUtterance: (u: Utterance) => Promise<void> | void,
): Promise<{ seconds: number; utterances: number }> {
  const ep = new Endpointer({ sampleRate: opts.rate });
  const maxSamples = opts.durationSeconds === undefined ? Infinity : Math.floor(opts.durationSeconds * opts.rate);
  let read = 0;
  let count = 0;
  let carry: Uint8Array = new Uint8Array(0);
  const handle = async (list: Utterance[]) => {
    for (const u of list) {
      count++;
      await onUtterance(u);
    }
  };
  const iterator = source[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = opts.durationSeconds === undefined
    ? undefined
    : new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), opts.durationSeconds! * 1000); });
  try {
    while (read < maxSamples) {
      const next = await (deadline ? Promise.race([iterator.next(), deadline]) : iterator.next());
      if (next === 'timeout' || next.done) break;
      const chunk = next.value;
      if (!(chunk instanceof Uint8Array)) throw new RnnkitError('stdin: expected raw bytes');
      // Keep an odd byte for the next chunk: a sample may straddle two reads.
      const bytes = carry.length ? concat(carry, chunk) : chunk;
      const whole = bytes.length & ~1;
      carry = bytes.slice(whole);
      let samples = s16leToFloat(bytes.subarray(0, whole));
      if (read + samples.length > maxSamples) samples = samples.subarray(0, maxSamples - read);
      read += samples.length;
      await handle(ep.push(samples));
    }
    await handle(ep.flush());
  } finally {
    if (timer) clearTimeout(timer);
    // Not awaited: a source still waiting for data (the wall-clock bound hit) would only return once data came.
    void iterator.return?.()?.catch(() => {});
  }
  return { seconds: read / opts.rate, utterances: count };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
