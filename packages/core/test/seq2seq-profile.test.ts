import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { initBackend } from '../src/backend.js';
import { buildSeq2Seq } from '../src/seq2seq.js';

const ce = (y: tf.Tensor, p: tf.Tensor, w: tf.Tensor, v: number) => tf.div(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(tf.log(tf.maximum(p, 1e-7)), tf.oneHot(y, v)), -1)), w)), tf.sum(w)) as tf.Scalar;
it('profile', async () => {
  await initBackend({ quiet: true });
  for (const [vocab, B, S, T, units] of [[13, 32, 5, 6, 24], [2000, 16, 40, 12, 64]]) {
    const models = buildSeq2Seq({ srcVocab: vocab, tgtVocab: vocab, embedDim: 16, sharedEmbedding: true, encoderCell: 'gru', encoderUnits: units, bidirectional: true, attention: 'bahdanau', seed: 1 });
    const src = tf.randomUniform([B, S], 3, vocab - 1, 'int32');
    const tgt = tf.randomUniform([B, T], 3, vocab - 1, 'int32');
    const w = tf.onesLike(tgt).toFloat();
    const opt = tf.train.adam(0.01);
    const step = () => opt.minimize(() => ce(tgt, models.train.apply([src, tgt], { training: true }) as tf.Tensor, w, vocab), true)!.dispose();
    for (let i = 0; i < 2; i++) step();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 5; i++) step();
    const c = process.cpuUsage(cpu0);
    const fwd0 = process.cpuUsage();
    for (let i = 0; i < 5; i++) tf.tidy(() => { (models.train.apply([src, tgt]) as tf.Tensor).dataSync(); });
    const f = process.cpuUsage(fwd0);
    console.log(`vocab ${vocab} B${B} S${S} T${T} U${units}: train step cpu ms`, ((c.user + c.system) / 1000 / 5).toFixed(1), 'forward', ((f.user + f.system) / 1000 / 5).toFixed(1));
  }
});
