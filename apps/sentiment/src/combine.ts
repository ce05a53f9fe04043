import { RnnkitError, meanProbabilities } from '@rnnkit/core';

/**
 * How an ensemble's members are combined (`evaluate --ensemble ... --ensemble-combine <name>`). Every combination
 * other than `mean` has weights, and they are fitted on the validation part only: `fitCombination` receives the
 * members' validation probabilities and the validation labels and nothing else, so the test part cannot move them.
 *
 * - `mean`: the plain mean of the class probabilities (no fitting; the default, and what every earlier figure used).
 * - `stack`: a logistic regression over the members' log-probabilities (for two classes: over their log-odds),
 *   score_c = bias_c + Σ_m weight_m · log p_m(c), fitted by Newton's method on the validation rows' mean
 *   log-loss plus an L2 penalty on the weights' spread around their own mean, λ/2 · Σ_m (weight_m − mean weight)².
 *   The penalty pulls towards equal weights rather than towards zero: a large λ leaves the geometric mean of the
 *   members with a fitted temperature and class bias, a small one lets the weights follow the validation rows
 *   (one weight per member and one bias per class, not per member and class: 689 rows cannot fit more).
 * - `select`: greedy forward selection with replacement (Caruana et al. 2004, "Ensemble selection from libraries of
 *   models"): starting from no member, each round adds the member (again, if it is already in) whose addition gives
 *   the best validation score of the mean probabilities; the bag of the best round is kept, and a member's weight is
 *   the share of the bag it holds. A member that never helps gets weight 0.
 *
 * Members used the validation part for early stopping, so their validation probabilities look slightly better than
 * they are; a combination fitted there inherits that (see the README's SST-2 section).
 */

export const COMBINATIONS = ['mean', 'stack', 'select'] as const;
export type CombinationName = (typeof COMBINATIONS)[number];
export const SELECT_METRICS = ['logloss', 'accuracy'] as const;
export type SelectMetric = (typeof SELECT_METRICS)[number];

export interface CombinationOptions {
  /** stack: λ of the penalty on the weights' spread around their mean (per validation row's mean log-loss). */
  stackL2?: number;
  /** select: rounds of forward selection (members added, with replacement). */
  selectRounds?: number;
  /** select: what a round maximizes on the validation part; accuracy breaks ties by log-loss. */
  selectMetric?: SelectMetric;
}

export const COMBINATION_DEFAULTS = { stackL2: 0.1, selectRounds: 50, selectMetric: 'logloss' } as const satisfies Required<CombinationOptions>;

/**
 * A fitted combination. `linear`: Σ_m weight_m · p_m (weights sum to 1). `log-linear`: softmax over classes of
 * bias_c + Σ_m weight_m · log p_m(c).
 */
export interface FittedCombination {
  name: CombinationName;
  pool: 'linear' | 'log-linear';
  weights: number[];
  /** Per class, log-linear only (zeros for linear). */
  bias: number[];
  /** One line for reports: what was fitted and how. */
  description: string;
}

/** Probabilities are clipped to this floor before their log, so one member's 0 cannot veto a class. */
export const LOG_FLOOR = 1e-6;

function checkMembers(members: readonly Float32Array[], numClasses: number, what: string): number {
  if (members.length === 0) throw new RnnkitError(`${what}: no members`);
  const len = members[0].length;
  if (len % numClasses !== 0) throw new RnnkitError(`${what}: ${len} values do not split into rows of ${numClasses} classes`);
  members.forEach((m, i) => {
    if (m.length !== len) throw new RnnkitError(`${what}: member ${i} has ${m.length} values, member 0 has ${len}`);
  });
  return len / numClasses;
}

/** Mean log-loss of class probabilities `probs` [n × k] against `labels`, probabilities floored at LOG_FLOOR. */
export function meanLogLoss(probs: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= Math.log(Math.max(probs[i * numClasses + labels[i]], LOG_FLOOR));
  return sum / labels.length;
}

function correctCount(probs: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let arg = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + arg]) arg = c;
    if (arg === labels[i]) correct++;
  }
  return correct;
}

