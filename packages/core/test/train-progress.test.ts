import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatEpochLog } from '../src/train/progress.js';

/** A fake stderr that records writes, with a controllable clock. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress display', () => {
  it('formats durations and epoch summaries', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3725)]).toEqual(['5s', '1m05s', '1h02m05s']);
    const line = formatEpochLog({ epoch: 2, loss: 0.5, lr: 0.001, val_loss: 0.25, steps: 10, elapsed_s: 70, acc: 0.75 }, 5);
    expect(line).toBe('epoch 2/5 loss 0.5000 val_loss 0.2500 acc 0.7500 lr 0.00100 | 1m10s elapsed');
  });

  it('on a TTY redraws one bar line in place with epoch, step, loss, rate and ETA', () => {
    const { stream, writes } = fakeStream(true);
    let t = 0;
    const p = createProgress({ mode: 'auto', epochs: 2, stepsPerEpoch: 4, stream, now: () => t });
    t = 1000;
    p.step(1, 1, 0.9); // 1 step/s, 7 steps left
    t = 1050;
    p.step(1, 2, 0.8); // throttled: < 100 ms since the last draw
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe('\r\x1b[2Kepoch 1/2 [######------------------] 1/4 loss 0.9000 | 1.0 steps/s | ETA 7s');
    p.epochEnd({ epoch: 1, loss: 0.7, lr: 0.01, steps: 4, elapsed_s: 2 });
    expect(writes.slice(1)).toEqual(['\r\x1b[2K', 'epoch 1/2 loss 0.7000 lr 0.0100 | 2s elapsed\n']);
  });

  it('without a TTY prints plain lines at most every interval, plus one per epoch', () => {
    const { stream, writes } = fakeStream(false);
    let t = 0;
    const p = createProgress({ mode: 'auto', epochs: 1, stepsPerEpoch: 100, stream, now: () => t, lineIntervalMs: 10_000 });
    for (let s = 1; s <= 100; s++) {
      t = s * 500; // 2 steps/s for 50 s
      p.step(1, s, 1 / s);
    }
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\x1b'))).toBe(true);
    expect(writes.length).toBe(5); // at 0.5 s, 10.5 s, 20.5 s, 30.5 s, 40.5 s
    expect(writes[1]).toMatch(/^epoch 1\/1 step 21\/100 loss 0\.0476 \| 2\.0 steps\/s \| ETA 40s\n$/);
  });

  it("'none' prints no progress but still prints notices", () => {
    const { stream, writes } = fakeStream(true);
    const p = createProgress({ mode: 'none', epochs: 1, stepsPerEpoch: 1, stream });
    p.step(1, 1, 1);
    p.epochEnd({ epoch: 1, loss: 1, lr: 1, steps: 1, elapsed_s: 1 });
    p.note('rnnkit: checkpoint saved');
    expect(writes).toEqual(['rnnkit: checkpoint saved\n']);
  });
});
