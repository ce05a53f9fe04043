import { RnnkitError } from '@rnnkit/core/errors';

/**
 * An energy endpointer for a stream (browser-safe): it reads samples in chunks of any size, measures the energy of
 * every 10 ms block, and cuts utterances out where the energy rises above a threshold and falls back below it for
 * a while. The threshold follows the background level (a noise floor that falls quickly and rises slowly during
 * silence), so a noisy line does not read as one endless utterance, and it never goes below an absolute floor, so
 * digital silence does not make every click speech.
 */

export interface EndpointerOptions {
  sampleRate: number;
  /** dB above the noise floor that counts as speech. */
  marginDb?: number;
  /** Blocks above the threshold in a row that start an utterance. */
  startBlocks?: number;
  /** Blocks below the threshold in a row that end it (trailing silence). */
  endBlocks?: number;
  /** Utterances shorter than this (in blocks of speech) are dropped as clicks. */
  minBlocks?: number;
  /** An utterance is cut here even if the speaker does not stop. */
  maxSeconds?: number;
  /** Audio kept before the detected start and after the end (blocks). */
  padBlocks?: number;
  /** Energy below this many dB relative to full scale is never speech. */
  floorDb?: number;
}

export interface Utterance {
  samples: Float32Array;
  /** Start and end in seconds since the stream began. */
  start: number;
  end: number;
}

const BLOCK_SECONDS = 0.01;

export class Endpointer {
  private readonly block: number;
  private readonly opts: Required<EndpointerOptions>;
  /** Samples kept: from `bufStart` (absolute index) on. */
  private buf = new Float32Array(0);
  private bufStart = 0;
  /** Samples not yet measured (less than one block). */
  private partial: number[] = [];
  private blocksSeen = 0;
  private noiseDb = -60;
  private inSpeech = false;
  private aboveRun = 0;
  private belowRun = 0;
  /** Absolute sample index of the utterance start and of its last loud block's end. */
  private uttStart = 0;
  private lastLoudEnd = 0;
  private loudBlocks = 0;

  constructor(opts: EndpointerOptions) {
    if (!Number.isInteger(opts.sampleRate) || opts.sampleRate < 1000) throw new RnnkitError(`endpointer: sample rate must be an integer >= 1000, got ${opts.sampleRate}`);
    this.opts = {
      marginDb: 12, startBlocks: 3, endBlocks: 25, minBlocks: 8, maxSeconds: 3, padBlocks: 3, floorDb: -50, ...opts,
    };
    this.block = Math.round(opts.sampleRate * BLOCK_SECONDS);
  }

  /** Feeds samples; returns the utterances that ended within them. */
  push(samples: Float32Array): Utterance[] {
    const done: Utterance[] = [];
    this.append(samples);
    for (const v of samples) {
      this.partial.push(v);
      if (this.partial.length === this.block) {
        const u = this.measure(this.partial);
        this.partial = [];
        if (u) done.push(u);
      }
    }
    return done;
  }

  /** The stream ended: an utterance in progress ends here. */
  flush(): Utterance[] {
    if (!this.inSpeech) return [];
    const u = this.finish(this.bufStart + this.buf.length);
    return u ? [u] : [];
  }

  private append(samples: Float32Array): void {
    const next = new Float32Array(this.buf.length + samples.length);
    next.set(this.buf);
    next.set(samples, this.buf.length);
    this.buf = next;
  }

  private measure(block: number[]): Utterance | undefined {
    const { marginDb, startBlocks, endBlocks, maxSeconds, padBlocks, floorDb } = this.opts;
    let sum = 0;
    for (const v of block) sum += v * v;
    const db = 10 * Math.log10(sum / block.length + 1e-12);
    const blockEnd = (this.blocksSeen + 1) * this.block;
    this.blocksSeen++;
    // The first block sets the floor: a stream (a microphone) starts with its background, not with speech.
    if (this.blocksSeen === 1) this.noiseDb = db;
    const loud = db > Math.max(floorDb, this.noiseDb + marginDb);
    if (!this.inSpeech) {
      // The floor tracks the background only outside speech: down at once, up slowly.
      this.noiseDb = db < this.noiseDb ? db : this.noiseDb + 0.05 * (db - this.noiseDb);
      this.aboveRun = loud ? this.aboveRun + 1 : 0;
      if (this.aboveRun >= startBlocks) {
        this.inSpeech = true;
        this.belowRun = 0;
        this.loudBlocks = this.aboveRun;
        this.uttStart = Math.max(this.bufStart, blockEnd - (this.aboveRun + padBlocks) * this.block);
        this.lastLoudEnd = blockEnd;
      } else {
        // Keep only what a start could reach back to.
        this.trim(blockEnd - (startBlocks + padBlocks + 1) * this.block);
      }
      return undefined;
    }
    if (loud) {
      this.belowRun = 0;
      this.loudBlocks++;
      this.lastLoudEnd = blockEnd;
    } else {
      this.belowRun++;
    }
    if (this.belowRun >= endBlocks) return this.finish(Math.min(blockEnd, this.lastLoudEnd + padBlocks * this.block));
    if (blockEnd - this.uttStart >= maxSeconds * this.opts.sampleRate) return this.finish(blockEnd);
    return undefined;
  }

  private finish(end: number): Utterance | undefined {
    this.inSpeech = false;
    this.aboveRun = 0;
    this.belowRun = 0;
    const keep = this.loudBlocks >= this.opts.minBlocks;
    const u = keep
      ? {
          samples: this.buf.slice(this.uttStart - this.bufStart, end - this.bufStart),
          start: this.uttStart / this.opts.sampleRate,
          end: end / this.opts.sampleRate,
        }
      : undefined;
    this.trim(end);
    return u;
  }

  private trim(from: number): void {
    if (from <= this.bufStart) return;
    const cut = Math.min(this.buf.length, from - this.bufStart);
    this.buf = this.buf.slice(cut);
    this.bufStart += cut;
  }
}
