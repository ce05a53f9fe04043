// The microphone's audio thread: an AudioWorklet processor that hands the page its input as it arrives, mono, at
// the audio context's rate. It only copies: endpointing, resampling and features run in the same code as Node's
// (@rnnkit/spoken-digits), on the page and in the model worker. Batches of ~85 ms (4096 frames at 48 kHz) keep
// messages few; each batch's buffer is transferred, not copied.

// The AudioWorkletGlobalScope's names (TypeScript ships no lib for it).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

const BATCH = 4096;

class CaptureProcessor extends AudioWorkletProcessor {
  private batch = new Float32Array(BATCH);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    // No input connected yet (or the track ended): nothing to copy, but stay alive.
    if (!channels || channels.length === 0) return true;
    const frames = channels[0].length;
    for (let i = 0; i < frames; i++) {
      // Channels averaged, as the WAV reader does for a stereo file.
      let sum = 0;
      for (const channel of channels) sum += channel[i];
      this.batch[this.filled++] = sum / channels.length;
      if (this.filled === BATCH) {
        this.port.postMessage(this.batch, [this.batch.buffer]);
        this.batch = new Float32Array(BATCH);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('rnnkit-capture', CaptureProcessor);