/** The combined class probabilities [n × k] of the members' probabilities under a fitted combination. */
export function applyCombination(fitted: FittedCombination, members: readonly Float32Array[], numClasses: number): Float32Array {
  const n = checkMembers(members, numClasses, 'applyCombination');
  if (members.length !== fitted.weights.length) throw new RnnkitError(`applyCombination: ${members.length} members, ${fitted.weights.length} weights`);
  // The plain mean goes through core's meanProbabilities, so its figures are the earlier ensembles' to the bit.
  if (fitted.name === 'mean') return meanProbabilities(members);
  const k = numClasses;
  const out = new Float32Array(n * k);
  if (fitted.pool === 'linear') {
    for (const [m, probs] of members.entries()) {
      const w = fitted.weights[m];
      if (w !== 0) for (let j = 0; j < out.length; j++) out[j] += w * probs[j];
    }
    return out;
  }
  const scores = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    logLinearScores(fitted.weights, fitted.bias, members, i, k, scores);
    softmaxInPlace(scores);
    for (let c = 0; c < k; c++) out[i * k + c] = scores[c];
  }
  return out;
}

function logLinearScores(weights: ArrayLike<number>, bias: ArrayLike<number>, members: readonly Float32Array[], row: number, k: number, out: Float64Array): void {
  for (let c = 0; c < k; c++) {
    let s = bias[c];
    for (let m = 0; m < members.length; m++) s += weights[m] * Math.log(Math.max(members[m][row * k + c], LOG_FLOOR));
    out[c] = s;
  }
}

function softmaxInPlace(scores: Float64Array): void {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  let sum = 0;
  for (let c = 0; c < scores.length; c++) {
    scores[c] = Math.exp(scores[c] - max);
    sum += scores[c];
  }
  for (let c = 0; c < scores.length; c++) scores[c] /= sum;
}

/**
 * Fits a combination of the members on the validation part: `valProbs[m]` is member m's class probabilities
 * [n × k] on the validation rows, `valLabels` their labels. Nothing of the test part is an argument.
 */
export function fitCombination(
  name: CombinationName,
  valProbs: readonly Float32Array[],
  valLabels: ArrayLike<number>,
  numClasses: number,
  opts: CombinationOptions = {},
): FittedCombination {
  const n = checkMembers(valProbs, numClasses, `ensemble ${name}`);
  if (n !== valLabels.length) throw new RnnkitError(`ensemble ${name}: ${n} validation rows but ${valLabels.length} labels`);
  const count = valProbs.length;
  switch (name) {
    case 'mean':
      return { name, pool: 'linear', weights: new Array<number>(count).fill(1 / count), bias: new Array<number>(numClasses).fill(0), description: `mean of the class probabilities of ${count} members, equal weights` };
    case 'stack': {
      const l2 = opts.stackL2 ?? COMBINATION_DEFAULTS.stackL2;
      if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RnnkitError(`ensemble stack: the L2 penalty must be a finite number >= 0, got ${l2}`);
      const { weights, bias, iterations } = fitLogLinearPool(valProbs, valLabels, numClasses, l2);
      return {
        name, pool: 'log-linear', weights, bias,
        description: `stacked: logistic regression over the log-probabilities of ${count} members, fitted on the ${n} validation rows (L2 ${l2} on the weights' spread, ${iterations} Newton steps)`,
      };
    }
    case 'select': {
      const rounds = opts.selectRounds ?? COMBINATION_DEFAULTS.selectRounds;
      const metric = opts.selectMetric ?? COMBINATION_DEFAULTS.selectMetric;
      if (!Number.isInteger(rounds) || rounds < 1) throw new RnnkitError(`ensemble select: rounds must be an integer >= 1, got ${rounds}`);
      const { counts, bestRound } = forwardSelect(valProbs, valLabels, numClasses, rounds, metric);
      return {
        name, pool: 'linear', weights: counts.map((c) => c / bestRound), bias: new Array<number>(numClasses).fill(0),
        description: `selected: greedy forward selection with replacement by validation ${metric} on the ${n} validation rows, ` +
          `the bag of round ${bestRound} of ${rounds} (${counts.filter((c) => c > 0).length} of ${count} members)`,
      };
    }
    default:
      throw new RnnkitError(`ensemble: unknown combination ${String(name)} (one of ${COMBINATIONS.join(', ')})`);
  }
}

