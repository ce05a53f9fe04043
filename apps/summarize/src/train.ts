import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  arrayBatchSource,
  loadWeightsInto,
  padSequences,
  readJsonFile,
  RNNKIT_JSON,
  RnnkitError,
  saveModelDir,
  train,
  Vocab,
  type BatchSource,
  type TrainResult,
} from '@rnnkit/core';
import { encodeExample, type DataConfig, type EncodedExample, type Example } from './data/index.js';
import { buildSummarizer, type ModelConfig, type Summarizer } from './model.js';
import { pointerForwardLoss } from './pointer.js';

/** Training the pointer-generator with core's train(), and saving / loading the result. */

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Global gradient-norm clipping (0 = off). */
  clipNorm: number;
  /** Early stopping on validation loss (0 = off). */
  patience: number;
  maxStepsPerEpoch?: number;
  /** Validation batches per epoch (a cap keeps short runs short); default all. */
  maxValBatches?: number;
  maxSeconds?: number;
  resume?: boolean;
  seed: number;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
}

/** Each batch is padded to its own longest source and target: [src, tgtIn, srcExt], tgtOut, target mask. */
export function pairBatchSource(examples: EncodedExample[], batchSize: number, opts: { shuffle: boolean; seed: number; maxBatches?: number }): BatchSource {
  const source = arrayBatchSource({
    size: examples.length,
    batchSize,
    shuffle: opts.shuffle,
    seed: opts.seed,
    makeBatch: (idx) => {
      const rows = Array.from(idx, (i) => examples[i]);
      const src = padSequences(rows.map((r) => r.src));
      const srcExt = padSequences(rows.map((r) => r.srcExt));
      const tgtIn = padSequences(rows.map((r) => r.tgtIn));
      const tgtOut = padSequences(rows.map((r) => r.tgtOut));
      const b = rows.length;
      return {
        xs: [
          tf.tensor2d(src.ids, [b, src.maxLen], 'int32'),
          tf.tensor2d(tgtIn.ids, [b, tgtIn.maxLen], 'int32'),
          tf.tensor2d(srcExt.ids, [b, srcExt.maxLen], 'int32'),
        ],
        ys: tf.tensor2d(tgtOut.ids, [b, tgtOut.maxLen], 'int32'),
        weights: tf.tensor2d(tgtOut.mask, [b, tgtOut.maxLen]),
        size: b,
      };
    },
  });
  if (opts.maxBatches === undefined) return source;
  const cap = Math.min(opts.maxBatches, source.numBatches());
  return {
    numBatches: () => cap,
    *batches(epoch: number) {
      // Stop pulling before batch cap+1: batches are built (tensors allocated) when pulled.
      const it = source.batches(epoch)[Symbol.iterator]();
      for (let n = 0; n < cap; n++) {
        const next = it.next();
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

/** Everything needed to rebuild the model from its saved directory. */
export interface SavedExtras {
  app: 'summarize';
  model: ModelConfig;
  data: DataConfig;
  vocab: ReturnType<Vocab['toJSON']>;
}

export interface TrainOutcome {
  summarizer: Summarizer;
  result: TrainResult;
}

export async function trainSummarizer(
  splits: { train: Example[]; val: Example[] },
  vocab: Vocab,
  modelCfg: ModelConfig,
  dataCfg: DataConfig,
  settings: TrainSettings,
  outDir?: string,
): Promise<TrainOutcome> {
  const summarizer = buildSummarizer(modelCfg, vocab.size, settings.seed);
  const encode = (rows: Example[]) => rows.map((e) => encodeExample(e, vocab));
  const data = {
    train: pairBatchSource(encode(splits.train), settings.batchSize, { shuffle: true, seed: settings.seed }),
    ...(splits.val.length > 0
      ? { val: pairBatchSource(encode(splits.val), settings.batchSize, { shuffle: false, seed: settings.seed, maxBatches: settings.maxValBatches }) }
      : {}),
  };
  const extras: SavedExtras = { app: 'summarize', model: modelCfg, data: dataCfg, vocab: vocab.toJSON() };
  const result = await train(summarizer.train, data, pointerForwardLoss, {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    clipNorm: settings.clipNorm > 0 ? settings.clipNorm : undefined,
    ...(settings.patience > 0 && data.val ? { earlyStopping: { patience: settings.patience } } : {}),
    maxStepsPerEpoch: settings.maxStepsPerEpoch,
    maxSeconds: settings.maxSeconds,
    seed: settings.seed,
    progress: settings.progress,
    resume: settings.resume,
    ...(outDir
      ? {
        checkpointDir: path.join(outDir, 'checkpoints'),
        checkpointExtras: { ...extras },
        metricsLog: path.join(outDir, 'metrics.jsonl'),
        lossChart: { path: path.join(outDir, 'loss.svg'), title: 'Pointer-generator training loss (NLL per target token)' },
      }
      : {}),
  });
  if (outDir && result.history.length > 0) await saveModelDir(path.join(outDir, 'model'), summarizer.train, { ...extras });
  return { summarizer, result };
}

/** Rebuilds a saved summarizer (model/ or a checkpoint dir) from its rnnkit.json extras and weights. */
export async function loadSummarizer(dir: string): Promise<{ summarizer: Summarizer; vocab: Vocab; dataConfig: DataConfig }> {
  const metaFile = path.join(dir, RNNKIT_JSON);
  const meta = (await readJsonFile(metaFile, 'model metadata; not a summarizer model directory?')) as { extras?: Partial<SavedExtras> };
  const extras = meta.extras ?? {};
  if (extras.app !== 'summarize' || !extras.model || !extras.data || !extras.vocab) {
    throw new RnnkitError(`${metaFile}: not a summarizer model (field "extras.app" must be "summarize" with model, data and vocab)`);
  }
  const vocab = Vocab.fromJSON(extras.vocab, `${metaFile} extras.vocab`);
  const summarizer = buildSummarizer(extras.model, vocab.size);
  await loadWeightsInto(summarizer.train, dir);
  return { summarizer, vocab, dataConfig: extras.data };
}
