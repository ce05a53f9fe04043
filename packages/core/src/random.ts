import seedrandom from 'seedrandom';

/**
 * One seeded PRNG for everything core randomizes (shuffling, initializer and dropout seeds, sampling), so that
 * `setSeed(n)` before building and training a model makes the run reproducible on the same backend.
 * Without `setSeed` the generator is seeded from the clock.
 */
export type Rng = () => number;

export type AleaState = seedrandom.State.Alea;

let generator: seedrandom.StatefulPRNG<AleaState> = seedrandom.alea(String(Date.now()), { state: true });
let currentSeed: number | undefined;

export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  currentSeed = seed;
  generator = seedrandom.alea(String(seed), { state: true });
}

/** The seed passed to the last `setSeed`, or undefined when the generator is clock-seeded. */
export function getSeed(): number | undefined {
  return currentSeed;
}

/** The shared uniform [0, 1) generator. */
export function rng(): Rng {
  return () => generator();
}

/** A fresh integer seed for tf initializers and dropout, drawn from the shared generator. */
export function nextSeed(): number {
  return Math.floor(generator() * 2 ** 31);
}

/** An independent generator derived from the shared one (for a data pipeline that must not disturb model seeds). */
export function forkRng(): Rng {
  const child = seedrandom.alea(String(nextSeed()));
  return () => child();
}

/** Snapshot of the shared generator, stored in checkpoints so a resumed run continues the same random stream. */
export function rngState(): AleaState {
  return generator.state();
}

export function restoreRngState(state: AleaState): void {
  generator = seedrandom.alea('', { state });
}

/** An independent generator from an explicit seed (a request's `seed`, or a key such as `"7:epoch3"`): same seed, same draws. */
export function seededRng(seed: number | string): Rng {
  const g = seedrandom.alea(String(seed));
  return () => g();
}