/**
 * Caruana's ensemble selection: each round adds, with replacement, the member whose addition to the bag gives the
 * best validation score of the bag's mean probabilities (ties: the lower member index). Returns the bag of the best
 * round (the earliest among equals) as counts per member.
 */
function forwardSelect(probs: readonly Float32Array[], labels: ArrayLike<number>, k: number, rounds: number, metric: SelectMetric) {
  const len = probs[0].length;
  const sum = new Float64Array(len);
  const candidate = new Float64Array(len);
  const counts = new Array<number>(probs.length).fill(0);
  let best = { counts: [...counts], round: 0, correct: -1, loss: Infinity };
  // (correct, loss) ranks a bag: accuracy first under 'accuracy', log-loss alone under 'logloss'.
  const better = (a: { correct: number; loss: number }, b: { correct: number; loss: number }) =>
    metric === 'accuracy' ? a.correct > b.correct || (a.correct === b.correct && a.loss < b.loss) : a.loss < b.loss;
  for (let round = 1; round <= rounds; round++) {
    let pick = { member: -1, correct: -1, loss: Infinity };
    for (let m = 0; m < probs.length; m++) {
      for (let j = 0; j < len; j++) candidate[j] = (sum[j] + probs[m][j]) / round;
      const score = { correct: correctCount(candidate, labels, k), loss: meanLogLoss(candidate, labels, k) };
      if (pick.member < 0 || better(score, pick)) pick = { member: m, ...score };
    }
    for (let j = 0; j < len; j++) sum[j] += probs[pick.member][j];
    counts[pick.member]++;
    if (better(pick, best)) best = { counts: [...counts], round, correct: pick.correct, loss: pick.loss };
  }
  return { counts: best.counts, bestRound: best.round };
}

/**
 * The stacker: θ = (weight_1..weight_M, bias_1..bias_{k−1}), bias_0 = 0; minimizes the mean log-loss of
 * softmax_c(bias_c + Σ_m weight_m · log p_m(c)) over the rows plus λ/2 · Σ_m (weight_m − mean weight)² (and a 1e-8
 * ridge on the weights, so that two identical members still give a unique solution). Convex; Newton's method with
 * a backtracking line search from equal weights 1/M, at most 100 steps.
 */
