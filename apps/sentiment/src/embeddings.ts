import { createReadStream } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { RnnkitError, type Vocab } from '@rnnkit/core';

/**
 * Pretrained word vectors in GloVe's text format (one `word v1 v2 ... vD` per line), read only when the user names a
 * file with --embeddings (nothing is ever downloaded). Vectors of vocabulary words replace those rows of the
 * embedding matrix; every other row keeps its random initialization. The file is streamed (GloVe files run to
 * gigabytes) and decoded as strict UTF-8; errors name the file and line.
 */

export interface PretrainedEmbeddings {
  /** The pretrained vector of each vocabulary id found in the file (its first occurrence). */
  vectors: Map<number, Float32Array>;
  dim: number;
  /** Lines read. */
  lines: number;
}

/** Reads the vectors of the words in `vocab` from a GloVe-format file; `dim` must be the file's vector size. */
export async function readGloveVectors(file: string, vocab: Vocab, dim: number): Promise<PretrainedEmbeddings> {
  const vectors = new Map<number, Float32Array>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let line = 0;
  const handle = (text: string) => {
    line++;
    if (text.trim() === '') return;
    const fields = text.trimEnd().split(' ');
    if (line === 1 && fields.length === 2 && /^\d+$/.test(fields[0]) && /^\d+$/.test(fields[1])) {
      throw new RnnkitError(`${file}: line 1: looks like a word2vec header ("${text.slice(0, 40)}"), not GloVe text format`);
    }
    // The word is everything before the last `dim` fields (a few GloVe tokens contain spaces).
    if (fields.length < dim + 1) {
      throw new RnnkitError(`${file}: line ${line}: ${fields.length - 1} values after the word, but --embed-dim is ${dim} (the file's vector size must equal --embed-dim)`);
    }
    const word = fields.slice(0, fields.length - dim).join(' ');
    const id = vocab.has(word) ? vocab.idOf(word) : -1;
    if (id < 0 || vectors.has(id)) return;
    const values = new Float32Array(dim);
    for (let i = 0; i < dim; i++) {
      const v = Number(fields[fields.length - dim + i]);
      if (!Number.isFinite(v)) throw new RnnkitError(`${file}: line ${line}: value ${i + 1} of "${word}" is not a number (${JSON.stringify(fields[fields.length - dim + i].slice(0, 20))})`);
      values[i] = v;
    }
    vectors.set(id, values);
  };
  try {
    for await (const chunk of createReadStream(file)) {
      let text: string;
      try {
        text = pending + decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        throw new RnnkitError(`${file}: not valid UTF-8 (after line ${line})`);
      }
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) handle(l);
    }
    pending += decoder.decode();
  } catch (err) {
    if (err instanceof RnnkitError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RnnkitError(`${file}: no such file (--embeddings)`);
    if (code === 'EISDIR') throw new RnnkitError(`${file}: is a directory, expected a GloVe text file (--embeddings)`);
    if (err instanceof TypeError) throw new RnnkitError(`${file}: not valid UTF-8 (after line ${line})`);
    throw new RnnkitError(`${file}: cannot read (${code ?? (err as Error).message})`);
  }
  if (pending !== '') handle(pending);
  if (line === 0) throw new RnnkitError(`${file}: is empty (--embeddings)`);
  return { vectors, dim, lines: line };
}

/** Writes the pretrained rows into the model's embedding layer (the other rows keep their initialization). */
export function applyPretrained(model: tf.LayersModel, pretrained: PretrainedEmbeddings, layerName = 'embedding'): void {
  const layer = model.getLayer(layerName);
  const [current] = layer.getWeights();
  const [rows, dim] = current.shape;
  if (dim !== pretrained.dim) throw new RnnkitError(`embeddings: the model's embedding size is ${dim}, the vectors' ${pretrained.dim}`);
  const values = current.dataSync().slice() as Float32Array;
  for (const [id, vector] of pretrained.vectors) if (id < rows) values.set(vector, id * dim);
  tf.tidy(() => layer.setWeights([tf.tensor2d(values, [rows, dim])]));
}
