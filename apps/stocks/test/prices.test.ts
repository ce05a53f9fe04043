import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPriceFile, loadTickers } from '../src/index.js';
import { kaggleCsv, tempDir, writeFile } from './fixtures.js';

const KAGGLE_HEADER = 'date,open,high,low,close,volume,Name';
const YAHOO_HEADER = 'Date,Open,High,Low,Close,Adj Close,Volume';

async function loadText(name: string, text: string) {
  return loadPriceFile(writeFile(tempDir(), name, text));
}

describe('price file loading', () => {
  it('reads the Kaggle layout with the ticker from the Name column', async () => {
    const s = await loadText('x.csv', kaggleCsv('abc', [10, 11, 12]));
    expect(s.ticker).toBe('ABC');
    expect(s.dates).toEqual(['2020-01-01', '2020-01-02', '2020-01-03']);
    expect(s.close).toEqual([10, 11, 12]);
    expect(s.volume).toEqual([1000, 1010, 1020]);
    expect(s.lines).toEqual([2, 3, 4]);
  });

  it('reads the Yahoo layout and starts after the last Open=0 row, with a note', async () => {
    const text = [
      YAHOO_HEADER,
      '1982-04-14,0.0,116.8,115.2,116.8,116.8,1000',
      '1982-04-15,116.0,116.0,116.0,116.0,116.0,1000',
      '1982-04-16,0.0,116.8,115.2,116.8,116.8,1000',
      '1982-04-19,0.000000,117.0,115.5,115.8,115.8,1000',
      '1982-04-20,115.8,116.1,114.7,115.4,115.4,1100',
      '1982-04-21,115.4,116.5,115.1,115.7,115.7,1200',
    ].join('\n');
    const s = await loadText('^GSPC.csv', text);
    expect(s.ticker).toBe('GSPC');
    expect(s.dates).toEqual(['1982-04-20', '1982-04-21']);
    expect(s.open).toEqual([115.8, 115.4]);
    expect(s.lines).toEqual([6, 7]);
    expect(s.notes.join()).toMatch(/dropped the first 4 rows, up to line 5, the last with Open=0.*starts 1982-04-20/);
  });

  it('still validates the rows it drops', async () => {
    const text = [YAHOO_HEADER, '1982-04-16,0.0,116.8,115.2,116.8,116.8,1000', '1982-04-15,0.0,117,115.5,115.8,115.8,1000', '1982-04-20,115.8,116.1,114.7,115.4,115.4,1100'].join('\n');
    await expect(loadText('y.csv', text)).rejects.toThrow(/y\.csv: line 3, column Date: dates out of order/);
  });

  const bad: [string, string, RegExp][] = [
    ['an unparseable date', `${KAGGLE_HEADER}\n2020-01-01,1,1,1,1,5,A\n2020-13-02,1,1,1,1,5,A\n`, /bad\.csv: line 3, column date: "2020-13-02" is not a date/],
    ['a duplicate date', `${KAGGLE_HEADER}\n2020-01-01,1,1,1,1,5,A\n2020-01-01,1,1,1,1,5,A\n`, /line 3, column date: duplicate date 2020-01-01 also on 2020-01-01 \(line 2\)/],
    ['unsorted dates', `${KAGGLE_HEADER}\n2020-01-02,1,1,1,1,5,A\n2020-01-01,1,1,1,1,5,A\n`, /line 3, column date: dates out of order/],
    ['a missing price', `${KAGGLE_HEADER}\n2020-01-01,1,1,1,1,5,A\n2020-01-02,1,1,1,,5,A\n`, /line 3, column close: missing value/],
    ['a non-positive price', `${KAGGLE_HEADER}\n2020-01-01,1,1,-1,1,5,A\n`, /line 2, column low: -1 must be positive/],
    ['a non-numeric price', `${KAGGLE_HEADER}\n2020-01-01,1,abc,1,1,5,A\n`, /line 2, column high: "abc" is not a number/],
    ['low above high', `${KAGGLE_HEADER}\n2020-01-01,1,1,2,1,5,A\n`, /line 2, column low: Low 2 is above High 1/],
    [
      'a close above high',
      `${KAGGLE_HEADER}\n2020-01-01,1,2,1,1.5,5,A\n2020-01-02,1,2,1,150,5,A\n2020-01-03,1,2,1,0.5,5,A\n`,
      /line 3, column close: Close 150 is above High 2 \(impossible prices: 2 of 3 rows break Low <= Open, Close <= High\)$/,
    ],
    ['a close below low', `${YAHOO_HEADER}\n2020-01-01,1,2,1,0.9,0.9,5\n`, /line 2, column Close: Close 0.9 is below Low 1 \(impossible prices: 1 of 1/],
    ['an open above high', `${KAGGLE_HEADER}\n2020-01-01,3,2,1,1.5,5,A\n`, /line 2, column open: Open 3 is above High 2/],
    ['an open below low', `${KAGGLE_HEADER}\n2020-01-01,0.5,2,1,1.5,5,A\n`, /line 2, column open: Open 0.5 is below Low 1/],
    ['a negative volume', `${KAGGLE_HEADER}\n2020-01-01,1,1,1,1,-5,A\n`, /line 2, column volume: -5 must be non-negative/],
    ['a negative Open', `${YAHOO_HEADER}\n2020-01-01,1,1,1,1,1,5\n2020-01-02,-1,1,1,1,1,5\n`, /line 3, column Open: -1 must be positive/],
    ['a zero Close', `${YAHOO_HEADER}\n2020-01-01,1,1,1,0,1,5\n`, /line 2, column Close: 0 must be positive/],
    ['a row with a missing field', `${KAGGLE_HEADER}\n2020-01-01,1,1,1,1,5,A\n2020-01-02,1,1,1,5,A\n`, /bad\.csv: line 3: expected 7 comma-separated fields/],
    ['an unknown header', 'day,price\n2020-01-01,1\n', /bad\.csv: line 1: unrecognised header "day,price"/],
  ];
  for (const [what, text, message] of bad) {
    it(`names file, line and column for ${what}`, async () => {
      await expect(loadText('bad.csv', text)).rejects.toThrow(message);
    });
  }

  it('accepts Open and Close on the bounds of the range, and Open = 0 outside it (no open recorded)', async () => {
    const text = [YAHOO_HEADER, '1982-04-19,0.0,117,115.5,115.5,115.5,1000', '1982-04-20,115.8,116.1,115.8,116.1,116.1,1100'].join('\n');
    expect((await loadText('edge.csv', text)).close).toEqual([116.1]);
  });

  it('refuses bytes that are not UTF-8, naming the file, line and column', async () => {
    const dir = tempDir();
    const file = join(dir, 'AAPL.csv');
    writeFileSync(file, Buffer.from(`${KAGGLE_HEADER}\n2020-01-01,1,2,1,1.5,5,AAPL\xe9\n`, 'latin1'));
    await expect(loadPriceFile(file)).rejects.toThrow(`${file}: is not valid UTF-8 text at line 2, column 28 (byte 0xE9)`);
  });

  it('accepts the bundled price files as they are', async () => {
    const root = process.env.RNNKIT_DATA_DIR;
    if (!root || !existsSync(join(root, 'stocks'))) return; // the data set is not on every machine
    const series = await loadTickers(join(root, 'stocks', 'sp500-5yr'));
    series.push(await loadPriceFile(join(root, 'stocks', 'gspc', 'GSPC.csv')));
    expect(series.map((s) => s.close.length)).toEqual([...new Array<number>(10).fill(1259), 10_512]);
  });

  it('loads requested tickers from a folder and names missing ones', async () => {
    const dir = tempDir();
    writeFile(dir, 'AAA_data.csv', kaggleCsv('AAA', [1, 2, 3]));
    writeFile(dir, 'BBB_data.csv', kaggleCsv('BBB', [1, 2, 3]));
    expect((await loadTickers(dir)).map((s) => s.ticker)).toEqual(['AAA', 'BBB']);
    expect((await loadTickers(dir, ['bbb'])).map((s) => s.ticker)).toEqual(['BBB']);
    await expect(loadTickers(dir, ['CCC'])).rejects.toThrow(/no file for ticker\(s\) CCC; found AAA, BBB/);
  });
});
