import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureDir, writeFileAtomicSync } from '../io/atomic.js';

/**
 * A JSONL metrics log: one JSON object per line, appended as training goes, so a crash keeps every line written so
 * far and tools (jq, pandas, plots) can read it while the run continues.
 */
export class MetricsLog {
  constructor(
    readonly file: string,
    opts: { append: boolean },
  ) {
    ensureDir(path.dirname(path.resolve(file)));
    if (!opts.append || !fs.existsSync(file)) writeFileAtomicSync(file, '');
  }

  /** Append one record; non-finite numbers become null (JSON has no NaN). */
  write(record: Record<string, unknown>): void {
    fs.appendFileSync(this.file, JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)) + '\n');
  }
}
