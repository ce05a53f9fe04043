/**
 * The only module that touches danfojs-node. It reads a CSV into a DataFrame and hands back plain string cells, so
 * the rest of the pipeline never sees a danfo type and danfo can be swapped for another reader in this one file.
 *
 * Cells stay strings (`dynamicTyping: false`): number parsing and validation happen in prices.ts, where the
 * error can name the line and column. Empty lines are not skipped, so data row i is always line i + 2.
 *
 * The bytes are checked first by core's strict text reader: papaparse would decode a Latin-1 byte as U+FFFD and a
 * ticker column "AAPL\xe9" would train a model named "AAPL\ufffd"; instead the file's first bad byte is named by
 * line and column. danfo then reads the file again (it takes a path, not text): a few MB at most, read twice.
 */
import { readTextFile, RnnkitError } from '@rnnkit/core';

export interface CsvTable {
  file: string;
  columns: string[];
  /** rows[i] is the data on line i + 2 of the file (line 1 is the header). */
  rows: string[][];
}

export async function readCsvTable(file: string): Promise<CsvTable> {
  const text = readTextFile(file);
  const { readCSV } = await import('danfojs-node');
  let frame: Awaited<ReturnType<typeof readCSV>>;
  try {
    // These are papaparse options, which danfo passes through but does not declare in its option type.
    const papaparse = { dynamicTyping: false, skipEmptyLines: false, header: true };
    frame = await readCSV(file, papaparse as Parameters<typeof readCSV>[1]);
  } catch (err) {
    // danfo reports papaparse errors without their row numbers; find the offending line ourselves.
    throw new RnnkitError(`${file}: ${describeCsvProblem(text) ?? (err as Error).message}`);
  }
  const columns = frame.columns.map(String);
  const rows = (frame.values as unknown[][]).map((row) => row.map((cell) => (cell == null ? '' : String(cell))));
  return { file, columns, rows };
}

/** Names the first line whose field count differs from the header's (our files never quote commas). */
function describeCsvProblem(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) return 'no data rows after the header';
  const expected = lines[0].split(',').length;
  for (let i = 1; i < lines.length; i++) {
    const found = lines[i] === '' ? 0 : lines[i].split(',').length;
    if (found !== expected) {
      return `line ${i + 1}: expected ${expected} comma-separated fields like the header, found ${found}` +
        (found === 0 ? ' (empty line)' : '');
    }
  }
  return undefined;
}
