/**
 * Where price files come from: `--data` (a folder of CSVs or one CSV), else per ticker
 * $RNNKIT_DATA_DIR/stocks/..., else the download cache, else the public source (pinned commits).
 */
import { resolveDataPath, RnnkitError } from '@rnnkit/core';
import { loadPriceFile, loadTickers, type PriceSeries } from './prices.js';
import { DEFAULT_TICKERS, normalizeTicker } from './tickers.js';

export { DEFAULT_TICKERS, normalizeTicker };

const KAGGLE_URL =
  'https://raw.githubusercontent.com/CNuge/kaggle-code/f1109438d6cfb3ffdaa7d4480437cfbaaedd3236/stock_data/individual_stocks_5yr';
const GSPC_URL = 'https://raw.githubusercontent.com/fja05680/stock_market_calendar/7041e86bf1f3a18c7b0a24a2fbb27031dc1388c5/%5EGSPC.csv';

function defaultLocation(ticker: string): { relative: string; url: string } {
  if (ticker === 'GSPC') return { relative: 'stocks/gspc/GSPC.csv', url: GSPC_URL };
  return { relative: `stocks/sp500-5yr/${ticker}_data.csv`, url: `${KAGGLE_URL}/${ticker}_data.csv` };
}

/**
 * The price series of `tickers`, from `dataFlag` (a folder or one CSV) or the default locations. `flag` names the
 * option the tickers came from in errors (--tickers for train, --ticker for forecast, the argument of predict).
 */
export async function loadSeries(dataFlag: string | undefined, tickers: string[], flag = '--tickers'): Promise<PriceSeries[]> {
  const wanted = tickers.map(normalizeTicker);
  if (dataFlag) return loadTickers(dataFlag, wanted);
  if (wanted.length === 0) throw new RnnkitError(`${flag}: give at least one ticker`);
  const series: PriceSeries[] = [];
  for (const ticker of wanted) {
    if (!DEFAULT_TICKERS.includes(ticker) && ticker !== 'GSPC') {
      throw new RnnkitError(
        `${flag}: no default data for ${ticker} (known: ${[...DEFAULT_TICKERS, 'GSPC'].join(', ')}); pass --data FOLDER`,
      );
    }
    const { relative, url } = defaultLocation(ticker);
    series.push(await loadPriceFile(await resolveDataPath(undefined, relative, { url, timeoutMs: 20_000 })));
  }
  return series;
}
