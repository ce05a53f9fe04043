// What the bench's entry points (main, profile, decode-ab) share: one JSON line per measurement on stdout, and
// integer flags checked with one line naming the flag.

export function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** `--name`'s value as an integer of at least `min`. */
export function integerFlag(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}
