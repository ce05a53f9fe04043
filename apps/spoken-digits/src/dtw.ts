import type { FeatureMatrix } from './features.js';

/**
 * The baseline: 1-nearest-neighbour under dynamic time warping on the same normalized features. DTW aligns two
 * utterances frame by frame (steps: match, insertion, deletion) with the Euclidean distance between frames; the
 * cost is divided by the two lengths so short and long references compete fairly. A Sakoe–Chiba band bounds the
 * warp and the cost: 10% of the longer length (the classic width), widened to the length difference so that an
 * alignment always exists.
 */
export const DTW_BAND = 0.1;

export function dtwDistance(a: FeatureMatrix, b: FeatureMatrix, band = DTW_BAND, abandonAbove = Infinity): number {
  const n = a.frames;
  const m = b.frames;
  const dim = a.dim;
  const w = Math.max(Math.abs(n - m), Math.ceil(band * Math.max(n, m)));
  let prev = new Float64Array(m + 1).fill(Infinity);
  let cur = new Float64Array(m + 1).fill(Infinity);
  prev[0] = 0;
  // Costs only grow along a path, so once a whole row exceeds the best distance so far the answer is worse than it
  // (early abandoning: exact, and most of the speed-up of a 1-NN search).
  const limit = abandonAbove * (n + m);
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity);
    let rowMin = Infinity;
    const jLo = Math.max(1, i - w);
    const jHi = Math.min(m, i + w);
    const ai = (i - 1) * dim;
    for (let j = jLo; j <= jHi; j++) {
      const bj = (j - 1) * dim;
      let d = 0;
      for (let k = 0; k < dim; k++) {
        const diff = a.data[ai + k] - b.data[bj + k];
        d += diff * diff;
      }
      cur[j] = Math.sqrt(d) + Math.min(prev[j - 1], prev[j], cur[j - 1]);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > limit) return Infinity;
    [prev, cur] = [cur, prev];
  }
  return prev[m] / (n + m);
}

/** The label of each query's nearest reference under DTW. */
export function dtwNearestLabels(queries: readonly FeatureMatrix[], refs: readonly FeatureMatrix[], refLabels: ArrayLike<number>, onProgress?: (done: number) => void): Int32Array {
  const out = new Int32Array(queries.length);
  queries.forEach((q, i) => {
    let best = Infinity;
    // References of similar length first: a close match found early lets the rest be abandoned sooner.
    const order = refs.map((_, r) => r).sort((x, y) => Math.abs(refs[x].frames - q.frames) - Math.abs(refs[y].frames - q.frames));
    for (const r of order) {
      const d = dtwDistance(q, refs[r], DTW_BAND, best);
      if (d < best) {
        best = d;
        out[i] = refLabels[r];
      }
    }
    if (onProgress && (i + 1) % 50 === 0) onProgress(i + 1);
  });
  return out;
}