function fitLogLinearPool(probs: readonly Float32Array[], labels: ArrayLike<number>, k: number, l2: number) {
  const M = probs.length;
  const n = labels.length;
  const D = M + k - 1;
  // Features per row and class: the members' floored log-probabilities, then the one-hot of the class (classes ≥ 1).
  const logp = new Float64Array(n * k * M);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) for (let m = 0; m < M; m++) logp[(i * k + c) * M + m] = Math.log(Math.max(probs[m][i * k + c], LOG_FLOOR));
  const ridge = 1e-8;
  const feature = (i: number, c: number, d: number) => (d < M ? logp[(i * k + c) * M + d] : d - M + 1 === c ? 1 : 0);
  const penalty = (theta: Float64Array) => {
    let mean = 0;
    for (let m = 0; m < M; m++) mean += theta[m] / M;
    let p = 0;
    for (let m = 0; m < M; m++) p += (l2 / 2) * (theta[m] - mean) ** 2 + (ridge / 2) * theta[m] ** 2;
    return p;
  };
  const scores = new Float64Array(k);
  const rowScores = (theta: Float64Array, i: number) => {
    for (let c = 0; c < k; c++) {
      let s = c > 0 ? theta[M + c - 1] : 0;
      for (let m = 0; m < M; m++) s += theta[m] * logp[(i * k + c) * M + m];
      scores[c] = s;
    }
  };
  const objective = (theta: Float64Array) => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      rowScores(theta, i);
      let max = -Infinity;
      for (const s of scores) max = Math.max(max, s);
      let sum = 0;
      for (const s of scores) sum += Math.exp(s - max);
      loss += max + Math.log(sum) - scores[labels[i]];
    }
    return loss / n + penalty(theta);
  };

  const theta = new Float64Array(D);
  theta.fill(1 / M, 0, M);
  let f = objective(theta);
  const grad = new Float64Array(D);
  const hess = new Float64Array(D * D);
  const mu = new Float64Array(D);
  let iterations = 0;
  for (; iterations < 100; iterations++) {
    grad.fill(0);
    hess.fill(0);
    for (let i = 0; i < n; i++) {
      rowScores(theta, i);
      softmaxInPlace(scores);
      mu.fill(0);
      for (let c = 0; c < k; c++) for (let d = 0; d < D; d++) mu[d] += scores[c] * feature(i, c, d);
      for (let d = 0; d < D; d++) grad[d] += (mu[d] - feature(i, labels[i], d)) / n;
      // Hessian of the row's log-loss: the features' covariance under the row's predicted class distribution.
      for (let c = 0; c < k; c++) {
        const pc = scores[c] / n;
        for (let a = 0; a < D; a++) {
          const xa = feature(i, c, a) - mu[a];
          for (let b = 0; b <= a; b++) hess[a * D + b] += pc * xa * (feature(i, c, b) - mu[b]);
        }
      }
    }
    let mean = 0;
    for (let m = 0; m < M; m++) mean += theta[m] / M;
    for (let a = 0; a < M; a++) {
      grad[a] += l2 * (theta[a] - mean) + ridge * theta[a];
      for (let b = 0; b <= a; b++) hess[a * D + b] += l2 * ((a === b ? 1 : 0) - 1 / M) + (a === b ? ridge : 0);
    }
    for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) hess[b * D + a] = hess[a * D + b];
    if (Math.max(...grad.map(Math.abs)) < 1e-10) break;
    const step = solveSymmetric(hess, grad, D);
    // Backtracking (Armijo) along the Newton direction −step.
    let slope = 0;
    for (let d = 0; d < D; d++) slope -= grad[d] * step[d];
    let t = 1;
    const next = new Float64Array(D);
    let fNext = Infinity;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      for (let d = 0; d < D; d++) next[d] = theta[d] - t * step[d];
      fNext = objective(next);
      if (fNext <= f + 1e-4 * t * slope) break;
    }
    if (!(fNext < f)) break; // no decrease left at float64 precision
    const decrease = f - fNext;
    theta.set(next);
    f = fNext;
    if (decrease < 1e-14) break;
  }
  return { weights: Array.from(theta.subarray(0, M)), bias: [0, ...Array.from(theta.subarray(M))], iterations };
}

/** Solves H x = g for a symmetric positive definite H [D × D] by Cholesky, adding jitter to the diagonal if needed. */
function solveSymmetric(h: Float64Array, g: Float64Array, D: number): Float64Array {
  for (let jitter = 0; ; jitter = jitter === 0 ? 1e-12 : jitter * 10) {
    if (jitter > 1) throw new RnnkitError('ensemble stack: the Hessian is not positive definite');
    const L = new Float64Array(D * D);
    let ok = true;
    for (let a = 0; a < D && ok; a++) {
      for (let b = 0; b <= a; b++) {
        let s = h[a * D + b] + (a === b ? jitter : 0);
        for (let c = 0; c < b; c++) s -= L[a * D + c] * L[b * D + c];
        if (a === b) {
          if (!(s > 0)) { ok = false; break; }
          L[a * D + a] = Math.sqrt(s);
        } else {
          L[a * D + b] = s / L[b * D + b];
        }
      }
    }
    if (!ok) continue;
    const y = new Float64Array(D);
    for (let a = 0; a < D; a++) {
      let s = g[a];
      for (let c = 0; c < a; c++) s -= L[a * D + c] * y[c];
      y[a] = s / L[a * D + a];
    }
    const x = new Float64Array(D);
    for (let a = D - 1; a >= 0; a--) {
      let s = y[a];
      for (let c = a + 1; c < D; c++) s -= L[c * D + a] * x[c];
      x[a] = s / L[a * D + a];
    }
    return x;
  }
}
