/** Tiny price files written into a fresh temp folder, for unit tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'rnnkit-stocks-'));
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** ISO dates of consecutive calendar days from 2020-01-01 (weekends included; the pipeline does not care). */
export function dates(n: number): string[] {
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10));
}

/** A Kaggle-layout file whose close follows `closes`; open/high/low/volume derived from it. */
export function kaggleCsv(ticker: string, closes: number[]): string {
  const d = dates(closes.length);
  const rows = closes.map((c, i) => `${d[i]},${c},${(c * 1.01).toFixed(4)},${(c * 0.99).toFixed(4)},${c},${1000 + 10 * i},${ticker}`);
  return ['date,open,high,low,close,volume,Name', ...rows].join('\n') + '\n';
}

/** A smooth deterministic price path with some up and down days. */
export function wavyCloses(n: number, start = 100): number[] {
  return Array.from({ length: n }, (_, i) => start * Math.exp(0.002 * i + 0.03 * Math.sin(i / 3) + 0.01 * Math.cos(i * 1.7)));
}
