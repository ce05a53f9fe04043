import { loadAppModel } from '@rnnkit/core';
import { stocksExtrasSchema } from './extras.js';
import { STOCKS_APP, stocksFromAppModel, type LoadedStocks } from './predictor.js';

/** Loads a stocks model directory (or a run directory holding model/) through core's one loader (Node only). */
export async function loadStocksModel(dir: string): Promise<LoadedStocks> {
  return stocksFromAppModel(await loadAppModel(dir, STOCKS_APP, stocksExtrasSchema));
}
