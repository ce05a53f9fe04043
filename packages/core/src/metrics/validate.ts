import { RnnkitError } from '../errors.js';

/** Throws unless `a` and `b` are non-empty and equally long; `what` names the metric in the message. */
export function checkPair(what: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>, names = ['yTrue', 'yPred']): void {
  if (a.length === 0) throw new RnnkitError(`${what}: ${names[0]} is empty`);
  if (a.length !== b.length) {
    throw new RnnkitError(`${what}: ${names[0]} has ${a.length} values but ${names[1]} has ${b.length}`);
  }
}

export function checkFinite(what: string, values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RnnkitError(`${what}: ${name}[${i}] is not a finite number: ${values[i]}`);
  }
}
