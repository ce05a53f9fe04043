import { RnnkitError } from '../errors.js';
import { checkPair } from './validate.js';

/**
 * Mean negative log-likelihood in nats of `targets` under per-position distributions `probs` (each row sums to 1).
 * Probabilities are clamped at `eps` so one zero does not make the mean infinite.
 */
export function crossEntropy(probs: readonly ArrayLike<number>[], targets: ArrayLike<number>, opts: { eps?: number } = {}): number {
  checkPair('crossEntropy', probs, targets, ['probs', 'targets']);
  const eps = opts.eps ?? 1e-12;
  let total = 0;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    if (!Number.isInteger(t) || t < 0 || t >= probs[i].length) {
      throw new RnnkitError(`crossEntropy: targets[${i}] = ${t} is outside the ${probs[i].length} classes of probs[${i}]`);
    }
    const p = probs[i][t];
    if (!(p >= 0 && p <= 1)) throw new RnnkitError(`crossEntropy: probs[${i}][${t}] = ${p} is not a probability`);
    total -= Math.log(Math.max(p, eps));
  }
  return total / targets.length;
}

function checkNats(what: string, nats: number): void {
  if (!(nats >= 0) || !Number.isFinite(nats)) throw new RnnkitError(`${what}: cross-entropy must be a finite number >= 0 (nats), got ${nats}`);
}

/** exp(cross-entropy in nats). */
export function perplexity(crossEntropyNats: number): number {
  checkNats('perplexity', crossEntropyNats);
  return Math.exp(crossEntropyNats);
}

/** Cross-entropy per character in bits (nats / ln 2), for a character-level model. */
export function bitsPerChar(crossEntropyNats: number): number {
  checkNats('bitsPerChar', crossEntropyNats);
  return crossEntropyNats / Math.LN2;
}
