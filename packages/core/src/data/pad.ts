import { RnnkitError } from '../errors.js';

export interface PadOptions {
  /** Row length; default: the longest sequence. */
  maxLen?: number;
  /** Where padding goes: 'post' (after the tokens, default) or 'pre'. */
  padding?: 'post' | 'pre';
  /** Which end to cut when a sequence is longer than maxLen: 'post' keeps the start (default), 'pre' keeps the end. */
  truncating?: 'post' | 'pre';
  /** Pad id (default 0 = PAD). */
  value?: number;
}

/** Row-major [batch, maxLen] arrays ready for `tf.tensor2d(ids, [batch, maxLen], 'int32')`. */
export interface PaddedSequences {
  ids: Int32Array;
  /** 1 where a real token sits, 0 on padding. */
  mask: Float32Array;
  /** Number of real tokens per row after truncation. */
  lengths: Int32Array;
  batch: number;
  maxLen: number;
}

export function padSequences(seqs: readonly (readonly number[])[], opts: PadOptions = {}): PaddedSequences {
  if (seqs.length === 0) throw new RnnkitError('padSequences: no sequences given');
  const maxLen = opts.maxLen ?? Math.max(...seqs.map((s) => s.length));
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new RnnkitError(`padSequences: maxLen must be an integer >= 1, got ${maxLen}`);
  }
  const padding = opts.padding ?? 'post';
  const truncating = opts.truncating ?? 'post';
  const value = opts.value ?? 0;
  const batch = seqs.length;
  const ids = new Int32Array(batch * maxLen).fill(value);
  const mask = new Float32Array(batch * maxLen);
  const lengths = new Int32Array(batch);
  seqs.forEach((seq, row) => {
    const kept = seq.length <= maxLen ? seq : truncating === 'pre' ? seq.slice(seq.length - maxLen) : seq.slice(0, maxLen);
    const start = row * maxLen + (padding === 'pre' ? maxLen - kept.length : 0);
    for (let i = 0; i < kept.length; i++) {
      const id = kept[i];
      if (!Number.isInteger(id)) throw new RnnkitError(`padSequences: sequence ${row}, position ${i} is not an integer id: ${id}`);
      ids[start + i] = id;
      mask[start + i] = 1;
    }
    lengths[row] = kept.length;
  });
  return { ids, mask, lengths, batch, maxLen };
}
