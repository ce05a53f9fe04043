/**
 * Daily price files → validated PriceSeries. Two layouts are recognised by their header:
 *   Yahoo:  Date,Open,High,Low,Close,Adj Close,Volume   (ticker taken from the file name)
 *   Kaggle: date,open,high,low,close,volume,Name       (ticker taken from the Name column)
 * Every problem is reported as `file: line N, column X: what is wrong`.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { RnnkitError } from '@rnnkit/core';
import { readCsvTable, type CsvTable } from './frame.js';

export interface PriceSeries {
  ticker: string;
  file: string;
  /** ISO dates, strictly increasing. */
  dates: string[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  /** 1-based file line of each kept row, for error messages further down the pipeline. */
  lines: number[];
  /** Human-readable notes about rows the loader dropped on purpose (e.g. the ^GSPC Open=0 era). */
  notes: string[];
}

interface Layout {
  name: string;
  date: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  ticker?: string;
}

const LAYOUTS: Layout[] = [
  { name: 'Yahoo', date: 'Date', open: 'Open', high: 'High', low: 'Low', close: 'Close', volume: 'Volume' },
  { name: 'Kaggle S&P 500', date: 'date', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume', ticker: 'Name' },
];

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function detectLayout(table: CsvTable): Layout {
  const has = (name: string) => table.columns.includes(name);
  const layout = LAYOUTS.find((l) => [l.date, l.open, l.high, l.low, l.close, l.volume].every(has));
  if (!layout) {
    throw new RnnkitError(
      `${table.file}: line 1: unrecognised header "${table.columns.join(',')}"; expected ` +
        LAYOUTS.map((l) => `${l.name} (${[l.date, l.open, l.high, l.low, l.close, l.volume].join(',')}…)`).join(' or '),
    );
  }
  return layout;
}

/** Ticker from the file name: "AAPL_data.csv" → AAPL, "GSPC.csv" → GSPC, "^GSPC.csv" → GSPC. */
export function tickerFromFileName(file: string): string {
  return basename(file).replace(/\.csv$/i, '').replace(/_data$/i, '').replace(/^\^/, '').toUpperCase();
}

/** What is wrong with a row's Open and Close against its range, or undefined; Open = 0 (no open recorded) passes. */
function ohlcProblem(open: number, high: number, low: number, close: number): string | undefined {
  if (close > high) return `Close ${close} is above High ${high}`;
  if (close < low) return `Close ${close} is below Low ${low}`;
  if (open !== 0 && open > high) return `Open ${open} is above High ${high}`;
  if (open !== 0 && open < low) return `Open ${open} is below Low ${low}`;
  return undefined;
}

/** A raw row's open, high, low and close as numbers, for counting bad rows (unparseable cells become NaN: no count). */
function rowPrices(row: string[], idx: { open: number; high: number; low: number; close: number }): [number, number, number, number] {
  const num = (i: number) => Number((row[i] ?? '').trim() || NaN);
  return [num(idx.open), num(idx.high), num(idx.low), num(idx.close)];
}

/**
 * Parses and validates one price table. Rows must have a calendar date in YYYY-MM-DD, dates strictly increasing,
 * Open/High/Low/Close positive and consistent (Low <= Open, Close <= High), and Volume a non-negative number.
 *
 * Consistency is exact, with no tolerance: Open and Close are trades of the day, so they lie within its range, and a
 * row that breaks it is a data error (a shifted column, a typo, a bad split adjustment) the model would otherwise
 * learn from silently. The bundled files pass as they are (0 of the 36,704 rows of sp500-5yr and GSPC break it).
 * The error names the first such row and how many rows of the file break it, so a user can tell a typo from a file
 * with systematically bad columns.
 *
 * The one tolerated quirk is Open = 0, Yahoo's marker for "no opening price recorded" (^GSPC has it on 5,075 days up
 * to 1982-04-19, and before 1962 O=H=L=C anyway). The series then starts after the last row with Open = 0, so
 * every kept row has real OHLC; a note says how many rows were dropped. Any other non-positive price is an error.
 */
export function parsePriceTable(table: CsvTable): PriceSeries {
  const layout = detectLayout(table);
  const col = (name: string) => table.columns.indexOf(name);
  const idx = {
    date: col(layout.date), open: col(layout.open), high: col(layout.high), low: col(layout.low),
    close: col(layout.close), volume: col(layout.volume), ticker: layout.ticker ? col(layout.ticker) : -1,
  };
  const out: PriceSeries = {
    ticker: tickerFromFileName(table.file), file: table.file,
    dates: [], open: [], high: [], low: [], close: [], volume: [], lines: [], notes: [],
  };
  let firstTicker: string | undefined;
  // Rows up to the last Open = 0 are checked like every other row (except Open) and then dropped.
  const isZero = (text: string | undefined) => text !== undefined && text.trim() !== '' && Number(text) === 0;
  const lastZeroOpen = table.rows.findLastIndex((row) => isZero(row[idx.open]));

  table.rows.forEach((row, i) => {
    const line = i + 2;
    const where = (column: string) => `${table.file}: line ${line}, column ${column}`;
    const number = (column: string, index: number, { positive }: { positive: boolean }): number => {
      const text = (row[index] ?? '').trim();
      if (text === '') throw new RnnkitError(`${where(column)}: missing value`);
      const value = Number(text);
      if (!Number.isFinite(value)) throw new RnnkitError(`${where(column)}: "${text}" is not a number`);
      if (positive ? value <= 0 : value < 0) {
        throw new RnnkitError(`${where(column)}: ${value} must be ${positive ? 'positive' : 'non-negative'}`);
      }
      return value;
    };

    const date = (row[idx.date] ?? '').trim();
    if (!isCalendarDate(date)) throw new RnnkitError(`${where(layout.date)}: "${date}" is not a date in YYYY-MM-DD form`);
    const prev = out.dates[out.dates.length - 1];
    if (prev !== undefined && date <= prev) {
      const prevLine = out.lines[out.lines.length - 1];
      throw new RnnkitError(
        `${where(layout.date)}: ${date === prev ? 'duplicate date' : 'dates out of order:'} ${date} ` +
          `${date === prev ? 'also on' : 'comes after'} ${prev} (line ${prevLine}); rows must be sorted oldest first`,
      );
    }
    if (idx.ticker >= 0) {
      const ticker = (row[idx.ticker] ?? '').trim();
      if (ticker === '') throw new RnnkitError(`${where(layout.ticker!)}: missing ticker`);
      if (firstTicker === undefined) firstTicker = ticker;
      else if (ticker !== firstTicker) {
        throw new RnnkitError(`${where(layout.ticker!)}: ticker ${ticker} differs from ${firstTicker}; one ticker per file`);
      }
    }
    const open = isZero(row[idx.open]) ? 0 : number(layout.open, idx.open, { positive: true });
    const high = number(layout.high, idx.high, { positive: true });
    const low = number(layout.low, idx.low, { positive: true });
    const close = number(layout.close, idx.close, { positive: true });
    const volume = number(layout.volume, idx.volume, { positive: false });
    if (low > high) throw new RnnkitError(`${where(layout.low)}: Low ${low} is above High ${high}`);
    const broken = ohlcProblem(open, high, low, close);
    if (broken) {
      const column = broken.startsWith('Open') ? layout.open : layout.close;
      const count = table.rows.filter((r) => ohlcProblem(...rowPrices(r, idx)) !== undefined).length;
      throw new RnnkitError(
        `${where(column)}: ${broken} (impossible prices: ${count} of ${table.rows.length} rows break Low <= Open, Close <= High)`,
      );
    }
    out.dates.push(date);
    out.open.push(open);
    out.high.push(high);
    out.low.push(low);
    out.close.push(close);
    out.volume.push(volume);
    out.lines.push(line);
  });
  if (firstTicker !== undefined) out.ticker = firstTicker.toUpperCase();
  if (lastZeroOpen >= 0) {
    const dropped = lastZeroOpen + 1;
    for (const key of ['dates', 'open', 'high', 'low', 'close', 'volume', 'lines'] as const) out[key].splice(0, dropped);
    out.notes.push(
      `${out.ticker}: dropped the first ${dropped} rows, up to line ${lastZeroOpen + 2}, the last with ${layout.open}=0 ` +
        `(no opening price recorded); series starts ${out.dates[0] ?? '(no rows left)'}`,
    );
  }
  if (out.dates.length === 0) throw new RnnkitError(`${table.file}: no usable data rows`);
  return out;
}

export async function loadPriceFile(file: string): Promise<PriceSeries> {
  return parsePriceTable(await readCsvTable(file));
}

/** The CSV files in a folder, by ticker. */
export function listPriceFiles(dir: string): Map<string, string> {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) return new Map([[tickerFromFileName(dir), dir]]);
    names = readdirSync(dir);
  } catch {
    throw new RnnkitError(`${dir}: no such file or folder`);
  }
  const files = new Map<string, string>();
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.csv')).sort()) {
    files.set(tickerFromFileName(name), join(dir, name));
  }
  if (files.size === 0) throw new RnnkitError(`${dir}: no .csv price files found`);
  return files;
}

/** Loads the requested tickers (all files when `tickers` is empty) from a folder of price files. */
export async function loadTickers(dir: string, tickers: string[] = []): Promise<PriceSeries[]> {
  const files = listPriceFiles(dir);
  const wanted = tickers.length > 0 ? tickers.map((t) => t.toUpperCase().replace(/^\^/, '')) : [...files.keys()];
  const missing = wanted.filter((t) => !files.has(t));
  if (missing.length > 0) {
    throw new RnnkitError(`${dir}: no file for ticker(s) ${missing.join(', ')}; found ${[...files.keys()].join(', ')}`);
  }
  return Promise.all(wanted.map((t) => loadPriceFile(files.get(t)!)));
}
