/** Ticker names (no Node APIs: the predictor uses them too). */

/** The tickers with bundled default data ($RNNKIT_DATA_DIR/stocks/sp500-5yr), trained on by default. */
export const DEFAULT_TICKERS = ['AAPL', 'AMZN', 'CSCO', 'GE', 'GOOGL', 'IBM', 'INTC', 'JPM', 'MSFT', 'XOM'];

/** A ticker as the files and models name it: upper case, without Yahoo's "^" (^GSPC → GSPC). */
export function normalizeTicker(ticker: string): string {
  return ticker.trim().toUpperCase().replace(/^\^/, '');
}
